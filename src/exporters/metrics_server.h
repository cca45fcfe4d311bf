// MetricsServer: the small HTTP server behind `vtrace run --metrics`, for
// Prometheus to scrape (one client at a time, as a scraper is).
//
// Contract
//  * parse_listen_address takes "ADDR:PORT": an IPv4 address, an IPv6 one
//    in brackets ("[::1]:9464") or "localhost"; PORT 0..65535, 0 meaning
//    any free port. kInvalidArgument naming the value otherwise. A
//    non-loopback address (anything but 127.0.0.0/8 and ::1, so also
//    0.0.0.0) is refused with kInvalidArgument unless allow_remote: the
//    metrics name every guest of the host and are served without
//    authentication. `out->len` is set once the address itself parsed (so
//    a caller can tell a bad spelling from a refused remote address).
//  * start() binds and listens before returning: kUnavailable when the
//    address is in use or not ours to bind, kIoError for other refusals;
//    then one thread (the server's) answers: GET /metrics with 200 and the
//    Prometheus text format (render_metrics of the snapshot published last;
//    an empty snapshot before the first), GET / with a pointer to /metrics,
//    other paths 404, other methods 405; every connection closed after its
//    answer; a client silent for 5 s is dropped.
//  * publish() from any thread (the classifier's, once a second): the
//    snapshot is swapped in under a mutex and rendered on the server's
//    thread outside it, so a scrape never holds up the publisher.
//  * stop() (also the destructor) wakes the thread and joins it.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <netinet/in.h>
#include <string>
#include <sys/socket.h>
#include <thread>

#include "src/exporters/metrics.h"
#include "src/util/mutex.h"
#include "src/util/status.h"
#include "src/util/thread_annotations.h"

namespace vt {

struct ListenAddress {
  std::string text;  // as given
  sockaddr_storage addr{};
  socklen_t len = 0;
  bool loopback = false;
};

Status parse_listen_address(const std::string& s, bool allow_remote, ListenAddress* out);

class MetricsServer {
 public:
  MetricsServer() = default;
  ~MetricsServer() { stop(); }
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  Status start(const ListenAddress& a);
  void stop();
  uint16_t port() const { return port_; }  // the bound port (start() resolved 0)

  void publish(std::shared_ptr<const MetricsSnapshot> s) VT_EXCLUDES(mu_);
  // Scrapes of /metrics answered so far.
  uint64_t scrapes() const { return scrapes_.load(); }

 private:
  void serve();
  void answer(int fd) VT_REQUIRES(server_);
  std::shared_ptr<const MetricsSnapshot> latest() VT_EXCLUDES(mu_);

  ThreadRole server_;
  int listen_fd_ = -1;
  int wake_fd_ = -1;
  uint16_t port_ = 0;
  std::thread thread_;
  Mutex mu_;
  std::shared_ptr<const MetricsSnapshot> snapshot_ VT_GUARDED_BY(mu_);
  std::string body_ VT_GUARDED_BY(server_);  // reused between scrapes
  std::atomic<uint64_t> scrapes_{0};
};

}  // namespace vt

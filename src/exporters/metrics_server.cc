#include "src/exporters/metrics_server.h"

#include <poll.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <sys/eventfd.h>
#include <sys/time.h>

namespace vt {

Status parse_listen_address(const std::string& s, bool allow_remote, ListenAddress* out) {
  *out = ListenAddress();
  out->text = s;
  const size_t colon = s.rfind(':');
  auto bad = [&](const std::string& why) {
    return Status::InvalidArgument("'" + s + "': " + why + " (ADDR:PORT, e.g. 127.0.0.1:9464 or [::1]:9464)");
  };
  if (colon == std::string::npos) return bad("no port");
  std::string host = s.substr(0, colon);
  const std::string port_s = s.substr(colon + 1);
  char* end = nullptr;
  errno = 0;
  const unsigned long port = std::strtoul(port_s.c_str(), &end, 10);
  if (port_s.empty() || *end != '\0' || errno != 0 || port > 65535 || port_s[0] == '-' || port_s[0] == '+')
    return bad("the port is not a number in 0..65535");
  if (host == "localhost") host = "127.0.0.1";
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    sockaddr_in6 a{};
    a.sin6_family = AF_INET6;
    a.sin6_port = htons(uint16_t(port));
    if (inet_pton(AF_INET6, host.substr(1, host.size() - 2).c_str(), &a.sin6_addr) != 1)
      return bad("not an IPv6 address");
    out->loopback = IN6_IS_ADDR_LOOPBACK(&a.sin6_addr);
    std::memcpy(&out->addr, &a, sizeof a);
    out->len = sizeof a;
  } else {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(uint16_t(port));
    if (inet_pton(AF_INET, host.c_str(), &a.sin_addr) != 1) return bad("not an IPv4 address");
    out->loopback = (ntohl(a.sin_addr.s_addr) >> 24) == 127;
    std::memcpy(&out->addr, &a, sizeof a);
    out->len = sizeof a;
  }
  if (!out->loopback && !allow_remote)
    return Status::InvalidArgument("'" + s +
                                   "' is not a loopback address (the metrics name every guest and are served "
                                   "without authentication)");
  return Status::Ok();
}

Status MetricsServer::start(const ListenAddress& a) {
  listen_fd_ = socket(a.addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) return Status::IoError(a.text + ": socket: " + std::strerror(errno));
  const int one = 1;
  setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);  // restart over TIME_WAIT
  if (bind(listen_fd_, reinterpret_cast<const sockaddr*>(&a.addr), a.len) != 0 ||
      listen(listen_fd_, 16) != 0) {
    const int e = errno;
    close(listen_fd_);
    listen_fd_ = -1;
    if (e == EADDRINUSE)
      return Status::Unavailable(a.text + ": address already in use (another process listens there)");
    if (e == EADDRNOTAVAIL || e == EACCES)
      return Status::Unavailable(a.text + ": cannot listen there: " + std::strerror(e));
    return Status::IoError(a.text + ": " + std::strerror(e));
  }
  sockaddr_storage bound{};
  socklen_t len = sizeof bound;
  getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&bound), &len);
  port_ = ntohs(bound.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                                            : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  wake_fd_ = eventfd(0, EFD_CLOEXEC);
  if (wake_fd_ < 0) {
    close(listen_fd_);
    listen_fd_ = -1;
    return Status::IoError(std::string("eventfd: ") + std::strerror(errno));
  }
  thread_ = std::thread(&MetricsServer::serve, this);
  return Status::Ok();
}

void MetricsServer::stop() {
  if (thread_.joinable()) {
    const uint64_t one = 1;
    if (write(wake_fd_, &one, sizeof one) < 0) {
      // an eventfd write fails only on overflow: the thread is awake anyway
    }
    thread_.join();
  }
  if (listen_fd_ >= 0) close(listen_fd_);
  if (wake_fd_ >= 0) close(wake_fd_);
  listen_fd_ = wake_fd_ = -1;
}

void MetricsServer::publish(std::shared_ptr<const MetricsSnapshot> s) {
  MutexLock l(&mu_);
  snapshot_.swap(s);
  // the old snapshot is freed here, or by the scrape still rendering it
}

std::shared_ptr<const MetricsSnapshot> MetricsServer::latest() {
  MutexLock l(&mu_);
  return snapshot_;
}

void MetricsServer::serve() {
  server_.claim();
  for (;;) {
    pollfd p[2] = {{listen_fd_, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
    if (poll(p, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (p[1].revents) return;
    if (!(p[0].revents & POLLIN)) continue;
    const int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      // Out of descriptors: the connection stays queued; do not spin on it.
      if (errno == EMFILE || errno == ENFILE) std::this_thread::sleep_for(std::chrono::milliseconds(100));
      continue;
    }
    const timeval tv{5, 0};  // a silent or stalled client is dropped
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    answer(fd);
    close(fd);
  }
}

namespace {

bool send_all(int fd, const char* p, size_t n) {
  while (n > 0) {
    const ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    p += w;
    n -= size_t(w);
  }
  return true;
}

void respond(int fd, const char* status, const char* type, const std::string& body) {
  char head[256];
  const int n =
      std::snprintf(head, sizeof head,
                    "HTTP/1.1 %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n",
                    status, type, body.size());
  if (send_all(fd, head, size_t(n))) send_all(fd, body.data(), body.size());
}

}  // namespace

void MetricsServer::answer(int fd) {
  // The request line and headers: at most 8 KiB, up to the blank line.
  char req[8192];
  size_t got = 0;
  while (got < sizeof req - 1) {
    const ssize_t r = recv(fd, req + got, sizeof req - 1 - got, 0);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    got += size_t(r);
    req[got] = '\0';
    if (std::strstr(req, "\r\n\r\n") || std::strstr(req, "\n\n")) break;
  }
  req[got] = '\0';
  const char* sp1 = std::strchr(req, ' ');
  const char* sp2 = sp1 ? std::strchr(sp1 + 1, ' ') : nullptr;
  if (!sp1 || !sp2) return respond(fd, "400 Bad Request", "text/plain", "bad request\n");
  const std::string method(req, size_t(sp1 - req));
  std::string path(sp1 + 1, size_t(sp2 - sp1 - 1));
  if (const size_t q = path.find('?'); q != std::string::npos) path.resize(q);
  if (method != "GET") return respond(fd, "405 Method Not Allowed", "text/plain", "only GET\n");
  if (path == "/") {
    return respond(
        fd, "200 OK", "text/html",
        "<html><body>vtrace: the metrics are at <a href=\"/metrics\">/metrics</a></body></html>\n");
  }
  if (path != "/metrics") return respond(fd, "404 Not Found", "text/plain", "not found: try /metrics\n");
  const std::shared_ptr<const MetricsSnapshot> s = latest();
  render_metrics(s ? *s : MetricsSnapshot(), &body_);
  scrapes_.fetch_add(1);
  respond(fd, "200 OK", "text/plain; version=0.0.4; charset=utf-8", body_);
}

}  // namespace vt

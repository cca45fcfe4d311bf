#include "src/exporters/metrics_server.h"

#include <unistd.h>

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <string>
#include <sys/socket.h>
#include <thread>

namespace {

TEST(ListenAddress, LoopbackOnlyUnlessAllowed) {
  vt::ListenAddress a;
  for (const char* ok : {"127.0.0.1:9464", "127.1.2.3:1", "localhost:0", "[::1]:9464"}) {
    const vt::Status st = vt::parse_listen_address(ok, false, &a);
    EXPECT_TRUE(st.ok()) << ok << ": " << st.message();
    EXPECT_TRUE(a.loopback) << ok;
  }
  for (const char* remote : {"0.0.0.0:9464", "10.1.2.3:9464", "[::]:9464", "[2001:db8::1]:80"}) {
    vt::Status st = vt::parse_listen_address(remote, false, &a);
    EXPECT_EQ(st.code(), vt::Status::Code::kInvalidArgument) << remote;
    EXPECT_NE(st.message().find("is not a loopback address"), std::string::npos) << st.message();
    EXPECT_GT(a.len, 0u) << remote;  // the address itself was good
    st = vt::parse_listen_address(remote, true, &a);
    EXPECT_TRUE(st.ok()) << remote << ": " << st.message();
  }
  for (const char* bad : {"127.0.0.1", "127.0.0.1:", "127.0.0.1:65536", "127.0.0.1:-1", "127.0.0.1:x",
                          "xen1:9464", "[::1:9464", "256.0.0.1:80"}) {
    const vt::Status st = vt::parse_listen_address(bad, true, &a);
    EXPECT_EQ(st.code(), vt::Status::Code::kInvalidArgument) << bad;
    EXPECT_EQ(a.len, 0u) << bad;
    EXPECT_NE(st.message().find(std::string("'") + bad + "'"), std::string::npos) << st.message();
  }
}

struct Reply {
  std::string head, body;
};

// One request over a fresh connection, as a scraper sends it; the whole
// reply, split at the blank line.
Reply http(uint16_t port, const std::string& request) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  EXPECT_EQ(send(fd, request.data(), request.size(), 0), ssize_t(request.size()));
  std::string all;
  char buf[65536];
  for (ssize_t n; (n = recv(fd, buf, sizeof buf, 0)) > 0;) all.append(buf, size_t(n));
  close(fd);
  const size_t blank = all.find("\r\n\r\n");
  if (blank == std::string::npos) return {all, ""};
  return {all.substr(0, blank), all.substr(blank + 4)};
}

std::string get(const std::string& path) {
  return "GET " + path +
         " HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/plain\r\nAccept-Encoding: gzip\r\n\r\n";
}

TEST(MetricsServer, ServesTheLastSnapshotPublished) {
  vt::ListenAddress a;
  ASSERT_TRUE(vt::parse_listen_address("127.0.0.1:0", false, &a).ok());
  vt::MetricsServer srv;
  ASSERT_TRUE(srv.start(a).ok());
  ASSERT_GT(srv.port(), 0);
  // Before the first snapshot: the families, no domain.
  Reply r = http(srv.port(), get("/metrics"));
  EXPECT_EQ(r.head.substr(0, r.head.find("\r\n")), "HTTP/1.1 200 OK");
  EXPECT_NE(r.head.find("Content-Type: text/plain; version=0.0.4"), std::string::npos) << r.head;
  EXPECT_NE(r.body.find("vtrace_build_info{"), std::string::npos);
  EXPECT_EQ(r.body.find("domid="), std::string::npos);

  auto s = std::make_shared<vt::MetricsSnapshot>();
  s->hz = 1e9;
  s->domains.resize(1000);
  for (size_t i = 0; i < s->domains.size(); ++i) {
    s->domains[i].domid = uint16_t(i);
    s->domains[i].cycles[0] = i * 1000;
  }
  s->stats[vt::Stat::records_read] = 42;
  std::string expected;
  vt::render_metrics(*s, &expected);
  srv.publish(s);
  r = http(srv.port(), get("/metrics?x=1"));
  EXPECT_EQ(r.body, expected);
  EXPECT_NE(r.head.find("Content-Length: " + std::to_string(expected.size()) + "\r\n"), std::string::npos);
  EXPECT_EQ(srv.scrapes(), 2u);

  r = http(srv.port(), get("/"));
  EXPECT_NE(r.body.find("/metrics"), std::string::npos);
  EXPECT_EQ(http(srv.port(), get("/other")).head.substr(0, 22), "HTTP/1.1 404 Not Found");
  EXPECT_EQ(http(srv.port(), "POST /metrics HTTP/1.1\r\n\r\n").head.substr(0, 12), "HTTP/1.1 405");
  EXPECT_EQ(http(srv.port(), "HEAD /metrics HTTP/1.1\r\n\r\n").head.substr(0, 12), "HTTP/1.1 405");
  EXPECT_EQ(http(srv.port(), "nonsense\r\n\r\n").head.substr(0, 12), "HTTP/1.1 400");
  EXPECT_EQ(srv.scrapes(), 2u);
  srv.stop();
}

// A second server on a port that is taken: kUnavailable, one line naming it.
TEST(MetricsServer, PortInUseIsUnavailable) {
  vt::ListenAddress a;
  ASSERT_TRUE(vt::parse_listen_address("127.0.0.1:0", false, &a).ok());
  vt::MetricsServer first;
  ASSERT_TRUE(first.start(a).ok());
  const std::string taken = "127.0.0.1:" + std::to_string(first.port());
  ASSERT_TRUE(vt::parse_listen_address(taken, false, &a).ok());
  vt::MetricsServer second;
  const vt::Status st = second.start(a);
  EXPECT_EQ(st.code(), vt::Status::Code::kUnavailable);
  EXPECT_EQ(st.message(), taken + ": address already in use (another process listens there)");
}

// Scrapes while the publisher swaps snapshots (ThreadSanitizer in CI): each
// answer is one whole snapshot, never a mix.
TEST(MetricsServer, ScrapesWhilePublishing) {
  vt::ListenAddress a;
  ASSERT_TRUE(vt::parse_listen_address("127.0.0.1:0", false, &a).ok());
  vt::MetricsServer srv;
  ASSERT_TRUE(srv.start(a).ok());
  std::atomic<bool> done{false};
  std::thread publisher([&] {
    for (uint64_t k = 0; !done.load(); ++k) {
      auto s = std::make_shared<vt::MetricsSnapshot>();
      s->domains.resize(50);
      for (size_t i = 0; i < s->domains.size(); ++i) {
        s->domains[i].domid = uint16_t(i);
        s->domains[i].hypercalls = k;
      }
      srv.publish(std::move(s));
    }
  });
  for (int i = 0; i < 20; ++i) {
    const Reply r = http(srv.port(), get("/metrics"));
    const size_t at = r.body.find("vtrace_domain_hypercalls_total{domid=\"0\",name=\"\",uuid=\"\"} ");
    if (at == std::string::npos) continue;  // before the first snapshot
    const std::string line = r.body.substr(at, r.body.find('\n', at) - at);
    const std::string k = line.substr(line.rfind(' ') + 1);
    const size_t at49 =
        r.body.find("vtrace_domain_hypercalls_total{domid=\"49\",name=\"\",uuid=\"\"} " + k + "\n");
    EXPECT_NE(at49, std::string::npos) << "domain 0 at " << k << " but not domain 49";
  }
  done = true;
  publisher.join();
}

}  // namespace

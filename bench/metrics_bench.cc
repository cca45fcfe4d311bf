// The cost of `vtrace run --metrics` (issue 15: 1,000 domains must scrape
// in well under 100 ms): building the snapshot the classifier publishes
// each second, rendering it, and a whole scrape over loopback (connect,
// GET /metrics, read the answer) as Prometheus does it.
#include <unistd.h>

#include <arpa/inet.h>
#include <benchmark/benchmark.h>
#include <memory>
#include <netinet/in.h>
#include <string>
#include <sys/socket.h>
#include <vector>

#include "src/exporters/metrics.h"
#include "src/exporters/metrics_server.h"

namespace {

// A host of n domains after a period: every one judged, a few faulty.
std::vector<vt::DomainSample> period(size_t n, uint64_t index) {
  std::vector<vt::DomainSample> p(n);
  for (size_t i = 0; i < n; ++i) {
    p[i].index = index;
    p[i].domid = uint16_t(i);
    p[i].d.cycles[vt::kRunning] = 1'000'000 + i * 977;
    p[i].d.cycles[vt::kRunnable] = 10'000 + i;
    p[i].d.cycles[vt::kBlocked] = 2'000'000'000 - i * 977;
    p[i].d.n[vt::kHypercalls] = 5000 + i;
  }
  return p;
}

std::shared_ptr<vt::MetricsSnapshot> snapshot(const vt::DomainAccounts& acc) {
  auto s = std::make_shared<vt::MetricsSnapshot>();
  acc.fill(&s->domains);
  s->detecting = true;
  for (vt::DomainMetrics& d : s->domains) {
    d.scored = true;
    d.score = 0.5 + double(d.domid % 50) / 100;
    d.faulty = d.domid % 97 == 0;
  }
  s->hz = 2.4e9;
  s->stats[vt::Stat::records_read] = 123456789;
  return s;
}

void BM_Publish(benchmark::State& state) {  // the classifier's share, each second
  vt::DomainAccounts acc;
  const auto p = period(size_t(state.range(0)), 0);
  for (auto _ : state) {
    acc.add(p);
    benchmark::DoNotOptimize(snapshot(acc));
  }
}
BENCHMARK(BM_Publish)->Arg(1000)->Unit(benchmark::kMicrosecond);

void BM_Render(benchmark::State& state) {
  vt::DomainAccounts acc;
  acc.add(period(size_t(state.range(0)), 0));
  const auto s = snapshot(acc);
  std::string out;
  for (auto _ : state) {
    vt::render_metrics(*s, &out);
    benchmark::DoNotOptimize(out.data());
  }
  state.counters["bytes"] = double(out.size());
}
BENCHMARK(BM_Render)->Arg(1000)->Unit(benchmark::kMicrosecond);

void BM_Scrape(benchmark::State& state) {
  vt::DomainAccounts acc;
  acc.add(period(size_t(state.range(0)), 0));
  vt::ListenAddress a;
  if (!vt::parse_listen_address("127.0.0.1:0", false, &a).ok()) return state.SkipWithError("address");
  vt::MetricsServer srv;
  if (!srv.start(a).ok()) return state.SkipWithError("listen");
  srv.publish(snapshot(acc));
  const std::string req = "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
  size_t bytes = 0;
  std::vector<char> buf(1 << 16);
  for (auto _ : state) {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(srv.port());
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) return state.SkipWithError("connect");
    if (send(fd, req.data(), req.size(), 0) != ssize_t(req.size())) return state.SkipWithError("send");
    bytes = 0;
    for (ssize_t n; (n = recv(fd, buf.data(), buf.size(), 0)) > 0;) bytes += size_t(n);
    close(fd);
  }
  state.counters["bytes"] = double(bytes);
}
BENCHMARK(BM_Scrape)->Arg(1000)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();

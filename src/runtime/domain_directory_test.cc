// DomainDirectory over a simulated host whose domain list and names the
// test sets by hand.
#include "src/runtime/domain_directory.h"

#include <cstdio>
#include <gtest/gtest.h>
#include <map>

#include "src/sim/host.h"

namespace vt {
namespace {

HostDomain dom(uint32_t domid, uint8_t uuid_byte) {
  HostDomain h;
  h.domid = domid;
  h.exists = true;
  h.uuid[15] = uuid_byte;
  return h;
}

// A name is read once per (domid, UUID): again when the domid comes back
// with another UUID (a new domain), not every second; a domain gone from
// the list keeps its last name; a name xenstore does not have is asked
// again.
TEST(DomainDirectory, ReadsANameOncePerDomain) {
  sim::SimHost host(sim::HostConfig{});
  std::map<uint32_t, std::string> store = {{0, "Domain-0"}, {5, "web1"}};
  int reads = 0;
  host.set_domain_name([&](uint32_t d, std::string* name) {
    ++reads;
    auto it = store.find(d);
    if (it == store.end()) return false;
    *name = it->second;
    return true;
  });
  DomainDirectory dir;
  dir.refresh(&host, {dom(0, 0), dom(5, 1), dom(6, 2)}, nullptr);
  ASSERT_NE(dir.find(5), nullptr);
  EXPECT_EQ(dir.find(5)->name, "web1");
  EXPECT_EQ(dir.find(5)->uuid, "00000000-0000-0000-0000-000000000001");
  EXPECT_EQ(dir.find(0)->uuid, "");  // all zeros: not known
  EXPECT_EQ(dir.find(6)->name, "");  // not in the store (yet)
  EXPECT_EQ(dir.find(7), nullptr);
  EXPECT_EQ(reads, 3);
  store[6] = "db1";
  dir.refresh(&host, {dom(0, 0), dom(5, 1), dom(6, 2)}, nullptr);
  EXPECT_EQ(reads, 4);  // only domain 6's, which had none
  EXPECT_EQ(dir.find(6)->name, "db1");
  store[5] = "web2";
  dir.refresh(&host, {dom(0, 0), dom(5, 9)}, nullptr);  // domid 5 reused; 6 destroyed
  EXPECT_EQ(reads, 5);
  EXPECT_EQ(dir.find(5)->name, "web2");
  EXPECT_EQ(dir.find(5)->uuid, "00000000-0000-0000-0000-000000000009");
  ASSERT_NE(dir.find(6), nullptr);  // destroyed: its last lines keep its name
  EXPECT_EQ(dir.find(6)->name, "db1");
}

// No xenstore: one warning line, UUIDs only, never asked again.
TEST(DomainDirectory, WithoutXenstoreOneWarningAndIdsOnly) {
  sim::SimHost host(sim::HostConfig{});  // no name callback: "no xenstore"
  char buf[512] = {};
  std::FILE* log = fmemopen(buf, sizeof buf - 1, "w");
  ASSERT_NE(log, nullptr);
  DomainDirectory dir;
  dir.refresh(&host, {dom(1, 1), dom(2, 2)}, log);
  dir.refresh(&host, {dom(1, 1), dom(2, 2), dom(3, 3)}, log);
  std::fclose(log);
  EXPECT_STREQ(buf, "vtrace: warning: sim: no xenstore: verdicts and metrics carry domain ids only\n");
  EXPECT_FALSE(dir.names_available());
  ASSERT_NE(dir.find(3), nullptr);
  EXPECT_EQ(dir.find(3)->name, "");
  EXPECT_EQ(dir.find(3)->uuid, "00000000-0000-0000-0000-000000000003");
}

}  // namespace
}  // namespace vt

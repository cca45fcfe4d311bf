// DomainDirectory: who each domain is (name, UUID) on a live host, for the
// verdict lines, the metrics and `vtrace top`.
//
// Contract
//  * refresh() takes the host's domain list (TraceHost::list_domains, which
//    the classifier reads once a second anyway) and asks the host for the
//    name (xenstore) only of a domain it has not seen with this UUID: a new
//    domain, or a domid reused by another one. A name that could not be
//    read is asked again at the next refresh.
//  * No xenstore (kUnavailable from domain_name): one warning line to `log`,
//    then no more asking: ids and UUIDs only, never a stop.
//  * find() is a domid's identity, or nullptr when none is known: the last
//    one the host listed with that domid, so a domain just destroyed keeps
//    its name for its last lines ("dying"); a domid reused by a new domain
//    gets the new one's at the next refresh.
//  * Owned by one thread (the classifier); no allocation once every domid
//    and name has been seen.
#pragma once

#include <cstdint>
#include <cstdio>
#include <vector>

#include "src/source/trace_host.h"
#include "src/util/domain_id.h"

namespace vt {

class DomainDirectory {
 public:
  void refresh(TraceHost* host, const std::vector<HostDomain>& list, std::FILE* log);
  const DomainId* find(uint16_t domid) const {
    return domid < by_domid_.size() && by_domid_[domid].known ? &by_domid_[domid].id : nullptr;
  }
  bool names_available() const { return !no_store_; }

 private:
  struct Entry {
    bool known = false;  // listed once
    bool named = false;  // its name was read for this UUID
    std::array<uint8_t, 16> uuid{};
    DomainId id;
  };
  std::vector<Entry> by_domid_;
  bool no_store_ = false;
};

}  // namespace vt

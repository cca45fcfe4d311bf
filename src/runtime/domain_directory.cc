#include "src/runtime/domain_directory.h"

namespace vt {

void DomainDirectory::refresh(TraceHost* host, const std::vector<HostDomain>& list, std::FILE* log) {
  for (const HostDomain& h : list) {
    if (h.domid > xt::kMaxDomid || !h.exists) continue;
    if (h.domid >= by_domid_.size()) by_domid_.resize(size_t(h.domid) + 1);
    Entry& e = by_domid_[h.domid];
    if (!e.named || e.uuid != h.uuid) {  // a new domain (or one we could not name yet)
      e.uuid = h.uuid;
      e.id.uuid = format_uuid(h.uuid);
      e.id.name.clear();
      e.named = false;
      if (!no_store_) {
        const Status st = host->domain_name(h.domid, &e.id.name);
        if (st.code() == Status::Code::kUnavailable) {
          no_store_ = true;
          if (log)
            std::fprintf(log, "vtrace: warning: %s: verdicts and metrics carry domain ids only\n",
                         st.message().c_str());
        }
        if (!st.ok()) e.id.name.clear();
      }
      e.named = !e.id.name.empty() || no_store_;  // nothing more to ask
    }
    e.known = true;
  }
}

}  // namespace vt

// XenHost: TraceHost on a real Xen dom0, through libxenctrl (control,
// physinfo), libxenforeignmemory (mapping DOMID_XEN's trace pages) and
// libxenevtchn (VIRQ_TBUF), with a silent libxentoollog logger so that
// failures come back as one line.
//
// Facts kept (docs/live.md): xc_tbuf_enable() returns the t_info MFN and
// the t_info size in bytes (not the per-CPU size); the real per-CPU size is
// read from t_info; t_info is mapped read-only (Xen shares it so); only one
// process can bind VIRQ_TBUF (EEXIST otherwise), and it fires only when a
// buffer crosses half full, so the consumer also polls on a timer.
#pragma once

#include <memory>
#include <string>

#include "src/source/trace_host.h"

namespace vt {

// kUnavailable when there is no Xen here (not dom0, no privcmd); kIoError
// when the libraries cannot be opened.
Status open_xen_host(std::unique_ptr<TraceHost>* out);

}  // namespace vt

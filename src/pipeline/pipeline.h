// Pipeline: the stages after the source, wired in one place:
//
//   streams (one per CPU) -> sorter -> sampler -> trackers -> sample sink
//
// A Pipeline<Stream> owns the sorter over the caller's streams, the
// trackers and the sampler. step() merges what the streams hold now and
// feeds every record, in TSC order, to the trackers (closing sample periods
// as trace time passes); it returns kWait when a live stream may have more
// later, kDone at the end, kBad at a malformed record (everything before it
// was tracked). finish() closes the trace. A file is read through
// read_trace.h, which drives a Pipeline to the end; the live runtime steps
// one as records arrive. Nothing else wires these stages.
//
// Streams are sorter streams (sorter.h) that also provide
//   uint32_t cpu() const                   the hypervisor CPU they read
//   void set_filter(const xt::ClassFilter*) classes to drop unread
//   void add_stats(Stats*) const            their counters (filtered, ...)
// With `filter`, the classes no tracker reads are dropped by the streams'
// tokenizers before the merge.
//
// No allocation and no lock per record. Not thread-safe: one thread steps
// a Pipeline (the tracker thread live).
#pragma once

#include <cstdint>
#include <vector>

#include "src/samples/sampler.h"
#include "src/sorter/sorter.h"
#include "src/trackers/trackers.h"
#include "src/util/stats.h"

namespace vt {

struct PipelineOptions {
  SampleOptions samples;
  bool filter = true;  // drop the classes no tracker reads (dump sees everything)
  // How HVM exit reasons are read; kUnknown: from the trace
  // (xentrace/hvm_exits.h).
  xt::HvmVendor hvm_vendor = xt::HvmVendor::kUnknown;
  // Live: when reading began (DomainTable::reading_since); 0 for a file.
  uint64_t reading_since = 0;
};

template <class Stream>
class Pipeline {
 public:
  Pipeline(std::vector<Stream>* streams, const PipelineOptions& o)
      : streams_(*streams), sampler_(o.samples), sorter_(streams) {
    for (Stream& s : streams_) s.set_filter(o.filter ? &Trackers::unused_classes() : nullptr);
    trackers_.table.hvm_vendor = o.hvm_vendor;
    trackers_.table.reading_since = o.reading_since;
  }
  Pipeline(const Pipeline&) = delete;
  Pipeline& operator=(const Pipeline&) = delete;

  void set_sample_sink(SampleSink sink) { sampler_.set_sample_sink(std::move(sink)); }

  SortStatus step() {
    return sorter_.run([this](uint32_t i, const xt::Record& r) {
      sampler_.on_record(trackers_, streams_[i].cpu(), r);
      return true;
    });
  }
  // The same, showing each record to observe(stream index, record) before
  // the trackers apply it (vtrace dump).
  template <class Observer>
  SortStatus step(Observer&& observe) {
    return sorter_.run([&](uint32_t i, const xt::Record& r) {
      observe(i, r);
      sampler_.on_record(trackers_, streams_[i].cpu(), r);
      return true;
    });
  }

  // Closes open intervals by `rule` and emits the last (short) period.
  void finish(EndRule rule) { sampler_.finish(trackers_, rule); }

  // Records merged and tracked so far (cheap: the live silence watch asks
  // after every poll).
  uint64_t records_merged() const { return sorter_.stats()[Stat::records_merged]; }
  // The stream the sorter found malformed after kBad, else -1.
  int bad_stream() const { return sorter_.bad_stream(); }
  Trackers& trackers() { return trackers_; }
  const Trackers& trackers() const { return trackers_; }

  // Every stage's counters: the streams', the sorter's, the trackers', the
  // sampler's; records_read = merged + filtered.
  Stats stats() const {
    Stats s = sorter_.stats();
    s += trackers_.stats();
    s += sampler_.stats();
    for (const Stream& st : streams_) st.add_stats(&s);
    s[Stat::records_read] = s[Stat::records_merged] + s[Stat::records_filtered];
    return s;
  }

 private:
  std::vector<Stream>& streams_;
  Trackers trackers_;
  Sampler sampler_;
  Sorter<Stream> sorter_;
};

}  // namespace vt

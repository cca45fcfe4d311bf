#include "src/pipeline/read_trace.h"

namespace vt {

Status TraceReader::run() {
  pipe_ = std::make_unique<Pipeline<FileSource::Stream>>(&src_.streams(), opt_.pipeline);
  Pipeline<FileSource::Stream>& p = *pipe_;
  if (sink_) p.set_sample_sink(sink_);
  SortStatus st;
  if (observer_) {
    std::vector<FileSource::Stream>& streams = src_.streams();
    st = p.step([&](uint32_t i, const xt::Record& r) {
      observer_(streams[i].cpu(), streams[i].record_offset(), r, p.trackers());
    });
  } else {
    st = p.step();
  }
  const Status fault = src_.fault(st == SortStatus::kBad ? p.bad_stream() : -1);
  if (fault.ok() || opt_.finish_after_fault) {
    for (auto [cpu, tsc] : src_.cpu_last_tsc()) p.trackers().note_pcpu_last(cpu, tsc);
    p.finish(opt_.end);
  }
  stats_ = p.stats();
  stats_ += src_.stats();
  return fault;
}

const Trackers& TraceReader::trackers() const {
  static const Trackers kNone;
  return pipe_ ? pipe_->trackers() : kNone;
}

}  // namespace vt

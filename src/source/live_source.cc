#include "src/source/live_source.h"

#include <dirent.h>

#include <algorithm>
#include <cstring>
#include <fstream>

#include "xentrace/record.h"
#include "xentrace/trace_writer.h"

namespace vt {

std::string find_trace_consumers(const std::string& proc_dir) {
  std::string found;
  DIR* d = opendir(proc_dir.c_str());
  if (!d) return found;
  while (const dirent* e = readdir(d)) {
    if (e->d_name[0] < '1' || e->d_name[0] > '9') continue;  // processes only
    std::ifstream f(proc_dir + "/" + e->d_name + "/comm");
    std::string comm;
    if (!std::getline(f, comm)) continue;
    if (comm != "xentrace" && comm != "xenbaked" && comm != "xenmon") continue;
    found += (found.empty() ? "" : ", ") + comm + " (pid " + e->d_name + ")";
  }
  closedir(d);
  return found;
}

Status LiveSession::open(TraceHost* host, const LiveOptions& o) {
  close();
  host_ = host;
  uint32_t nr_cpus = 0;
  if (Status st = host_->physinfo(&nr_cpus, &hz_); !st.ok()) return st;
  notify_fd_ = host_->notify_fd();
  shared_ = notify_fd_ < 0 && host_->notify_owned_elsewhere();
  if (shared_) {
    other_ = host_->notify_owner();
    if (other_.empty()) other_ = find_trace_consumers();
    if (other_.empty()) other_ = "another trace consumer";
    if (!o.share_rings) {
      // Nothing changed yet: refusing leaves the other reader as it was.
      const std::string who = other_;
      close();
      other_ = who;
      return Status::Unavailable(who +
                                 " already reads the trace buffers (it holds VIRQ_TBUF); a ring has one "
                                 "cons, so two readers take records from each other");
    }
  }
  // Another consumer is running: keep its masks unless told otherwise.
  nr_cpus_ = nr_cpus;
  if (!shared_ || o.event_mask_given) {
    restore_evt_ = o.restore_masks && host_->get_event_mask(&found_mask_).ok();
    if (Status st = host_->set_event_mask(o.event_mask); !st.ok()) return st;
    mask_ = o.event_mask;
  }
  if (!o.trace_cpus.empty() && (!shared_ || o.event_mask_given)) {
    restore_cpus_ = o.restore_masks;
    if (Status st = host_->set_cpu_mask(o.trace_cpus); !st.ok()) return st;
  }
  TraceInfo info;
  if (Status st = host_->enable(o.pages, &info); !st.ok()) return st;
  we_enabled_ = !shared_;
  open_ = true;
  if (info.t_info_mfn == 0 || info.t_info_bytes == 0)
    return Status::Unavailable("trace buffers are not allocated (t_info MFN 0)");
  if (Status st = host_->map_t_info(info.t_info_mfn, info.t_info_bytes, &t_info_map_); !st.ok()) return st;
  t_info_bytes_ = info.t_info_bytes;
  if (Status st = xt::parse_t_info(t_info_map_, t_info_bytes_, nr_cpus, &t_info_); !st.ok()) return st;
  for (uint32_t c = 0; c < nr_cpus; ++c) {
    if (!t_info_.has_buffer(c)) continue;  // offline when the buffers were allocated
    if (!o.trace_cpus.empty() && std::find(o.trace_cpus.begin(), o.trace_cpus.end(), c) == o.trace_cpus.end())
      continue;
    std::vector<uint64_t> mfns(t_info_.pages_per_cpu);
    for (uint32_t j = 0; j < t_info_.pages_per_cpu; ++j) mfns[j] = xt::t_info_mfn(t_info_map_, t_info_, c, j);
    LiveRing r;
    r.cpu = c;
    if (Status st = host_->map_pages(mfns, &r.map); !st.ok()) return st;
    r.map_bytes = uint64_t(t_info_.pages_per_cpu) * xt::kPageBytes;
    r.ring = xt::Ring{r.map, xt::ring_data_size(t_info_.pages_per_cpu)};
    r.reclaim_cycles = uint64_t(o.reclaim_s * hz_);
    rings_.push_back(r);
  }
  if (o.discard_backlog) {
    // Rings are emptied one after the other: a vCPU's records written on
    // one CPU after it was emptied could belong to a story whose earlier
    // part, on another CPU, was thrown away. So everything older than the
    // moment the last ring was emptied is skipped as well (skip_until).
    for (LiveRing& r : rings_) {
      uint32_t dropped = 0;
      xt::ring_discard(r.ring, &dropped);
    }
    const uint64_t start = host_->now_tsc();
    for (LiveRing& r : rings_) r.skip_until = start;
  }
  if (rings_.empty()) return Status::Unavailable("no CPU has a trace buffer to read");
  reading_since_ = host_->now_tsc();
  return Status::Ok();
}

void LiveSession::close() {
  if (!host_) return;
  for (LiveRing& r : rings_)
    if (r.map) host_->unmap(r.map, r.map_bytes);
  rings_.clear();
  if (t_info_map_) host_->unmap(t_info_map_, t_info_bytes_);
  t_info_map_ = nullptr;
  if (open_ && we_enabled_) {
    (void)host_->disable();  // nothing else was reading: leave tracing off, as found
  }
  // The masks as found (best effort: a failure leaves ours, nothing else).
  if (restore_evt_) (void)host_->set_event_mask(found_mask_);
  if (restore_cpus_) {
    std::vector<uint32_t> all(nr_cpus_);
    for (uint32_t c = 0; c < nr_cpus_; ++c) all[c] = c;
    (void)host_->set_cpu_mask(all);
  }
  restore_evt_ = restore_cpus_ = false;
  open_ = false;
  we_enabled_ = false;
  host_ = nullptr;
}

Channel::Channel(uint32_t cpu, uint32_t chunks) : cpu_(cpu), full_(chunks + 1), free_(chunks + 1) {
  for (uint32_t i = 0; i < chunks; ++i) {
    pool_.push_back(std::make_unique<Chunk>());
    free_.push(pool_.back().get());
  }
}

Chunk* Channel::take_free() {
  Chunk* c = spare_;
  spare_ = nullptr;
  if (!c && !free_.pop(c)) return nullptr;
  c->len = 0;
  c->cut = false;
  return c;
}

namespace {

// Longest prefix of [p, p+n) made of whole records that fits in `room`.
uint32_t whole_records(const uint8_t* p, uint32_t n, uint32_t room) {
  if (n <= room) return n;
  uint32_t acc = 0;
  while (n - acc >= 4) {
    const uint32_t s = xt::header_size(xt::load_u32(p + acc));
    if (acc + s > room) break;
    acc += s;
  }
  return acc;
}

}  // namespace

namespace {

// The longest prefix of the first `bytes` of rd's data (first segment,
// then second) made of whole records. Each segment starts on a record and
// the first ends on one (Xen pads the ring's end).
uint32_t whole_prefix(const xt::RingRead& rd, uint32_t bytes) {
  if (bytes <= rd.first_len) return whole_records(rd.first, rd.first_len, bytes);
  return rd.first_len + whole_records(rd.second, rd.second_len, bytes - rd.first_len);
}

}  // namespace

uint32_t skip_old_records(LiveRing& r, xt::RingRead* rd) {
  if (r.skip_until == 0 || rd->state != xt::RingState::kData) return 0;
  uint32_t skipped = 0;
  for (auto [p, n] : {std::pair{&rd->first, &rd->first_len}, std::pair{&rd->second, &rd->second_len}}) {
    if (*n == 0) continue;
    xt::TokenizerState tok{*p, *p + *n};
    xt::Record rec;
    const uint8_t* at = *p;
    while (xt::next_record(&tok, &rec) == xt::TokenStatus::kRecord) {
      if (rec.has_tsc && rec.tsc >= r.skip_until) {
        r.skip_until = 0;  // from here on, everything
        break;
      }
      at = tok.pos;
    }
    const uint32_t k = uint32_t(at - *p);
    *p += k;
    *n -= k;
    skipped += k;
    if (r.skip_until == 0) break;
  }
  if (rd->first_len == 0 && rd->second_len) {  // the first span was all old
    rd->first = rd->second;
    rd->first_len = rd->second_len;
    rd->second = nullptr;
    rd->second_len = 0;
  }
  return skipped;
}

namespace {

// One reader: a valid cons other than the one this consumer left means
// another reader advanced it. The ring stays "not ours" from the drain
// before (the last time it was) until reclaim_cycles pass without another.
void watch_cons(LiveRing& r, Channel& ch, const xt::RingRead& rd, uint64_t now_tsc, uint64_t slack) {
  const bool moved =
      r.left_valid && rd.cons != r.left_cons && xt::ring_offset_valid(rd.cons, r.ring.data_size);
  if (moved) {
    const bool new_spell = r.foreign_last_tsc == 0 || now_tsc - r.foreign_last_tsc > r.reclaim_cycles;
    ++r.foreign;
    r.foreign_last_tsc = now_tsc;
    const uint64_t from =
        new_spell ? (r.last_drain_tsc > slack ? r.last_drain_tsc - slack : 0) : ch.foreign_from();
    ch.publish_not_ours();
    ch.publish_foreign(from, now_tsc);
  } else if (r.foreign_last_tsc != 0 && ch.foreign_now()) {
    if (now_tsc - r.foreign_last_tsc > r.reclaim_cycles)
      ch.publish_ours();
    else
      ch.publish_foreign(ch.foreign_from(), now_tsc);  // not ours until reclaimed
  }
  r.last_drain_tsc = now_tsc;
}

}  // namespace

void drain(LiveRing& r, Channel& ch, uint64_t now_tsc, uint64_t slack, Tee* tee) {
  xt::RingRead rd = xt::ring_read(r.ring);
  ++r.drains;
  watch_cons(r, ch, rd, now_tsc, slack);
  r.left_cons = rd.cons;  // unless a release below moves it
  r.left_valid = true;
  if (const uint32_t old = skip_old_records(r, &rd)) {
    if (xt::ring_release(r.ring, rd.cons, old))
      r.left_cons = xt::ring_advance(rd.cons, old, r.ring.data_size);
    rd.cons = xt::ring_advance(rd.cons, old, r.ring.data_size);
    r.skipped_bytes += old;
    if (rd.total() == 0) rd.state = xt::RingState::kEmpty;
  }
  switch (rd.state) {
    case xt::RingState::kEmpty: ch.publish_quiet(now_tsc > slack ? now_tsc - slack : 0); return;
    case xt::RingState::kBogusProd:
      // Nothing we may write: a bad cons would stop tracing host-wide. Retry later.
      ++r.bogus;
      r.last_bogus = rd.state;
      return;
    case xt::RingState::kBogusCons:
    case xt::RingState::kBogusSpan: {
      ++r.bogus;
      r.last_bogus = rd.state;
      uint32_t dropped = 0;
      if (xt::ring_discard(r.ring, &dropped)) {  // cons = prod: valid again
        ++r.resyncs;
        r.discarded_bytes += dropped;
      }
      r.left_valid = false;  // set to a prod loaded inside: learnt again next drain
      return;
    }
    case xt::RingState::kData: break;
  }
  uint32_t copied = 0;
  Chunk* c = nullptr;
  bool stalled = false;
  // Chunks are filled to the brim and may end inside a record, whose rest
  // opens the next chunk of the same drain (LiveStream joins the two):
  // walking every header to cut at whole records cost 17% of the consumer
  // (docs/benchmarks.md). cons still only moves to record boundaries (the
  // next reader starts there): a full chunk is pushed cut only once the
  // next one is in hand; without one the drain stalls and that chunk is
  // trimmed to its last whole record, found by walking from the drain's
  // start (only a stalled drain walks). A recording's windows hold whole
  // records, so with a tee every chunk ends at one, as before.
  const bool cut_anywhere = tee == nullptr;
  for (auto [p, n] : {std::pair{rd.first, rd.first_len}, std::pair{rd.second, rd.second_len}}) {
    uint32_t off = 0;
    while (off < n && !stalled) {
      if (!c && !(c = ch.take_free())) {
        stalled = true;
        break;
      }
      const uint32_t room = kChunkBytes - c->len;
      const uint32_t k = cut_anywhere ? std::min(n - off, room) : whole_records(p + off, n - off, room);
      if (k == 0 && cut_anywhere) {  // this chunk is full, and may end inside a record
        Chunk* next = ch.take_free();
        if (next) {
          c->cut = true;
        } else {
          const uint32_t whole = whole_prefix(rd, copied);
          c->len -= copied - whole;
          copied = whole;
          stalled = true;
        }
        ch.push_full(c);
        c = next;
        continue;
      }
      if (k == 0) {  // this chunk is full, at a record boundary
        ch.push_full(c);
        c = nullptr;
        continue;
      }
      std::memcpy(c->data + c->len, p + off, k);
      c->len += k;
      off += k;
      copied += k;
    }
  }
  if (c) {
    if (c->len)
      ch.push_full(c);
    else
      ch.keep_spare(c);
  }
  if (copied && tee) {
    const uint32_t a = std::min(copied, rd.first_len);
    MutexLock g(&tee->lock);
    if (tee->file && !xt::write_window(tee->file, r.cpu, rd.first, a, rd.second, copied - a))
      tee->failed = true;
  }
  if (copied && xt::ring_release(r.ring, rd.cons, copied))
    r.left_cons = xt::ring_advance(rd.cons, copied, r.ring.data_size);
  r.bytes += copied;
  if (stalled) {
    ++r.stalls;
    return;  // the rest stays in Xen's ring: no quiet bound
  }
  ch.publish_quiet(now_tsc > slack ? now_tsc - slack : 0);
}

void LiveRing::add_stats(Stats* s) const {
  (*s)[Stat::ring_bytes] += bytes;
  (*s)[Stat::ring_drains] += drains;
  (*s)[Stat::ring_stalls] += stalls;
  (*s)[Stat::bogus_ring_states] += bogus;
  (*s)[Stat::ring_resyncs] += resyncs;
  (*s)[Stat::resync_dropped_bytes] += discarded_bytes;
  (*s)[Stat::backlog_bytes] += skipped_bytes;
  (*s)[Stat::foreign_cons] += foreign;
}

void LiveStream::add_stats(Stats* s) const {
  (*s)[Stat::records_filtered] += tok.dropped;
  (*s)[Stat::wrap_records] += tok.wraps_skipped;
  (*s)[Stat::bad_chunks] += bad_chunks;
}

xt::TokenStatus LiveStream::next(xt::Record* r) {
  for (;;) {
    if (cur) {
      const xt::TokenStatus st = xt::next_record(&tok, r);
      if (st == xt::TokenStatus::kRecord) return st;
      if (st == xt::TokenStatus::kBad) {
        const uint32_t tail = uint32_t(tok.end - tok.pos);
        if (cur->cut && held + tail <= sizeof part) {  // the rest of this record opens the next chunk
          std::memcpy(part + held, tok.pos, tail);
          held += tail;
        } else {
          ++bad_chunks;  // cannot happen with Xen's rings; skip the rest
        }
      }
      ch->give_back(cur);
      cur = nullptr;
    }
    const uint64_t b = ch->quiet_bound();  // before the pop: see live_source.h
    if (!ch->pop_full(&cur)) {
      cur = nullptr;
      bound = b;
      return xt::TokenStatus::kEnd;
    }
    tok.pos = cur->data;
    tok.end = cur->data + cur->len;
    if (held == 0) continue;
    // Complete the record a cut chunk ended in: its header first, then its size.
    const uint32_t need = held < 4 ? 4 : xt::header_size(xt::load_u32(part));
    uint32_t take = std::min<uint32_t>(need - held, cur->len);
    std::memcpy(part + held, cur->data, take);
    held += take;
    if (held == 4 && need == 4) {  // now the header says how long it is
      const uint32_t more = std::min<uint32_t>(xt::header_size(xt::load_u32(part)) - 4, cur->len - take);
      std::memcpy(part + held, cur->data + take, more);
      held += more;
      take += more;
    }
    tok.pos = cur->data + take;
    if (held < 4 || held < xt::header_size(xt::load_u32(part))) continue;  // a chunk shorter still: next one
    // One record, tokenized where it was joined (the tokenizer's TSC and
    // filter go on from it); the chunk after it next time.
    const uint8_t* const pos = tok.pos;
    tok.pos = part;
    tok.end = part + held;
    held = 0;
    const xt::TokenStatus st = xt::next_record(&tok, r);
    tok.pos = pos;
    tok.end = cur->data + cur->len;
    if (st == xt::TokenStatus::kRecord) return st;  // else padding or filtered: go on in the chunk
  }
}

}  // namespace vt

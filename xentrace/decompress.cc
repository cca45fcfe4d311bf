#include "xentrace/decompress.h"

#include <lzma.h>
#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <cstring>

namespace xt {
namespace {

// The decoded image grows in place; the decoder writes into the room past
// `used`, which becomes the buffer's size at the end.
struct Out {
  ByteBuffer* b;
  uint64_t base;  // bytes already in *b before this call
  uint64_t used;  // bytes of *b in use, base included
  uint64_t max_out;
  bool no_memory = false;

  // One past the last byte the decoder may write: max_out plus one byte, so
  // that a stream of exactly max_out bytes can finish (saturating).
  uint64_t end() const { return max_out >= UINT64_MAX - base - 1 ? UINT64_MAX : base + max_out + 1; }

  // Room for at least `want` more bytes, or whatever room is left near the
  // limit or when memory and disk run short; false once past max_out or
  // with no room at all.
  bool reserve(uint64_t want, uint64_t hint) {
    if (used - base > max_out) return false;
    if (b->capacity() - used >= want) return true;
    b->set_size(used);  // what the buffer keeps when it moves (into a file, say)
    const uint64_t n = std::min(std::max(used + want, base + std::min(hint, max_out)), end());
    // The hinted size at once if it can be had, else the next call's, else
    // any room at all (reserve(used + 1) holds if some is left already).
    if (b->reserve(n) || b->reserve(std::min(used + want, end())) || b->reserve(used + 1)) return true;
    no_memory = true;
    return false;
  }
  uint8_t* at() { return b->data() + used; }
  uint64_t room() const {
    return std::min<uint64_t>({b->capacity() - used, end() - used, uint64_t(1) << 30});
  }
  void finish() { b->set_size(std::min(used, end() == UINT64_MAX ? used : end() - 1)); }
};

DecodeStatus fail(uint64_t off, std::string what) { return {false, off, std::move(what)}; }

DecodeStatus over_limit(Codec c, uint64_t off, const Out& o) {
  if (o.no_memory)
    return fail(off, std::string(codec_name(c)) + ": no room for more than " +
                         std::to_string(o.used - o.base) + " decoded bytes (" + o.b->error() + ")");
  return fail(off, std::string(codec_name(c)) + " data decodes to more than " + std::to_string(o.max_out) +
                       " bytes (the limit)");
}

// The decoded size the container declares, for the first allocation (0
// if it does not say: the image then grows by doubling). Not trusted
// beyond 16x the input: a damaged gzip trailer could ask for 4 GB.
uint64_t size_hint(Codec c, const uint8_t* d, uint64_t n) {
  uint64_t s = 0;
  if (c == Codec::kZstd) {
    const unsigned long long z = ZSTD_getFrameContentSize(d, n);
    if (z != ZSTD_CONTENTSIZE_UNKNOWN && z != ZSTD_CONTENTSIZE_ERROR) s = z;
  } else if (c == Codec::kGzip && n >= 18) {
    uint32_t isize;  // the last member's size mod 2^32
    std::memcpy(&isize, d + n - 4, 4);
    if (isize >= n) s = isize;
  }
  return std::min(s, n * 16);
}

DecodeStatus decode_zstd(const uint8_t* d, uint64_t n, Out* o) {
  ZSTD_DCtx* z = ZSTD_createDCtx();
  if (z == nullptr) return fail(0, "zstd: cannot allocate a decoder");
  const uint64_t hint = size_hint(Codec::kZstd, d, n);
  ZSTD_inBuffer in{d, size_t(n), 0};
  size_t r = 1;  // 0 once a frame is complete and flushed
  DecodeStatus st;
  for (;;) {
    if (!o->reserve(ZSTD_DStreamOutSize(), hint)) {
      st = over_limit(Codec::kZstd, in.pos, *o);
      break;
    }
    // One block's worth a call: given room for a whole frame, zstd decodes
    // it in one go and, on a checksum error, keeps none of it.
    ZSTD_outBuffer out{o->at(), size_t(std::min<uint64_t>(o->room(), ZSTD_DStreamOutSize())), 0};
    r = ZSTD_decompressStream(z, &out, &in);
    o->used += out.pos;
    if (ZSTD_isError(r)) {
      st = fail(in.pos, std::string("zstd data corrupt: ") + ZSTD_getErrorName(r));
      break;
    }
    if (in.pos == in.size) {
      if (r == 0) break;         // the last frame is complete and flushed
      if (out.pos < out.size) {  // room left, yet the frame wants more input
        st = fail(n, "zstd data ends early (truncated)");
        break;
      }
    }
  }
  ZSTD_freeDCtx(z);
  return st;
}

bool gzip_member_starts(const uint8_t* d, uint64_t n, uint64_t at) {
  return n - at >= 2 && d[at] == 0x1f && d[at + 1] == 0x8b;
}

DecodeStatus decode_gzip(const uint8_t* d, uint64_t n, Out* o) {
  z_stream s;
  std::memset(&s, 0, sizeof s);
  if (inflateInit2(&s, 15 + 16) != Z_OK) return fail(0, "gzip: cannot allocate a decoder");
  const uint64_t hint = size_hint(Codec::kGzip, d, n);
  uint64_t pos = 0;  // compressed bytes consumed
  DecodeStatus st;
  for (;;) {
    if (!o->reserve(64 * 1024, hint)) {
      st = over_limit(Codec::kGzip, pos, *o);
      break;
    }
    s.next_in = const_cast<Bytef*>(d + pos);
    s.avail_in = uInt(std::min<uint64_t>(n - pos, uint64_t(1) << 30));
    const uint64_t room = o->room();
    s.next_out = o->at();
    s.avail_out = uInt(room);
    const int r = inflate(&s, Z_NO_FLUSH);
    pos = uint64_t(s.next_in - d);
    o->used += room - s.avail_out;
    if (r == Z_STREAM_END) {
      if (pos == n) break;
      // Zero padding after the last member (tape blocks) is allowed, as gzip -d does.
      if (std::all_of(d + pos, d + n, [](uint8_t c) { return c == 0; })) break;
      if (!gzip_member_starts(d, n, pos)) {  // another member may follow, nothing else
        st = fail(pos, "gzip: bytes after the end of the compressed data");
        break;
      }
      inflateReset(&s);
      continue;
    }
    if (r == Z_OK) continue;
    if (r == Z_BUF_ERROR && pos == n) {  // wants input that is not there
      st = fail(n, "gzip data ends early (truncated)");
      break;
    }
    if (r == Z_BUF_ERROR) continue;  // output was full
    st = fail(pos, std::string("gzip data corrupt: ") + (s.msg != nullptr ? s.msg : "inflate failed"));
    break;
  }
  inflateEnd(&s);
  return st;
}

const char* lzma_error(lzma_ret r) {
  switch (r) {
    case LZMA_FORMAT_ERROR: return "not xz data";
    case LZMA_OPTIONS_ERROR: return "unsupported options";
    case LZMA_DATA_ERROR: return "corrupt data";
    case LZMA_MEM_ERROR: return "out of memory";
    case LZMA_MEMLIMIT_ERROR: return "memory limit reached";
    default: return "decoder error";
  }
}

DecodeStatus decode_xz(const uint8_t* d, uint64_t n, Out* o) {
  lzma_stream s = LZMA_STREAM_INIT;
  if (lzma_stream_decoder(&s, UINT64_MAX, LZMA_CONCATENATED) != LZMA_OK)
    return fail(0, "xz: cannot allocate a decoder");
  const uint64_t hint = size_hint(Codec::kXz, d, n);
  s.next_in = d;
  s.avail_in = size_t(n);
  DecodeStatus st;
  for (;;) {
    if (!o->reserve(64 * 1024, hint)) {
      st = over_limit(Codec::kXz, n - s.avail_in, *o);
      break;
    }
    const uint64_t room = o->room();
    s.next_out = o->at();
    s.avail_out = size_t(room);
    const lzma_ret r = lzma_code(&s, s.avail_in == 0 ? LZMA_FINISH : LZMA_RUN);
    o->used += room - s.avail_out;
    if (r == LZMA_STREAM_END) break;
    if (r == LZMA_OK) continue;
    if (r == LZMA_BUF_ERROR) {  // no progress: the input ended inside a stream
      st = fail(n, "xz data ends early (truncated)");
      break;
    }
    st =
        fail(n - s.avail_in, std::string(r == LZMA_MEM_ERROR ? "xz: " : "xz data corrupt: ") + lzma_error(r));
    break;
  }
  lzma_end(&s);
  return st;
}

}  // namespace

Codec detect_codec(const uint8_t* d, uint64_t n) {
  if (n >= 4 && d[1] == 0x2a && d[2] == 0x4d && d[3] == 0x18 && (d[0] & 0xf0) == 0x50)
    return Codec::kZstd;  // a skippable frame first
  if (n >= 4 && d[0] == 0x28 && d[1] == 0xb5 && d[2] == 0x2f && d[3] == 0xfd) return Codec::kZstd;
  if (n >= 2 && d[0] == 0x1f && d[1] == 0x8b) return Codec::kGzip;
  static const uint8_t kXzMagic[6] = {0xfd, '7', 'z', 'X', 'Z', 0x00};
  if (n >= 6 && std::memcmp(d, kXzMagic, 6) == 0) return Codec::kXz;
  return Codec::kNone;
}

const char* undecoded_format(const uint8_t* d, uint64_t n) {
  if (n >= 4 && d[0] == 'B' && d[1] == 'Z' && d[2] == 'h' && d[3] >= '1' && d[3] <= '9') return "bzip2";
  if (n >= 4 && d[0] == 0x04 && d[1] == 0x22 && d[2] == 0x4d && d[3] == 0x18) return "lz4";
  if (n >= 4 && std::memcmp(d, "LZIP", 4) == 0) return "lzip";
  return nullptr;
}

const char* codec_name(Codec c) {
  switch (c) {
    case Codec::kZstd: return "zstd";
    case Codec::kGzip: return "gzip";
    case Codec::kXz: return "xz";
    case Codec::kNone: break;
  }
  return "none";
}

DecodeStatus decompress(Codec c, const uint8_t* data, uint64_t size, ByteBuffer* out, uint64_t max_out) {
  Out o{out, out->size(), out->size(), max_out};
  DecodeStatus st;
  switch (c) {
    case Codec::kZstd: st = decode_zstd(data, size, &o); break;
    case Codec::kGzip: st = decode_gzip(data, size, &o); break;
    case Codec::kXz: st = decode_xz(data, size, &o); break;
    case Codec::kNone: st = fail(0, "not compressed data"); break;
  }
  if (st.ok && o.used - o.base > max_out) st = over_limit(c, size, o);
  o.finish();
  return st;
}

}  // namespace xt

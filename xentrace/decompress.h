// Compressed trace files: zstd, gzip and xz, told apart by their magic
// bytes (never by the file name), decoded whole into memory.
//
// Trace archives are kept compressed (a xentrace file shrinks 4-8x), so
// every command reads them as they are. decompress() appends the decoded
// bytes to *out and handles concatenated frames or members (`cat a.zst
// b.zst`, `pigz`). A truncated or corrupt stream keeps everything decoded
// before the fault, so the trace up to there can still be reported; the
// result names the compressed byte where decoding stopped.
#pragma once

#include <cstdint>
#include <string>

#include "xentrace/byte_buffer.h"

namespace xt {

enum class Codec { kNone, kZstd, kGzip, kXz };

// kNone unless the bytes start with a codec's magic.
Codec detect_codec(const uint8_t* data, uint64_t size);
const char* codec_name(Codec c);  // "zstd", "gzip", "xz"; "none"
// "bzip2", "lz4" or "lzip" if the bytes start like one of these formats,
// which are not decoded here (so that the error can say so); else null.
const char* undecoded_format(const uint8_t* data, uint64_t size);

struct DecodeStatus {
  bool ok = true;
  uint64_t in_offset = 0;  // compressed byte where decoding stopped, when !ok
  std::string what;        // e.g. "zstd data ends early (truncated)", when !ok
};

// Decodes the whole of [data, data + size) with codec `c` (not kNone) and
// appends it to *out. Stops with !ok once it would append more than
// max_out bytes, or when memory runs out.
DecodeStatus decompress(Codec c, const uint8_t* data, uint64_t size, ByteBuffer* out,
                        uint64_t max_out = UINT64_MAX);

}  // namespace xt

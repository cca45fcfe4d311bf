// The decoders against files written by the zstd, gzip and xz command-line
// tools (tests/data/xen417-dom0-all-10s.xtr.{zst,gz,xz}): the decoded bytes
// must be the original trace's, byte for byte, and a cut, corrupt or
// over-long stream must keep what came before its fault.
#include "xentrace/decompress.h"

#include <cstdlib>
#include <fstream>
#include <gtest/gtest.h>
#include <iterator>

#include "xentrace/mapped_file.h"

namespace {

const std::string kDir = VTRACE_TEST_DATA;

std::vector<uint8_t> slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  EXPECT_TRUE(f.good()) << path;
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

std::vector<uint8_t> bytes(const xt::ByteBuffer& b) { return {b.data(), b.data() + b.size()}; }

bool is_prefix(const std::vector<uint8_t>& a, const std::vector<uint8_t>& whole) {
  return a.size() <= whole.size() && std::equal(a.begin(), a.end(), whole.begin());
}

// TMPDIR names a directory that does not exist while in scope: the
// buffer's temporary file cannot be made.
struct NoTempDir {
  NoTempDir() {
    if (const char* d = std::getenv("TMPDIR")) saved = d, had = true;
    setenv("TMPDIR", "/nonexistent-vtrace-dir", 1);
  }
  ~NoTempDir() { had ? setenv("TMPDIR", saved.c_str(), 1) : unsetenv("TMPDIR"); }
  std::string saved;
  bool had = false;
};

struct Case {
  const char* ext;
  xt::Codec codec;
};
const Case kCases[] = {{"zst", xt::Codec::kZstd}, {"gz", xt::Codec::kGzip}, {"xz", xt::Codec::kXz}};

class Decompress : public testing::TestWithParam<Case> {
 protected:
  void SetUp() override {
    raw = slurp(kDir + "/xen417-dom0-all-10s.xtr");
    packed = slurp(kDir + "/xen417-dom0-all-10s.xtr." + GetParam().ext);
    ASSERT_EQ(raw.size(), 388748u);
    ASSERT_GT(packed.size(), 1000u);
  }
  // Decodes `in`; the decoded bytes in *out.
  xt::DecodeStatus decode(const std::vector<uint8_t>& in, std::vector<uint8_t>* out,
                          uint64_t max_out = UINT64_MAX) {
    xt::ByteBuffer b;
    const xt::DecodeStatus st = xt::decompress(GetParam().codec, in.data(), in.size(), &b, max_out);
    *out = bytes(b);
    return st;
  }
  std::vector<uint8_t> raw, packed;
};

TEST_P(Decompress, KnowsItsMagicAndNotATrace) {
  EXPECT_EQ(xt::detect_codec(packed.data(), packed.size()), GetParam().codec);
  EXPECT_EQ(xt::detect_codec(raw.data(), raw.size()), xt::Codec::kNone);
  EXPECT_EQ(xt::detect_codec(packed.data(), 1), xt::Codec::kNone);  // too short to tell
}

TEST_P(Decompress, WholeFileIsTheTraceByteForByte) {
  std::vector<uint8_t> out;
  const xt::DecodeStatus st = decode(packed, &out);
  EXPECT_TRUE(st.ok) << st.what;
  EXPECT_EQ(out, raw);
}

TEST_P(Decompress, AppendsAfterWhatIsThere) {
  xt::ByteBuffer b;
  const uint8_t head[3] = {1, 2, 3};
  ASSERT_TRUE(b.append(head, 3));
  ASSERT_TRUE(xt::decompress(GetParam().codec, packed.data(), packed.size(), &b).ok);
  const std::vector<uint8_t> out = bytes(b);
  ASSERT_EQ(out.size(), raw.size() + 3);
  EXPECT_EQ(out[2], 3);
  EXPECT_TRUE(std::equal(raw.begin(), raw.end(), out.begin() + 3));
}

// `cat a.zst b.zst` is a valid zstd file (and the same for gzip and xz).
TEST_P(Decompress, ConcatenatedStreamsDecodeToBothTraces) {
  std::vector<uint8_t> two = packed;
  two.insert(two.end(), packed.begin(), packed.end());
  std::vector<uint8_t> out;
  const xt::DecodeStatus st = decode(two, &out);
  EXPECT_TRUE(st.ok) << st.what;
  ASSERT_EQ(out.size(), 2 * raw.size());
  EXPECT_TRUE(std::equal(raw.begin(), raw.end(), out.begin()));
  EXPECT_TRUE(std::equal(raw.begin(), raw.end(), out.begin() + raw.size()));
}

TEST_P(Decompress, TruncatedKeepsAPrefixAndSaysWhere) {
  for (size_t cut : {packed.size() / 2, packed.size() - 1}) {
    std::vector<uint8_t> half(packed.begin(), packed.begin() + cut);
    std::vector<uint8_t> out;
    const xt::DecodeStatus st = decode(half, &out);
    EXPECT_FALSE(st.ok);
    EXPECT_EQ(st.in_offset, cut);
    EXPECT_NE(st.what.find("truncated"), std::string::npos) << st.what;
    EXPECT_NE(st.what.find(xt::codec_name(GetParam().codec)), std::string::npos) << st.what;
    EXPECT_TRUE(is_prefix(out, raw));
    if (cut == packed.size() / 2) {
      EXPECT_GT(out.size(), raw.size() / 4);  // most of the first half survives
    }
  }
}

TEST_P(Decompress, CorruptMiddleIsCaughtAndNamed) {
  std::vector<uint8_t> bad = packed;
  bad[bad.size() / 2] ^= 0xff;
  std::vector<uint8_t> out;
  const xt::DecodeStatus st = decode(bad, &out);
  EXPECT_FALSE(st.ok);
  EXPECT_NE(st.what.find("corrupt"), std::string::npos) << st.what;
  EXPECT_LE(st.in_offset, bad.size());
}

TEST_P(Decompress, BytesAfterTheStreamAreAFaultAfterAllOfIt) {
  std::vector<uint8_t> tail = packed;
  const std::string junk = "this is not compressed data";
  tail.insert(tail.end(), junk.begin(), junk.end());
  std::vector<uint8_t> out;
  const xt::DecodeStatus st = decode(tail, &out);
  EXPECT_FALSE(st.ok);
  EXPECT_GE(st.in_offset, packed.size());
  EXPECT_EQ(out, raw);
}

TEST_P(Decompress, StopsAtTheLimitWithWhatFits) {
  std::vector<uint8_t> out;
  const xt::DecodeStatus st = decode(packed, &out, 100000);
  EXPECT_FALSE(st.ok);
  EXPECT_NE(st.what.find("more than 100000 bytes"), std::string::npos) << st.what;
  EXPECT_EQ(out.size(), 100000u);
  EXPECT_TRUE(is_prefix(out, raw));
  // Exactly the decoded size is within the limit.
  std::vector<uint8_t> exact;
  EXPECT_TRUE(decode(packed, &exact, raw.size()).ok);
  EXPECT_EQ(exact, raw);
}

// A stream that outgrows the memory limit mid-way (the first allocation,
// from the first frame's declared size, fits under it) moves into a file
// with everything decoded so far: 20 frames of the trace, one after the
// other, are the trace 20 times.
TEST(DecompressSpill, MovesToAFileMidwayWithEveryByte) {
  const std::vector<uint8_t> raw = slurp(kDir + "/xen417-dom0-all-10s.xtr");
  for (const char* ext : {"zst", "gz"}) {
    SCOPED_TRACE(ext);
    const std::vector<uint8_t> one = slurp(kDir + "/xen417-dom0-all-10s.xtr." + ext);
    std::vector<uint8_t> twenty;
    for (int i = 0; i < 20; ++i) twenty.insert(twenty.end(), one.begin(), one.end());
    xt::ByteBuffer b(4u << 20);
    const xt::DecodeStatus st =
        xt::decompress(xt::detect_codec(one.data(), one.size()), twenty.data(), twenty.size(), &b);
    ASSERT_TRUE(st.ok) << st.what << " " << b.error();
    EXPECT_TRUE(b.spilled());
    ASSERT_EQ(b.size(), 20 * raw.size());
    for (int i = 0; i < 20; ++i)
      ASSERT_TRUE(std::equal(raw.begin(), raw.end(), b.data() + i * raw.size())) << "copy " << i;
  }
}

// gzip -d takes zero bytes after the last member (tape padding) without
// complaint; so do we. Anything else after it is a fault.
TEST(DecompressGzip, ZeroPaddingAfterTheLastMemberIsAccepted) {
  const std::vector<uint8_t> raw = slurp(kDir + "/xen417-dom0-all-10s.xtr");
  std::vector<uint8_t> gz = slurp(kDir + "/xen417-dom0-all-10s.xtr.gz");
  gz.resize(gz.size() + 512, 0);
  xt::ByteBuffer b;
  const xt::DecodeStatus st = xt::decompress(xt::Codec::kGzip, gz.data(), gz.size(), &b);
  EXPECT_TRUE(st.ok) << st.what;
  EXPECT_EQ(bytes(b), raw);
  gz.back() = 1;
  xt::ByteBuffer c;
  EXPECT_FALSE(xt::decompress(xt::Codec::kGzip, gz.data(), gz.size(), &c).ok);
  EXPECT_EQ(bytes(c), raw);
}

// A damaged gzip trailer declares 1.6 GB ("data" as a size): the first
// allocation must not believe it.
TEST(DecompressHint, DoesNotTrustADeclaredSizeFarPastTheInput) {
  const std::vector<uint8_t> gz = slurp(kDir + "/xen417-dom0-all-10s.xtr.gz");
  std::vector<uint8_t> tail = gz;
  for (char c : std::string("no gzip data")) tail.push_back(uint8_t(c));
  xt::ByteBuffer b;
  EXPECT_FALSE(xt::decompress(xt::Codec::kGzip, tail.data(), tail.size(), &b).ok);
  EXPECT_EQ(b.size(), 388748u);
  EXPECT_LE(b.capacity(), 16 * tail.size() + (2u << 20));
}

// Nowhere to go past the memory limit (no such directory for the file):
// every codec keeps what fits under the limit, a prefix of the trace.
TEST_P(Decompress, NoRoomPastTheLimitKeepsWhatFits) {
  const NoTempDir no_temp_dir;
  xt::ByteBuffer b(100000);
  const xt::DecodeStatus st = xt::decompress(GetParam().codec, packed.data(), packed.size(), &b);
  EXPECT_FALSE(st.ok);
  EXPECT_NE(st.what.find("/nonexistent-vtrace-dir: No such file or directory"), std::string::npos) << st.what;
  EXPECT_GE(b.size(), 90000u);
  EXPECT_LE(b.size(), 100000u);
  EXPECT_TRUE(is_prefix(bytes(b), raw));
}

INSTANTIATE_TEST_SUITE_P(Codecs, Decompress, testing::ValuesIn(kCases),
                         [](const testing::TestParamInfo<Case>& i) { return std::string(i.param.ext); });

// Growth keeps what is there (the buffer moves when it is remapped).
TEST(ByteBuffer, GrowsKeepingItsBytes) {
  xt::ByteBuffer b;
  EXPECT_TRUE(b.empty());
  std::vector<uint8_t> want;
  for (uint32_t i = 0; i < 5000; ++i) {
    uint8_t chunk[1021];
    for (size_t k = 0; k < sizeof chunk; ++k) chunk[k] = uint8_t(i * 31 + k);
    ASSERT_TRUE(b.append(chunk, sizeof chunk));
    want.insert(want.end(), chunk, chunk + sizeof chunk);
  }
  EXPECT_EQ(b.size(), want.size());
  EXPECT_GE(b.capacity(), b.size());
  EXPECT_EQ(bytes(b), want);
  xt::ByteBuffer moved = std::move(b);
  EXPECT_EQ(b.size(), 0u);
  EXPECT_EQ(bytes(moved), want);
  moved.release();
  EXPECT_EQ(moved.capacity(), 0u);
}

// Past its memory limit the buffer moves into a temporary file and goes on
// growing there, its bytes intact.
TEST(ByteBuffer, SpillsToATemporaryFilePastItsLimit) {
  xt::ByteBuffer b(4u << 20);
  std::vector<uint8_t> want;
  for (uint32_t i = 0; i < 20000; ++i) {
    uint8_t chunk[1021];
    for (size_t k = 0; k < sizeof chunk; ++k) chunk[k] = uint8_t(i * 7 + k);
    ASSERT_TRUE(b.append(chunk, sizeof chunk)) << b.error();
    want.insert(want.end(), chunk, chunk + sizeof chunk);
    if (want.size() < (4u << 20) - sizeof chunk) {
      ASSERT_FALSE(b.spilled());
    }
  }
  EXPECT_TRUE(b.spilled());
  EXPECT_EQ(bytes(b), want);
}

// A limit under one huge page still keeps what fits in memory.
TEST(ByteBuffer, SmallLimitKeepsWhatFitsInMemory) {
  xt::ByteBuffer b(100000);
  const std::vector<uint8_t> chunk(90000, 0x5c);
  ASSERT_TRUE(b.append(chunk.data(), chunk.size()));
  EXPECT_FALSE(b.spilled());
  EXPECT_LE(b.capacity(), 100000u);
  ASSERT_TRUE(b.append(chunk.data(), chunk.size())) << b.error();
  EXPECT_TRUE(b.spilled());
  EXPECT_EQ(b.size(), 180000u);
  EXPECT_EQ(b.data()[179999], 0x5c);
}

// No room (here: no such directory) is a failed reserve that names the
// place and keeps what the buffer held.
TEST(ByteBuffer, NoRoomForTheFileIsAnErrorNotACrash) {
  const NoTempDir no_temp_dir;
  xt::ByteBuffer b(2u << 20);
  const std::vector<uint8_t> head(1000, 0xab);
  ASSERT_TRUE(b.append(head.data(), head.size()));
  EXPECT_FALSE(b.reserve(10u << 20));
  EXPECT_NE(b.error().find("/nonexistent-vtrace-dir: No such file or directory"), std::string::npos)
      << b.error();
  EXPECT_EQ(bytes(b), head);
}

TEST(DecodeMemoryLimit, ReadsTheVariable) {
  uint64_t limit = 0;
  setenv("VTRACE_DECODE_MEMORY", "3M", 1);
  vt::Status st = xt::decode_memory_limit(&limit);
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_EQ(limit, 3u << 20);
  setenv("VTRACE_DECODE_MEMORY", "12345", 1);
  ASSERT_TRUE(xt::decode_memory_limit(&limit).ok());
  EXPECT_EQ(limit, 12345u);
  for (const char* bad : {"lots", "3T", "-1", " -1", " 5", "1MB", "99999999999999999999"}) {
    setenv("VTRACE_DECODE_MEMORY", bad, 1);
    st = xt::decode_memory_limit(&limit);
    EXPECT_FALSE(st.ok()) << bad;
    EXPECT_EQ(st.code(), vt::Status::Code::kInvalidArgument) << bad;
    EXPECT_NE(st.message().find("VTRACE_DECODE_MEMORY: '"), std::string::npos) << st.message();
  }
  unsetenv("VTRACE_DECODE_MEMORY");
  ASSERT_TRUE(xt::decode_memory_limit(&limit).ok());
  EXPECT_GE(limit, uint64_t(64) << 20);
}

// MappedFile decodes on open; a plain file stays a plain mapping.
TEST(MappedFile, OpensCompressedFilesAsTheirTrace) {
  const std::vector<uint8_t> raw = slurp(kDir + "/xen417-dom0-all-10s.xtr");
  for (const Case& c : kCases) {
    xt::MappedFile m;
    const vt::Status st = m.open(kDir + "/xen417-dom0-all-10s.xtr." + c.ext);
    ASSERT_TRUE(st.ok()) << st.message();
    EXPECT_EQ(m.codec(), c.codec);
    EXPECT_TRUE(m.decode_status().ok);
    ASSERT_EQ(m.size(), raw.size());
    EXPECT_TRUE(std::equal(raw.begin(), raw.end(), m.data()));
  }
  xt::MappedFile plain;
  const vt::Status st = plain.open(kDir + "/xen417-dom0-all-10s.xtr");
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_EQ(plain.codec(), xt::Codec::kNone);
  EXPECT_EQ(plain.size(), raw.size());
}

}  // namespace

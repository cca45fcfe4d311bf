// replicate-trace IN OUT COPIES: writes COPIES back-to-back copies of a real
// xentrace file with shifted TSCs (see replicate.h); prints the record count.
#include <cstdio>
#include <cstdlib>
#include <string>

#include "bench/replicate.h"
#include "xentrace/mapped_file.h"

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: replicate-trace IN OUT COPIES\n");
    return 2;
  }
  xt::MappedFile in;
  if (const vt::Status st = in.open(argv[1]); !st.ok()) {
    std::fprintf(stderr, "replicate-trace: %s\n", st.message().c_str());
    return 1;
  }
  const long copies = std::strtol(argv[3], nullptr, 10);
  if (copies < 1 || copies > 100000) {
    std::fprintf(stderr, "replicate-trace: COPIES must be 1..100000\n");
    return 2;
  }
  uint64_t per = 0;
  std::vector<uint8_t> img = vt::bench::replicate_trace(in.data(), in.size(), uint32_t(copies), &per);
  if (img.empty()) {
    std::fprintf(stderr, "replicate-trace: %s is not a clean trace\n", argv[1]);
    return 1;
  }
  std::FILE* f = std::fopen(argv[2], "wb");
  if (!f || std::fwrite(img.data(), 1, img.size(), f) != img.size() || std::fclose(f) != 0) {
    std::fprintf(stderr, "replicate-trace: cannot write %s\n", argv[2]);
    return 1;
  }
  std::printf("%llu\n", (unsigned long long)(per * uint64_t(copies)));
  return 0;
}

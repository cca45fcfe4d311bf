// Writes xentrace files: each window is a CPU-change record [cpu, size]
// followed by `size` bytes of that CPU's raw records, exactly as xentrace
// lays them out (see trace_file.h for the reader).
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace xt {

// Appends one window to an in-memory file image.
void append_window(std::vector<uint8_t>* out, uint32_t cpu, const uint8_t* data, uint32_t size);

// Appends one window, possibly given in two pieces (a ring read that wraps),
// to a stdio stream. Returns false on a write error.
bool write_window(std::FILE* f, uint32_t cpu, const uint8_t* a, uint32_t a_len, const uint8_t* b,
                  uint32_t b_len);

}  // namespace xt

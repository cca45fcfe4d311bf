// Whole small files (labels, models, tables) read into memory.
#pragma once

#include <string>

#include "src/util/status.h"

namespace vt {

// Reads all of `path`; kIoError naming the path on failure.
Status read_text_file(const std::string& path, std::string* out);

}  // namespace vt

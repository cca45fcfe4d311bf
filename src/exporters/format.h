// The output formats the exporters write.
#pragma once

#include <string>

#include "src/util/status.h"

namespace vt {

enum class Format { kTable, kCsv, kJson };

const char* format_name(Format f);  // "table", "csv", "json"
// kInvalidArgument "'x' is not one of table, csv, json".
Status parse_format(const std::string& s, Format* f);

}  // namespace vt

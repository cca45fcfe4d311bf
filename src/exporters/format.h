// Output formats shared by the exporters, and the small escaping helpers
// they need.
#pragma once

#include <cstdio>
#include <string>

namespace vt {

enum class Format { kTable, kCsv, kJson };

// "table", "csv" or "json".
bool parse_format(const std::string& s, Format* out);

// A JSON string literal (quotes included).
std::string json_string(const std::string& s);

}  // namespace vt

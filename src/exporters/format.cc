#include "src/exporters/format.h"

namespace vt {

bool parse_format(const std::string& s, Format* out) {
  if (s == "table") *out = Format::kTable;
  else if (s == "csv") *out = Format::kCsv;
  else if (s == "json") *out = Format::kJson;
  else return false;
  return true;
}

std::string json_string(const std::string& s) {
  std::string r = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"': r += "\\\""; break;
      case '\\': r += "\\\\"; break;
      case '\n': r += "\\n"; break;
      case '\t': r += "\\t"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          r += buf;
        } else {
          r += char(c);
        }
    }
  }
  return r + "\"";
}

}  // namespace vt

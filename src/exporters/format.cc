#include "src/exporters/format.h"

namespace vt {

const char* format_name(Format f) {
  switch (f) {
    case Format::kTable: return "table";
    case Format::kCsv: return "csv";
    case Format::kJson: return "json";
  }
  return "?";
}

Status parse_format(const std::string& s, Format* f) {
  for (Format x : {Format::kTable, Format::kCsv, Format::kJson}) {
    if (s == format_name(x)) {
      *f = x;
      return Status::Ok();
    }
  }
  return Status::InvalidArgument("'" + s + "' is not one of table, csv, json");
}

}  // namespace vt

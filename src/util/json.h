// The small piece of JSON writing that the exporters and the verdict lines
// share: string literals.
#pragma once

#include <string>

namespace vt {

// A JSON string literal, quotes included; control characters escaped.
std::string json_string(const std::string& s);

}  // namespace vt

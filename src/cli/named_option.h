// Flags whose values are names (an enum, or a choice of a few), bound to a
// variable through the library's own parser and name function, so that a
// bad name gets the library's one message ("--prune: 'x' is not one of cv,
// train, none") and --help shows the variable's default by name.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string>
#include <type_traits>

#include "src/util/status.h"
#include "xentrace/hvm_exits.h"

namespace vt {

// CLI11 turns the name into the value with `parse`; --help shows *var's
// initial value by `name`.
template <class T>
CLI::Option* add_named_option(CLI::App* cmd, const std::string& flag, T* var, const std::string& help,
                              std::function<Status(const std::string&, T*)> parse,
                              std::function<std::string(T)> name) {
  const CLI::Validator to_value(
      [parse](std::string& s) {
        T v{};
        const Status st = parse(s, &v);
        if (!st.ok()) return st.message();
        if constexpr (std::is_enum_v<T>)
          s = std::to_string(static_cast<std::underlying_type_t<T>>(v));
        else
          s = std::to_string(int(v));
        return std::string();
      },
      "");
  return cmd->add_option(flag, *var, help)
      ->type_name("NAME")
      ->transform(to_value)
      ->default_function([var, name] { return name(*var); })
      ->capture_default_str();
}

// --hvm-vendor auto|svm|vmx: how HVM exit reasons are read.
inline void add_hvm_vendor_flag(CLI::App* cmd, xt::HvmVendor* v, const std::string& auto_means) {
  add_named_option<xt::HvmVendor>(
      cmd, "--hvm-vendor", v, "how HVM exit reasons are read: svm, vmx, or auto (" + auto_means + ")",
      [](const std::string& s, xt::HvmVendor* out) {
        return xt::parse_hvm_vendor(s.c_str(), out)
                   ? Status::Ok()
                   : Status::InvalidArgument("'" + s + "' is not one of auto, svm, vmx");
      },
      [](xt::HvmVendor x) {
        return std::string(x == xt::HvmVendor::kUnknown ? "auto" : xt::hvm_vendor_name(x));
      });
}

}  // namespace vt

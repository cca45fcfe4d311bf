// Parsing of command-line values that are part of vtrace's interface, as
// plain functions so they are unit-tested without a command line. Each
// returns false with a one-line reason naming the flag.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace vt {

constexpr double kDefaultCpuHz = 2.4e9;  // xenalyze's default, used when none is given

// "2445406000", "2.445406G", "2445.406M", "2445406k" (K/M/G, either case).
bool parse_hz(const std::string& s, double* hz, std::string* err);

// "0-3", "0,2,4-7": CPU numbers, sorted, without duplicates.
bool parse_cpu_list(const std::string& s, std::vector<uint32_t>* cpus, std::string* err);

}  // namespace vt

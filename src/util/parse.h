// Parsing of values that are part of vtrace's interface (command-line
// flags, configuration, data-set columns), as plain functions so that they
// are unit-tested without a command line. A failure is kInvalidArgument
// with a message naming the value, never the flag: callers add that.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "src/util/status.h"

namespace vt {

// A TSC frequency: "2445406000", "2.445406G", "2445.406M", "2445406k"
// (K/M/G, either case), between 1 MHz and 100 GHz.
Status parse_hz(const std::string& s, double* hz);

// A CPU list: "0-3", "0,2,4-7": CPU numbers below 4096, sorted, without
// duplicates.
Status parse_cpu_list(const std::string& s, std::vector<uint32_t>* cpus);

// A Xen event mask: a number (0x prefix for hex) in 1..0x0fffffff.
Status parse_event_mask(const std::string& s, uint32_t* mask);

// The CPUs this process may run on (sched_getaffinity), sorted.
std::vector<uint32_t> allowed_cpus();
// kInvalidArgument "CPU N is not one this process may run on (allowed:
// 0-3)" for the first of `cpus` that is not allowed.
Status check_cpus_allowed(const std::vector<uint32_t>& cpus);
// "0-3,6": a sorted CPU list written back as ranges.
std::string cpu_list_string(const std::vector<uint32_t>& cpus);

}  // namespace vt

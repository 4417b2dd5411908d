#pragma once
// What the benchmark programs share: reading CPU time and memory from /proc, and the few
// text helpers they build requests and JSON with. Header-only: the load generators are
// also built alone with g++ (bench/slack_ack.sh), without CMake.
#include <sys/resource.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>

namespace bench_support {

// CPU time this process has used (user + system), in seconds.
inline double process_cpu_s() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return double(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) + double(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

// CPU time of process `pid` (all its threads), in clock ticks.
inline std::optional<std::uint64_t> proc_cpu_ticks(int pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string s((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  // comm (field 2) may contain spaces and parentheses: fields resume after the last ')'.
  std::size_t rp = s.rfind(')');
  if (rp == std::string::npos) return std::nullopt;
  std::istringstream rest(s.substr(rp + 2));
  std::string field;
  std::uint64_t utime = 0, stime = 0;
  for (int i = 3; i <= 15; ++i) {  // utime is field 14, stime 15
    if (!(rest >> field)) return std::nullopt;
    if (i == 14) utime = std::strtoull(field.c_str(), nullptr, 10);
    if (i == 15) stime = std::strtoull(field.c_str(), nullptr, 10);
  }
  return utime + stime;
}

// A kB figure of /proc/<pid>/status, e.g. "VmRSS" or "VmHWM".
inline std::optional<std::uint64_t> proc_status_kib(int pid, std::string_view key) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(f, line))
    if (line.compare(0, key.size(), key) == 0 && line.size() > key.size() && line[key.size()] == ':')
      return std::strtoull(line.c_str() + key.size() + 1, nullptr, 10);
  return std::nullopt;
}

inline std::optional<std::uint64_t> proc_rss_kib(int pid) { return proc_status_kib(pid, "VmRSS"); }

// Busy time of the whole machine (all CPUs, in clock ticks) from /proc/stat's first line:
// everything but idle and iowait. Minus the processes measured, it shows whether something
// else competed for the cores during the window.
inline std::optional<std::uint64_t> machine_busy_ticks() {
  std::ifstream f("/proc/stat");
  std::string cpu;
  std::uint64_t v[8] = {};
  if (!(f >> cpu) || cpu != "cpu") return std::nullopt;
  for (auto& x : v)
    if (!(f >> x)) return std::nullopt;
  // user nice system idle iowait irq softirq steal
  return v[0] + v[1] + v[2] + v[5] + v[6] + v[7];
}

inline void append_u64(std::string& s, std::uint64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  s.append(buf, r.ptr);
}

// `v` in `width` digits (the lowest ones), upper-case base 36 or lower-case hex.
inline void append_base36(std::string& s, std::uint64_t v, int width) {
  static constexpr char digits[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
  char buf[16];
  for (int i = width - 1; i >= 0; --i) {
    buf[i] = digits[v % 36];
    v /= 36;
  }
  s.append(buf, std::size_t(width));
}

inline void append_hex(std::string& s, std::uint64_t v, int width) {
  static constexpr char digits[] = "0123456789abcdef";
  char buf[16];
  for (int i = width - 1; i >= 0; --i) {
    buf[i] = digits[v & 15];
    v >>= 4;
  }
  s.append(buf, std::size_t(width));
}

// A string's content as JSON string text (without the quotes).
inline std::string json_escape(std::string_view in) {
  std::string out;
  for (unsigned char ch : in) {
    switch (ch) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (ch < 0x20) {
          out += "\\u00";
          append_hex(out, ch, 2);
        } else {
          out += char(ch);
        }
    }
  }
  return out;
}

// ASCII case-insensitive comparisons (HTTP header names and values).
inline bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return std::tolower(x) == std::tolower(y); });
}

inline bool icontains(std::string_view hay, std::string_view needle) {
  return std::search(hay.begin(), hay.end(), needle.begin(), needle.end(),
                     [](char x, char y) { return std::tolower(x) == std::tolower(y); }) != hay.end();
}

}  // namespace bench_support

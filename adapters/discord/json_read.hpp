#pragma once
// Discord's side of the shared type-tolerant reader (adapters/common/json_reader.hpp):
// its limits, and permission-style bitfields. Discord's optional fields are often null or
// absent and "not all fields are documented", hence the tolerance. Include only in .cpp
// files that use simdjson.
//
// Not thread-safe by itself: one json_reader per parse.

#include <simdjson.h>

#include <cstdint>
#include <string_view>

#include "adapters/common/json_reader.hpp"

namespace mlpath::discord::detail {

namespace od = simdjson::ondemand;

// Snowflakes, tokens, custom_ids, URLs: Discord's are far shorter, so longer is not Discord.
// Free text (typed answers, message content): longer is cut at a character boundary.
inline constexpr adapters::json_limits limits{"Discord", 4096, 64u << 10};

// A permission bitfield: a decimal string of any length. Wrapping arithmetic keeps exactly
// the low 64 bits, which is what each bit test needs: saturating would turn an over-long
// value into "every permission" (Administrator included). Anything but digits is 0
// (no permissions), the safe reading of garbage.
inline std::uint64_t parse_permissions(std::string_view s) {
  if (s.empty() || s.size() > 100) return 0;
  std::uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return 0;
    v = v * 10u + static_cast<std::uint64_t>(c - '0');
  }
  return v;
}

class json_reader : public adapters::json_reader {
 public:
  json_reader() : adapters::json_reader(limits) {}

  // Flags are integers on the wire; a permission-style string is accepted too.
  bool bits(od::value& v, std::uint64_t& out) {
    od::json_type t{};
    if (!type_of(v, t)) return false;
    if (t == od::json_type::string) {
      std::string_view s;
      if (auto e = v.get_string().get(s)) return fail(e);
      out = parse_permissions(s);
      return true;
    }
    if (t != od::json_type::number) return true;
    std::uint64_t n = 0;
    if (v.get_uint64().get(n) == simdjson::SUCCESS) out = n;
    return true;
  }
};

}  // namespace mlpath::discord::detail

#pragma once
// Type-tolerant field readers over simdjson on-demand, shared by the Discord parsers
// (interactions, gateway frames, MESSAGE_CREATE, REST bodies). Discord's optional fields
// are often null or absent and "not all fields are documented", so a value of an
// unexpected JSON type is skipped, never an error; only invalid JSON (and fields too long
// to be Discord's) fail. Include only in .cpp files that use simdjson.
//
// Not thread-safe by itself: one json_reader per parse.

#include <simdjson.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace mlpath::discord::detail {

namespace od = simdjson::ondemand;

// Snowflakes, tokens, custom_ids, URLs: Discord's are far shorter, so longer is not Discord.
constexpr std::size_t max_id = 4096;
// Free text (typed answers, message content): longer is cut at a character boundary.
constexpr std::size_t max_text = 64u << 10;

// Cuts at a UTF-8 character boundary so truncated text stays valid.
inline std::string_view utf8_prefix(std::string_view s, std::size_t max_bytes) {
  if (s.size() <= max_bytes) return s;
  std::size_t n = max_bytes;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  return s.substr(0, n);
}

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

class json_reader {
 public:
  std::string error_;

  bool fail(simdjson::error_code e) {
    if (error_.empty()) error_ = std::string("invalid JSON: ") + simdjson::error_message(e);
    return false;
  }
  bool fail(std::string message) {
    if (error_.empty()) error_ = std::move(message);
    return false;
  }

  // The value's JSON type; false only for invalid JSON.
  bool type_of(od::value& v, od::json_type& t) {
    if (auto e = v.type().get(t)) return fail(e);
    return true;
  }

  // f(std::string_view key, od::value& value) -> bool, for each field; skipped when `v`
  // is not an object.
  template <class F>
  bool fields(od::value& v, F&& f, bool* was_object = nullptr) {
    od::json_type t{};
    if (!type_of(v, t)) return false;
    if (t != od::json_type::object) return true;
    if (was_object) *was_object = true;
    od::object o;
    if (auto e = v.get_object().get(o)) return fail(e);
    return fields(o, f);
  }

  template <class F>
  bool fields(od::object o, F&& f) {
    for (auto field : o) {
      std::string_view key;
      od::value child;
      if (auto e = field.unescaped_key().get(key)) return fail(e);
      if (auto e = field.value().get(child)) return fail(e);
      if (!f(key, child)) return false;
    }
    return true;
  }

  // f(od::value& item) -> bool, for each element; skipped when `v` is not an array.
  template <class F>
  bool items(od::value& v, F&& f) {
    od::json_type t{};
    if (!type_of(v, t)) return false;
    if (t != od::json_type::array) return true;
    od::array a;
    if (auto e = v.get_array().get(a)) return fail(e);
    for (auto element : a) {
      od::value item;
      if (auto e = element.get(item)) return fail(e);
      if (!f(item)) return false;
    }
    return true;
  }

  bool string(od::value& v, std::optional<std::string_view>& out) {
    od::json_type t{};
    if (!type_of(v, t)) return false;
    if (t != od::json_type::string) return true;
    std::string_view s;
    if (auto e = v.get_string().get(s)) return fail(e);
    out = s;
    return true;
  }

  bool id(od::value& v, std::string& out, bool* present = nullptr) {
    std::optional<std::string_view> s;
    if (!string(v, s)) return false;
    if (!s) return true;
    if (s->size() > max_id) return fail("a field is too long to be Discord's");
    out.assign(*s);
    if (present) *present = true;
    return true;
  }

  bool text(od::value& v, std::string& out, std::size_t max = max_text) {
    std::optional<std::string_view> s;
    if (!string(v, s)) return false;
    if (s) out.assign(utf8_prefix(*s, max));
    return true;
  }

  bool boolean(od::value& v, bool& out) {
    od::json_type t{};
    if (!type_of(v, t)) return false;
    if (t != od::json_type::boolean) return true;
    if (auto e = v.get_bool().get(out)) return fail(e);
    return true;
  }

  // A whole number; floats and out-of-range numbers are tolerated like any other odd type.
  bool integer(od::value& v, std::int64_t& out, bool* present = nullptr) {
    od::json_type t{};
    if (!type_of(v, t)) return false;
    if (t != od::json_type::number) return true;
    std::int64_t n = 0;
    if (v.get_int64().get(n) == simdjson::SUCCESS) {
      out = n;
      if (present) *present = true;
    }
    return true;
  }

  bool integer(od::value& v, int& out, bool* present = nullptr) {
    std::int64_t n = 0;
    bool seen = false;
    if (!integer(v, n, &seen)) return false;
    if (seen && n >= INT32_MIN && n <= INT32_MAX) {
      out = static_cast<int>(n);
      if (present) *present = true;
    }
    return true;
  }

  bool number(od::value& v, std::optional<double>& out) {
    od::json_type t{};
    if (!type_of(v, t)) return false;
    if (t != od::json_type::number) return true;
    double d = 0;
    if (v.get_double().get(d) == simdjson::SUCCESS) out = d;
    return true;
  }

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

  // The value's JSON text exactly as received (no re-serialisation); the view points into
  // the parsed buffer.
  bool raw(od::value& v, std::string_view& out) {
    od::json_type t{};
    if (!type_of(v, t)) return false;
    if (t == od::json_type::object) {
      od::object o;
      if (auto e = v.get_object().get(o)) return fail(e);
      if (auto e = o.raw_json().get(out)) return fail(e);
    } else if (t == od::json_type::array) {
      od::array a;
      if (auto e = v.get_array().get(a)) return fail(e);
      if (auto e = a.raw_json().get(out)) return fail(e);
    } else {
      out = v.raw_json_token();
    }
    // The view runs up to the next token, so white space after the value is in it.
    while (!out.empty() && (out.back() == ' ' || out.back() == '\n' || out.back() == '\r' || out.back() == '\t'))
      out.remove_suffix(1);
    return true;
  }

  // A scalar as text: strings as they are, numbers and booleans as written in the JSON.
  bool scalar_text(od::value& v, std::string& out) {
    od::json_type t{};
    if (!type_of(v, t)) return false;
    if (t == od::json_type::string) return text(v, out);
    if (t == od::json_type::boolean) {
      bool b = false;
      if (auto e = v.get_bool().get(b)) return fail(e);
      out = b ? "true" : "false";
      return true;
    }
    if (t == od::json_type::number) {
      std::string_view raw = v.raw_json_token();
      while (!raw.empty() && (raw.back() == ' ' || raw.back() == '\n' || raw.back() == '\r' || raw.back() == '\t'))
        raw.remove_suffix(1);
      if (raw.size() > 64) return fail("a number is too long to be Discord's");
      out.assign(raw);
    }
    return true;
  }
};

}  // namespace mlpath::discord::detail

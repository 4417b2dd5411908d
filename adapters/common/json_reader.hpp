#pragma once
// Type-tolerant field readers over simdjson on-demand, the base of every platform parser
// (Slack events and Web API responses, Discord interactions, gateway frames and REST
// bodies). Platforms send optional fields as null or leave them out, and some names are a
// string in one payload and an object in another, so a value of an unexpected JSON type
// is skipped, never an error; only invalid JSON and ids too long to be the platform's
// fail. Include only in .cpp files that use simdjson.
//
// Not thread-safe by itself: one reader per parse. Header-only so the per-field calls
// inline into each parser's loop.

#include <simdjson.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace mlpath::adapters {

namespace od = simdjson::ondemand;

// Cuts at a UTF-8 character boundary so truncated text stays valid.
inline std::string_view utf8_prefix(std::string_view s, std::size_t max_bytes) {
  if (s.size() <= max_bytes) return s;
  std::size_t n = max_bytes;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  return s.substr(0, n);
}

// What a platform's values may be: an id longer than max_id is not the platform's (the
// parse fails), free text longer than max_text is cut. `platform` names it in errors.
struct json_limits {
  std::string_view platform;
  std::size_t max_id;
  std::size_t max_text;
};

class json_reader {
 public:
  explicit json_reader(const json_limits& limits) : limits_(limits) {}

  // The first failure, for the caller's 400; empty while the parse is fine.
  std::string error_;

  bool fail(simdjson::error_code e) {
    if (error_.empty()) error_ = std::string("invalid JSON: ") + simdjson::error_message(e);
    return false;
  }
  bool fail(std::string message) {
    if (error_.empty()) error_ = std::move(message);
    return false;
  }
  // "a field is too long to be Slack's"
  bool too_long(std::string_view what) {
    if (!error_.empty()) return false;
    error_.assign(what).append(" is too long to be ").append(limits_.platform).append("'s");
    return false;
  }

  // The value's JSON type; false only for invalid JSON.
  bool type_of(od::value& v, od::json_type& t) {
    if (auto e = v.type().get(t)) return fail(e);
    return true;
  }

  // f(od::object) when `v` is an object; skipped otherwise.
  template <class F>
  bool with_object(od::value& v, F&& f) {
    od::json_type t{};
    if (!type_of(v, t)) return false;
    if (t != od::json_type::object) return true;
    od::object o;
    if (auto e = v.get_object().get(o)) return fail(e);
    return f(o);
  }

  // f(std::string_view key, od::value& value) -> bool, for each field, stopping at the
  // first false; skipped when `v` is not an object.
  template <class F>
  bool fields(od::value& v, F&& f, bool* was_object = nullptr) {
    return with_object(v, [&](od::object o) {
      if (was_object) *was_object = true;
      return fields(o, f);
    });
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

  // f(od::value& item) -> bool, for each element, stopping at the first false; skipped
  // when `v` is not an array.
  template <class F>
  bool items(od::value& v, F&& f, bool* was_array = nullptr) {
    od::json_type t{};
    if (!type_of(v, t)) return false;
    if (t != od::json_type::array) return true;
    if (was_array) *was_array = true;
    od::array a;
    if (auto e = v.get_array().get(a)) return fail(e);
    for (auto element : a) {
      od::value item;
      if (auto e = element.get(item)) return fail(e);
      if (!f(item)) return false;
    }
    return true;
  }

  // A string, or nothing when the value is of another type.
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
    if (s->size() > limits_.max_id) return too_long("a field");
    out.assign(*s);
    if (present) *present = true;
    return true;
  }

  // Ids sent either bare or as an object's "id" ("user": "U1" or {"id": "U1", ...}):
  // read(od::value&) -> bool gets whichever it is.
  template <class F>
  bool bare_or_object_id(od::value& v, F&& read) {
    od::json_type t{};
    if (!type_of(v, t)) return false;
    if (t != od::json_type::object) return read(v);
    od::object o;
    if (auto e = v.get_object().get(o)) return fail(e);
    return fields(o, [&](std::string_view key, od::value& child) { return key == "id" ? read(child) : true; });
  }

  bool text(od::value& v, std::string& out) { return text(v, out, limits_.max_text); }

  bool text(od::value& v, std::string& out, std::size_t max) {
    std::optional<std::string_view> s;
    if (!string(v, s)) return false;
    if (s) out.assign(utf8_prefix(*s, max));
    return true;
  }

  bool boolean(od::value& v, bool& out, bool* present = nullptr) {
    od::json_type t{};
    if (!type_of(v, t)) return false;
    if (t != od::json_type::boolean) return true;
    if (auto e = v.get_bool().get(out)) return fail(e);
    if (present) *present = true;
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
    out = trim_json_space(out);
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
      std::string_view raw = trim_json_space(v.raw_json_token());
      if (raw.size() > 64) return too_long("a number");
      out.assign(raw);
    }
    return true;
  }

 private:
  // simdjson's raw views run up to the next token, so white space after the value is in them.
  static std::string_view trim_json_space(std::string_view s) {
    while (!s.empty() && (s.back() == ' ' || s.back() == '\n' || s.back() == '\r' || s.back() == '\t'))
      s.remove_suffix(1);
    return s;
  }

  json_limits limits_;
};

}  // namespace mlpath::adapters

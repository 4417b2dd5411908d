#pragma once
// Reading fields of a Boost.JSON object we wrote ourselves (stored outbox bodies,
// rendered payloads): a missing field or one of another type reads as empty.

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <cstdint>
#include <string>
#include <string_view>

namespace mlpath::adapters {

inline std::string string_field(const boost::json::object& o, std::string_view key) {
  const boost::json::value* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

inline const boost::json::object* object_field(const boost::json::object& o, std::string_view key) {
  const boost::json::value* v = o.if_contains(key);
  return v && v->is_object() ? &v->as_object() : nullptr;
}

inline boost::json::array array_field(const boost::json::object& o, std::string_view key) {
  const boost::json::value* v = o.if_contains(key);
  return v && v->is_array() ? v->as_array() : boost::json::array{};
}

inline std::int64_t integer_field(const boost::json::object& o, std::string_view key) {
  const boost::json::value* v = o.if_contains(key);
  return v && v->is_number() ? v->to_number<std::int64_t>() : 0;
}

}  // namespace mlpath::adapters

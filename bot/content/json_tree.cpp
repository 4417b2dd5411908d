#include "bot/content/json_tree.hpp"

#include <simdjson.h>

#include "adapters/common/json_util.hpp"

#include <algorithm>

namespace mlpath::loader {
namespace {

namespace od = simdjson::ondemand;
constexpr int max_depth = 64;

struct builder {
  const char* base;
  std::size_t size;
  json_error error{};

  std::size_t offset_of(const char* p) const {
    if (p < base) return 0;
    return std::min<std::size_t>(static_cast<std::size_t>(p - base), size);
  }

  bool fail(const char* at, std::string message) {
    if (error.message.empty()) {
      error.offset = at ? offset_of(at) : 0;
      error.message = std::move(message);
    }
    return false;
  }

  bool fail(simdjson::error_code code, od::value& v) {
    const char* at = nullptr;
    if (auto loc = v.current_location(); !loc.error()) at = loc.value_unsafe();
    return fail(at, simdjson::error_message(code));
  }

  bool build(od::value v, json_node& out, int depth) {
    if (depth > max_depth) return fail(nullptr, "nesting is too deep");
    std::string_view token = v.raw_json_token();
    out.offset = offset_of(token.data());
    od::json_type t;
    if (auto e = v.type().get(t)) return fail(e, v);
    switch (t) {
      case od::json_type::object: {
        out.kind = json_node::type::object;
        od::object obj;
        if (auto e = v.get_object().get(obj)) return fail(e, v);
        for (auto field : obj) {
          std::string_view key;
          if (auto e = field.unescaped_key().get(key)) return fail(e, v);
          od::value child;
          if (auto e = field.value().get(child)) return fail(e, v);
          out.members.push_back(json_member{std::string(key), json_node{}});
          if (!build(child, out.members.back().second, depth + 1)) return false;
        }
        return true;
      }
      case od::json_type::array: {
        out.kind = json_node::type::array;
        od::array arr;
        if (auto e = v.get_array().get(arr)) return fail(e, v);
        for (auto element : arr) {
          od::value child;
          if (auto e = element.get(child)) return fail(e, v);
          out.items.emplace_back();
          if (!build(child, out.items.back(), depth + 1)) return false;
        }
        return true;
      }
      case od::json_type::string: {
        out.kind = json_node::type::string;
        std::string_view s;
        if (auto e = v.get_string().get(s)) return fail(e, v);
        out.string = s;
        return true;
      }
      case od::json_type::number: {
        out.kind = json_node::type::number;
        out.integral = token.find_first_of(".eE") == std::string_view::npos;
        if (auto e = v.get_double().get(out.number)) return fail(e, v);
        return true;
      }
      case od::json_type::boolean: {
        out.kind = json_node::type::boolean;
        if (auto e = v.get_bool().get(out.boolean)) return fail(e, v);
        return true;
      }
      case od::json_type::null: {
        out.kind = json_node::type::null;
        bool is_null = false;
        if (auto e = v.is_null().get(is_null); e || !is_null) return fail(token.data(), "invalid literal");
        return true;
      }
    }
    return fail(token.data(), "unknown JSON value");
  }
};

}  // namespace

const json_node* json_node::find(std::string_view key) const {
  for (const auto& [k, v] : members)
    if (k == key) return &v;
  return nullptr;
}

std::variant<json_node, json_error> parse_json_tree(std::string_view text) {
  simdjson::padded_string padded(text);
  od::parser parser;
  od::document doc;
  builder b{padded.data(), padded.size()};
  if (auto e = parser.iterate(padded).get(doc)) return json_error{0, simdjson::error_message(e)};
  od::value root;
  if (auto e = doc.get_value().get(root)) {
    const char* at = nullptr;
    if (auto loc = doc.current_location(); !loc.error()) at = loc.value_unsafe();
    return json_error{at ? b.offset_of(at) : 0,
                      e == simdjson::SCALAR_DOCUMENT_AS_VALUE
                          ? std::string("expected a JSON object or array")
                          : std::string(simdjson::error_message(e))};
  }
  json_node node;
  if (!b.build(root, node, 0)) return b.error;
  if (!adapters::at_document_end(doc)) {
    const char* at = nullptr;
    if (auto loc = doc.current_location(); !loc.error()) at = loc.value_unsafe();
    return json_error{at ? b.offset_of(at) : text.size(), "unexpected content after the JSON value"};
  }
  return node;
}

std::size_t line_of(std::string_view text, std::size_t offset) {
  offset = std::min(offset, text.size());
  return 1 + static_cast<std::size_t>(std::count(text.begin(), text.begin() + offset, '\n'));
}

const char* type_name(json_node::type t) {
  switch (t) {
    case json_node::type::null: return "null";
    case json_node::type::boolean: return "a boolean";
    case json_node::type::number: return "a number";
    case json_node::type::string: return "a string";
    case json_node::type::array: return "an array";
    case json_node::type::object: return "an object";
  }
  return "?";
}

}  // namespace mlpath::loader

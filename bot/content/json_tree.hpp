#pragma once
// An owning JSON tree that remembers where each value starts in its source, so content
// validation can say `file:line`. Built with simdjson at start-up; not for hot paths.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace mlpath::loader {

struct json_member;

struct json_node {
  enum class type { null, boolean, number, string, array, object };

  type kind = type::null;
  bool boolean = false;
  double number = 0;
  bool integral = false;  // the number was written without fraction or exponent
  std::string string;
  std::vector<json_node> items;                            // array elements
  std::vector<json_member> members;                        // object members, in order
  std::size_t offset = 0;                                  // byte offset in the source

  bool is_object() const { return kind == type::object; }
  bool is_array() const { return kind == type::array; }
  bool is_string() const { return kind == type::string; }
  bool is_number() const { return kind == type::number; }
  bool is_bool() const { return kind == type::boolean; }
  // First member with this key, or nullptr.
  const json_node* find(std::string_view key) const;
};

// A named member (first: the key, second: the value, as in std::pair). A struct of its
// own because std::pair may not hold the still-incomplete json_node (clang rejects it).
struct json_member {
  std::string first;
  json_node second;
};

struct json_error {
  std::size_t offset = 0;
  std::string message;
};

// Parses a whole document. Duplicate object keys are kept (validation reports them).
// Nesting deeper than 64 levels is an error rather than a stack overflow.
std::variant<json_node, json_error> parse_json_tree(std::string_view text);

// 1-based line number of a byte offset.
std::size_t line_of(std::string_view text, std::size_t offset);

const char* type_name(json_node::type t);

}  // namespace mlpath::loader

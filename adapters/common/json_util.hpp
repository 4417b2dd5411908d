#pragma once
// Small helpers over simdjson's on-demand API (include only where simdjson is used).

#include <simdjson.h>

#include <optional>
#include <string>
#include <string_view>

namespace mlpath::adapters {

// True once the whole document has been consumed: trailing bytes after the top-level
// value mean the input was not one JSON value.
inline bool at_document_end(simdjson::ondemand::document& doc) {
  return doc.current_location().error() == simdjson::OUT_OF_BOUNDS;
}

// This thread's parser: it keeps its buffers between inputs instead of allocating them
// for every event.
inline simdjson::ondemand::parser& thread_parser() {
  thread_local simdjson::ondemand::parser parser;
  return parser;
}

// Reads `text` as exactly one JSON object: `read(od::object) -> std::optional<std::string>`
// gets the object and returns what went wrong, if anything. Returns the first failure
// (invalid JSON, not an object, read's own, trailing bytes), or nothing when all is well.
// May throw std::bad_alloc.
template <class F>
std::optional<std::string> read_json_object(std::string_view text, F&& read) {
  simdjson::padded_string padded(text);
  simdjson::ondemand::document doc;
  if (auto e = thread_parser().iterate(padded).get(doc)) return std::string("invalid JSON: ") + simdjson::error_message(e);
  simdjson::ondemand::object obj;
  if (doc.get_object().get(obj)) return std::string("the body is not a JSON object");
  if (std::optional<std::string> failed = read(obj)) return failed;
  if (!at_document_end(doc)) return std::string("unexpected content after the JSON object");
  return std::nullopt;
}

}  // namespace mlpath::adapters

#pragma once
// Small helpers over simdjson's on-demand API (include only where simdjson is used).

#include <simdjson.h>

namespace mlpath::adapters {

// True once the whole document has been consumed: trailing bytes after the top-level
// value mean the input was not one JSON value.
inline bool at_document_end(simdjson::ondemand::document& doc) {
  return doc.current_location().error() == simdjson::OUT_OF_BOUNDS;
}

}  // namespace mlpath::adapters

#pragma once
// JSON text for people and scripts to read (mlpath match --json, chat --json, exports).
// Boost.JSON 1.81 writes every double in exponent form (33.3 as "3.33E1", 20.0 as "2E1");
// this writes the same document with numbers as people write them ("33.3", "20").
// Strings and keys are still escaped by Boost.JSON.

#include <boost/json/value.hpp>
#include <string>

namespace mlpath::adapters {

std::string json_text(const boost::json::value& v);

}  // namespace mlpath::adapters

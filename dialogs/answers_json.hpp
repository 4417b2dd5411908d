#pragma once
// Reads a JSON object of answers (question id -> option id, list of option ids, text, or
// null for skipped), as `mlpath match` takes them. Untrusted input: errors are values.

#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "dialogs/answer.hpp"
#include "dialogs/content.hpp"

namespace mlpath::dialogs {

// Answers in flow order with current fingerprints, or every problem found (each naming
// the unknown question or option id).
std::variant<answer_list, std::vector<std::string>> parse_answers_json(const content& c, std::string_view json,
                                                                       timestamp at = {});

}  // namespace mlpath::dialogs

#pragma once
// Reads a JSON object of answers (question id -> option id, list of option ids, text, or
// null for skipped), as `mlpath match` takes them. Untrusted input: errors are values.

#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "dialogs/answer.hpp"
#include "dialogs/content.hpp"

namespace mlpath::console {

// Answers in flow order with current fingerprints, or every problem found (each naming
// the unknown question or option id).
std::variant<dialogs::answer_list, std::vector<std::string>> parse_answers_json(const dialogs::content& c,
                                                                                std::string_view json,
                                                                                dialogs::timestamp at = {});

}  // namespace mlpath::console

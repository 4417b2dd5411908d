#pragma once
// Raw answers, as given: the source of truth every score and plan is computed from.

#include <chrono>
#include <string>
#include <vector>

namespace mlpath::dialogs {

using timestamp = std::chrono::sys_seconds;

struct answer {
  std::string question;
  std::vector<std::string> options;  // single/multi: chosen option ids, in the flow's order
  std::string text;                  // text questions: the words, verbatim (bounded)
  bool skipped = false;              // an optional question the user passed over
  std::string fingerprint;           // the question's fingerprint when it was answered
  timestamp at{};

  bool operator==(const answer&) const = default;
};

using answer_list = std::vector<answer>;

const answer* find_answer(const answer_list& answers, std::string_view question);

}  // namespace mlpath::dialogs

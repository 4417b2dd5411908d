#pragma once
// Role matching: a pure function of the content's weights and the raw answers.

#include <string>
#include <vector>

#include "dialogs/answer.hpp"
#include "dialogs/content.hpp"

namespace mlpath::dialogs {

enum class confidence { insufficient, low, medium, high };
const char* to_string(confidence c);

struct contribution {
  std::string question;
  std::string option;
  std::string label;
  std::string reason;  // the answer in the person's terms: "you write SQL"
  double points = 0;   // share of the role's 0-100 score this answer earned
};

struct role_score {
  std::string role;
  std::string name;
  int score = 0;       // 0-100, rounded
  double exact = 0;    // unrounded, for ordering
  // Why this role, in the person's terms: at most three answers that point to this role
  // more than to the others, the most telling first. A weakness (rusty maths, none yet,
  // not sure, no domain) or an answer every role values alike is never a reason.
  std::vector<contribution> why;
};

struct match_result {
  int scoring_version = 0;
  int flow_version = 0;
  std::vector<role_score> roles;       // best first; ties keep the content's role order
  std::vector<std::string> primary;    // one role, or two co-primary roles
  std::vector<std::string> secondary;  // at most two
  confidence level = confidence::insufficient;
  double answered = 0;  // weighted share of the scored questions that were answered, 0-1

  const role_score* find(std::string_view role) const;
};

// Deterministic: the order of answers and of options within an answer does not matter.
// Answers to unknown questions or options are ignored (callers validate earlier).
match_result score(const content& c, const answer_list& answers);

}  // namespace mlpath::dialogs

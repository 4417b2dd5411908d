#pragma once
// What the engine says: a neutral reply model that each adapter renders its own way
// (Block Kit, Discord components, terminal lines, JSON lines). Replies are self-contained
// values (labels included), so they can sit in the outbox and be rendered later.

#include <string>
#include <variant>
#include <vector>

#include "dialogs/content.hpp"
#include "dialogs/plan_builder.hpp"
#include "dialogs/scoring.hpp"

namespace mlpath::dialogs {

enum class action_style { normal, primary, danger };

// A control the user can press. `id` is a complete token (`cmd:skip:worry:r3`) that
// parse_action_token() turns back into an input.
struct action {
  std::string id;
  std::string label;
  action_style style = action_style::normal;
  bool operator==(const action&) const = default;
};

struct text_reply {
  std::string text;
  std::vector<action> actions;
};

// Input that could not be used; `text` says what would work.
struct error_reply {
  std::string text;
};

struct question_reply {
  std::string question;
  question_kind kind = question_kind::single;
  bool optional = false;
  int max = 0;          // multi: most options; 0 = any
  int max_length = 0;   // text: longest answer
  int position = 0;     // 1-based
  int total = 0;
  int round = 0;        // buttons carry it so a later run can recognise them as stale
  std::string title;
  std::string prompt;
  std::string hint;
  std::vector<option> options;
  std::vector<std::string> selected;  // the current answer when asked again (back, edit)
  std::string text;                   // the current text answer when asked again
  std::vector<action> actions;        // skip, back
};

// The record of an answer, so a platform can turn the question message into plain text.
struct answered_reply {
  std::string question;
  std::string title;
  std::vector<std::string> options;  // option ids
  std::vector<std::string> labels;   // their labels, or the text answer
  bool skipped = false;
  int round = 0;
};

struct summary_line {
  std::string question;
  std::string title;
  std::string answer;  // labels joined, the text, or "skipped"
  bool skipped = false;
};

struct summary_reply {
  std::string text;
  std::vector<summary_line> lines;
  int round = 0;
  std::vector<action> actions;  // confirm, then one edit per question
};

struct confirm_reply {
  std::string about;  // restart, delete
  std::string text;
  std::vector<action> actions;  // confirm, cancel
};

struct role_card {
  std::string id;
  std::string name;
  std::string summary;
  std::vector<std::string> key_skills;
};

struct result_reply {
  match_result match;
  learning_plan plan;
  std::vector<role_card> roles;  // descriptions of the primary and secondary roles
  std::string goal;              // the person's own sentence about a year from now, shown back
  std::string note;              // an aid to reflection, not a verdict
  std::vector<action> actions;
};

using reply = std::variant<text_reply, error_reply, question_reply, answered_reply, summary_reply, confirm_reply,
                           result_reply>;

// A question as asked: its content, where it stands (position of total) and the round its
// buttons carry, with `actions` under it.
question_reply make_question(const question& q, int position, int total, int round, std::vector<action> actions);

// Whether a reply moves the conversation on (a question, a record, a summary, ...), as
// opposed to a note or an error that leaves everything as it was.
inline bool changes_state(const reply& r) {
  return !std::holds_alternative<text_reply>(r) && !std::holds_alternative<error_reply>(r);
}

// The `type` each reply has in JSON: text, error, question, answered, summary, confirm, result.
const char* type_of(const reply& r);

}  // namespace mlpath::dialogs

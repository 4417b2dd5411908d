#pragma once
// What the engine is told. Adapters turn platform payloads into this; nothing here knows
// about Slack, Discord or terminals.

#include <optional>
#include <string>
#include <vector>

namespace mlpath::dialogs {

enum class input_kind {
  open,     // a session began (terminal chat started, home tab opened): greet or offer to resume
  choose,   // option ids, e.g. from a button or select
  text,     // typed words; may be a command word, an option, or a text answer
  command,  // a control: start, resume, back, skip, restart, status, result, help, cancel,
            // confirm, edit, answer, delete, checkin, ...
  tick,     // time passed with no user input: nudges and expiry; with command checkin_due or
            // checkin_reminder, a weekly check-in or its reminder is due; zone_hint (arg: an
            // IANA zone) is the person's zone as their platform knows it
};

struct input {
  input_kind kind = input_kind::text;
  std::string question;              // the question this input answers or was pressed on ("" = current)
  std::vector<std::string> options;  // choose
  std::string text;                  // text
  std::string command;               // command
  std::string arg;                   // command argument, e.g. the question for edit, the target of confirm
  std::optional<int> round;          // the run a button belongs to; a mismatch is stale
  bool from_button = false;          // pressed rather than typed: bound to a message

  static input of(input_kind k) {
    input in;
    in.kind = k;
    return in;
  }
  static input open() { return of(input_kind::open); }
  static input tick() { return of(input_kind::tick); }
  static input due(std::string what, std::string arg = {}) {  // checkin_due, checkin_reminder, zone_hint
    input in = of(input_kind::tick);
    in.command = std::move(what);
    in.arg = std::move(arg);
    return in;
  }
  static input typed(std::string t) {
    input in = of(input_kind::text);
    in.text = std::move(t);
    return in;
  }
  static input cmd(std::string c, std::string a = {}) {
    input in = of(input_kind::command);
    in.command = std::move(c);
    in.arg = std::move(a);
    return in;
  }
  static input choose(std::string question, std::vector<std::string> options) {
    input in = of(input_kind::choose);
    in.question = std::move(question);
    in.options = std::move(options);
    return in;
  }
};

}  // namespace mlpath::dialogs

#pragma once
// `mlpath chat`: the conversation in a terminal, or as JSON lines for scripts.

#include <functional>
#include <iosfwd>
#include <string>

#include "bot/turns/conversation_service.hpp"

namespace mlpath {

struct chat_options {
  std::string user;           // console user id
  bool json = false;          // JSON lines in and out
  bool interactive = false;   // show a "> " prompt (stdin is a terminal)
};

using clock_fn = std::function<dialogs::timestamp()>;

// Runs until end of input. Returns the process exit code.
int run_chat(conversation_service& service, const chat_options& options, std::istream& in, std::ostream& out,
             const clock_fn& now);

// One JSON-lines input object ({"choose":[...]}, {"text":"..."}, {"command":"back"}) or
// plain text. Returns an error message instead when the line is malformed.
std::variant<dialogs::input, std::string> parse_chat_line(std::string_view line);

}  // namespace mlpath

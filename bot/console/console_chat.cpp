#include "bot/console/console_chat.hpp"

#include <simdjson.h>

#include "adapters/common/json_text.hpp"
#include "adapters/common/json_util.hpp"

#include <boost/json/serialize.hpp>
#include <istream>
#include <ostream>

#include "adapters/console/reply_json.hpp"
#include "adapters/console/text_render.hpp"

namespace mlpath {

std::variant<dialogs::input, std::string> parse_chat_line(std::string_view line) {
  std::size_t first = line.find_first_not_of(" \t\r");
  if (first == std::string_view::npos || line[first] != '{') return dialogs::input::typed(std::string(line));
  namespace od = simdjson::ondemand;
  simdjson::padded_string padded(line);
  od::parser parser;
  od::document doc;
  od::object obj;
  if (parser.iterate(padded).get(doc) || doc.get_object().get(obj)) return std::string("that line is not a JSON object");
  dialogs::input in;
  bool have = false;
  for (auto field : obj) {
    std::string_view key;
    if (field.unescaped_key().get(key)) return std::string("that line is not valid JSON");
    od::value v;
    if (field.value().get(v)) return std::string("that line is not valid JSON");
    if (key == "choose") {
      in.kind = dialogs::input_kind::choose;
      od::array arr;
      std::string_view one;
      if (!v.get_array().get(arr)) {
        for (auto e : arr) {
          std::string_view s;
          if (e.get_string().get(s)) return std::string("\"choose\" must hold option ids (strings)");
          in.options.emplace_back(s);
        }
      } else if (!v.get_string().get(one)) {
        in.options.emplace_back(one);
      } else {
        return std::string("\"choose\" must be a list of option ids");
      }
      have = true;
    } else if (key == "text") {
      std::string_view s;
      if (v.get_string().get(s)) return std::string("\"text\" must be a string");
      in.kind = dialogs::input_kind::text;
      in.text = s;
      have = true;
    } else if (key == "command") {
      std::string_view s;
      if (v.get_string().get(s)) return std::string("\"command\" must be a string");
      in.kind = dialogs::input_kind::command;
      std::string c(s);
      if (auto colon = c.find(':'); colon != std::string::npos) {
        in.arg = c.substr(colon + 1);
        c.erase(colon);
      }
      in.command = c;
      have = true;
    } else if (key == "question") {
      std::string_view s;
      if (v.get_string().get(s)) return std::string("\"question\" must be a string");
      in.question = s;
    } else if (key == "arg") {
      std::string_view s;
      if (v.get_string().get(s)) return std::string("\"arg\" must be a string");
      in.arg = s;
    } else {
      return "unknown field \"" + std::string(key) + "\" (use choose, text or command)";
    }
  }
  if (!adapters::at_document_end(doc)) return std::string("unexpected content after the JSON object");
  if (!have) return std::string("say what to do with \"choose\", \"text\" or \"command\"");
  return in;
}

int run_chat(conversation_service& service, const chat_options& options, std::istream& in, std::ostream& out,
             const clock_fn& now) {
  storage::user_ref user{"console", "", options.user};
  auto print = [&](const std::vector<dialogs::reply>& replies) {
    for (const auto& r : replies) {
      if (options.json) out << adapters::json_text(console::to_json(r)) << '\n';
      else out << console::render_text(r) << '\n';
    }
    out.flush();
  };
  auto prompt = [&] {
    if (options.interactive && !options.json) out << "> " << std::flush;
  };
  bool erased = false;  // the last turn deleted everything: nothing is saved to come back to
  // A weekly check-in that fell due since the last chat is shown first (the terminal has
  // no scheduler to send it).
  print(service.handle(user, dialogs::input::due("checkin_due"), now()).replies);
  print(service.handle(user, dialogs::input::open(), now()).replies);
  prompt();
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) {
      prompt();
      continue;
    }
    auto parsed = parse_chat_line(line);
    if (auto* problem = std::get_if<std::string>(&parsed)) {
      print({dialogs::error_reply{*problem}});
      prompt();
      continue;
    }
    auto result = service.handle(user, std::get<dialogs::input>(parsed), now());
    erased = result.erased;
    print(result.replies);
    prompt();
  }
  if (!options.json) {
    if (erased) out << "\nBye. Nothing about you is stored any more.\n";
    else out << "\nBye for now. Your answers are saved; run mlpath chat again to pick up where you left off.\n";
  }
  return 0;
}

}  // namespace mlpath

#include "dialogs/action_token.hpp"

#include <charconv>
#include <vector>

namespace mlpath::dialogs {
namespace {

std::vector<std::string_view> split(std::string_view s) {
  std::vector<std::string_view> out;
  while (true) {
    auto p = s.find(':');
    out.push_back(s.substr(0, p));
    if (p == std::string_view::npos) break;
    s.remove_prefix(p + 1);
  }
  return out;
}

std::optional<int> round_of(std::string_view t) {
  if (t.size() < 2 || t.size() > 10 || t[0] != 'r') return std::nullopt;
  int v = 0;
  auto [ptr, ec] = std::from_chars(t.data() + 1, t.data() + t.size(), v);
  if (ec != std::errc() || ptr != t.data() + t.size()) return std::nullopt;
  return v;
}

bool plain(std::string_view t) {
  if (t.empty() || t.size() > 40) return false;
  for (char c : t)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  return true;
}

}  // namespace

std::string answer_token(std::string_view question, std::string_view option, int round) {
  return "q:" + std::string(question) + ":" + std::string(option) + ":r" + std::to_string(round);
}

std::string group_token(std::string_view question) { return "q:" + std::string(question); }

std::string command_token(std::string_view word, std::string_view arg, int round) {
  std::string t = "cmd:" + std::string(word);
  if (!arg.empty()) t += ":" + std::string(arg);
  return t + ":r" + std::to_string(round);
}

std::optional<input> parse_action_token(std::string_view token) {
  if (token.size() > 255) return std::nullopt;
  auto parts = split(token);
  if (parts.size() < 2) return std::nullopt;
  input in;
  in.from_button = true;
  if (parts.size() > 2) {
    if (auto r = round_of(parts.back())) {
      in.round = r;
      parts.pop_back();
    }
  }
  for (std::size_t i = 1; i < parts.size(); ++i)
    if (!plain(parts[i])) return std::nullopt;
  if (parts[0] == "q") {
    if (parts.size() > 3) return std::nullopt;
    in.kind = input_kind::choose;
    in.question = std::string(parts[1]);
    if (parts.size() == 3) in.options.emplace_back(parts[2]);
    return in;
  }
  if (parts[0] == "cmd") {
    if (parts.size() > 4) return std::nullopt;
    in.kind = input_kind::command;
    in.command = std::string(parts[1]);
    if (parts.size() >= 3) in.arg = std::string(parts[2]);
    if (parts.size() == 4) in.arg += ":" + std::string(parts[3]);
    return in;
  }
  return std::nullopt;
}

}  // namespace mlpath::dialogs

#include "dialogs/text_input.hpp"

#include <algorithm>
#include <cctype>

namespace mlpath::dialogs {
namespace {

std::string_view trim(std::string_view s) {
  auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

bool all_digits(std::string_view s) {
  return !s.empty() && s.size() < 4 && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::vector<std::string> split_pieces(std::string_view text) {
  std::string t(text);
  // " and " joins pieces like a comma does.
  for (std::size_t p; (p = t.find(" and ")) != std::string::npos;) t.replace(p, 5, ",");
  std::vector<std::string> pieces;
  std::string cur;
  for (char ch : t) {
    if (ch == ',' || ch == ';') {
      pieces.emplace_back(trim(cur));
      cur.clear();
    } else {
      cur += ch;
    }
  }
  pieces.emplace_back(trim(cur));
  pieces.erase(std::remove(pieces.begin(), pieces.end(), std::string()), pieces.end());
  // "1 3" -> two pieces, but "data cleaning" stays one.
  if (pieces.size() == 1) {
    std::vector<std::string> words;
    std::string w;
    for (char ch : pieces[0]) {
      if (ch == ' ') {
        if (!w.empty()) words.push_back(w);
        w.clear();
      } else {
        w += ch;
      }
    }
    if (!w.empty()) words.push_back(w);
    if (words.size() > 1 && std::all_of(words.begin(), words.end(), [](const std::string& x) { return all_digits(x); }))
      return words;
  }
  return pieces;
}

}  // namespace

namespace {

std::size_t utf8_sequence_length(unsigned char lead) {
  if (lead < 0x80) return 1;
  if ((lead & 0xE0) == 0xC0) return 2;
  if ((lead & 0xF0) == 0xE0) return 3;
  if ((lead & 0xF8) == 0xF0) return 4;
  return 1;  // a stray continuation or invalid byte counts as one
}

}  // namespace

std::size_t utf16_units(std::string_view s) {
  std::size_t n = 0;
  for (std::size_t i = 0; i < s.size();) {
    std::size_t len = std::min(utf8_sequence_length(static_cast<unsigned char>(s[i])), s.size() - i);
    n += len == 4 ? 2 : 1;
    i += len;
  }
  return n;
}

std::size_t utf16_prefix(std::string_view s, std::size_t units) {
  std::size_t used = 0, cut = 0;
  while (cut < s.size()) {
    std::size_t len = std::min(utf8_sequence_length(static_cast<unsigned char>(s[cut])), s.size() - cut);
    std::size_t u = len == 4 ? 2 : 1;
    if (used + u > units) break;
    used += u;
    cut += len;
  }
  return cut;
}

std::string to_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

clean_text sanitize_text(std::string_view raw, std::size_t max_chars) {
  std::string out;
  out.reserve(std::min(raw.size(), max_chars * 4));
  std::size_t chars = 0;
  bool truncated = false;
  const auto* p = reinterpret_cast<const unsigned char*>(raw.data());
  const auto* end = p + raw.size();
  while (p < end) {
    unsigned char c = *p;
    std::size_t len = 0;
    char32_t cp = 0;
    if (c < 0x80) {
      len = 1;
      cp = c;
    } else if ((c & 0xE0) == 0xC0) {
      len = 2;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4;
      cp = c & 0x07;
    }
    bool valid = len > 0 && static_cast<std::size_t>(end - p) >= len;
    for (std::size_t i = 1; valid && i < len; ++i) {
      if ((p[i] & 0xC0) != 0x80) valid = false;
      else cp = (cp << 6) | (p[i] & 0x3F);
    }
    // Overlong forms, surrogates and values past U+10FFFF are not valid UTF-8 either.
    if (valid && ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
                  (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF))
      valid = false;
    if (chars >= max_chars) {
      truncated = true;
      break;
    }
    if (!valid) {
      out += "\xEF\xBF\xBD";
      ++p;
      ++chars;
      continue;
    }
    bool control = cp < 0x20 ? (cp != '\n' && cp != '\t') : (cp == 0x7F || (cp >= 0x80 && cp < 0xA0));
    if (!control) {
      out.append(reinterpret_cast<const char*>(p), len);
      ++chars;
    }
    p += len;
  }
  std::string_view t = trim(out);
  return {std::string(t), truncated};
}

std::optional<command_words> command_word(std::string_view text) {
  std::string t = to_lower(trim(text));
  if (!t.empty() && t.front() == '/') t.erase(0, 1);
  if (t.rfind("mlpath ", 0) == 0) t.erase(0, 7);
  std::string word = t, arg;
  if (auto sp = t.find(' '); sp != std::string::npos) {
    word = t.substr(0, sp);
    arg = std::string(trim(std::string_view(t).substr(sp + 1)));
  }
  static const std::pair<const char*, const char*> words[] = {
      {"start", "start"},     {"begin", "start"},     {"resume", "resume"}, {"continue", "resume"},
      {"back", "back"},       {"previous", "back"},   {"skip", "skip"},     {"restart", "restart"},
      {"status", "status"},   {"where", "status"},    {"result", "result"}, {"results", "result"},
      {"help", "help"},       {"?", "help"},          {"cancel", "cancel"}, {"no", "cancel"},
      {"delete", "delete"},   {"confirm", "confirm"}, {"yes", "confirm"},   {"y", "confirm"},
      {"checkin", "checkin"}, {"pause", "pause"},     {"stop", "stop"},     {"share", "share"},
      {"stats", "stats"},     {"edit", "edit"},       {"change", "edit"},
  };
  for (const auto& [w, canonical] : words) {
    if (word != w) continue;
    std::string c = canonical;
    // Only "edit" takes an argument; "skip this one" is not the command "skip".
    if (!arg.empty() && c != "edit") return std::nullopt;
    if (c == "edit" && arg.empty()) return std::nullopt;
    return command_words{c, arg};
  }
  return std::nullopt;
}

option_match match_options(const question& q, std::string_view text) {
  option_match m;
  auto match_one = [&](const std::string& piece) -> const option* {
    std::string p = to_lower(piece);
    if (all_digits(p)) {
      int n = std::stoi(p);
      if (n >= 1 && n <= static_cast<int>(q.options.size())) return &q.options[static_cast<std::size_t>(n - 1)];
      return nullptr;
    }
    for (const auto& o : q.options)
      if (o.id == p || to_lower(o.label) == p) return &o;
    return nullptr;
  };
  std::string whole(trim(text));
  if (const option* o = match_one(whole)) {
    m.ids.push_back(o->id);
    return m;
  }
  for (const auto& piece : split_pieces(whole)) {
    if (const option* o = match_one(piece)) {
      if (std::find(m.ids.begin(), m.ids.end(), o->id) == m.ids.end()) m.ids.push_back(o->id);
    } else {
      m.unknown.push_back(piece);
    }
  }
  return m;
}

}  // namespace mlpath::dialogs

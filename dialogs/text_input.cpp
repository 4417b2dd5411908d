#include "dialogs/text_input.hpp"

#include <algorithm>
#include <cctype>
#include <string>
#include <vector>

namespace mlpath::dialogs {
namespace {

bool all_digits(std::string_view s) {
  return !s.empty() && s.size() < 4 && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
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
      {"stats", "stats"},     {"edit", "edit"},       {"change", "edit"},   {"snooze", "snooze"},
      {"later", "later"},     {"check-in", "checkin"},
  };
  if ((word == "skip") && (arg == "week" || arg == "this week")) return command_words{"skip_week", ""};
  for (const auto& [w, canonical] : words) {
    if (word != w) continue;
    std::string c = canonical;
    // Only "edit", "checkin" and "pause" take arguments; "skip this one" is not the command "skip".
    bool takes_arg = c == "edit" || c == "checkin" || c == "pause";
    if (!arg.empty() && !takes_arg) return std::nullopt;
    if (c == "edit" && arg.empty()) return std::nullopt;
    if (c == "checkin" || c == "pause") {
      // Keep the argument as typed: a time zone name is case-sensitive.
      std::string_view raw = trim(text);
      if (!raw.empty() && raw.front() == '/') raw.remove_prefix(1);
      auto sp = raw.find(' ');
      arg = sp == std::string_view::npos ? std::string() : std::string(trim(raw.substr(sp + 1)));
      if (to_lower(raw.substr(0, std::min<std::size_t>(raw.size(), 7))) == "mlpath ") {
        raw.remove_prefix(7);
        sp = raw.find(' ');
        arg = sp == std::string_view::npos ? std::string() : std::string(trim(raw.substr(sp + 1)));
      }
    }
    return command_words{c, arg};
  }
  return std::nullopt;
}

namespace {

// Accented Latin letters (U+00C0 to U+017F) folded to ASCII, so "café" matches "cafe".
std::string_view fold_latin(char32_t cp) {
  if (cp >= 0xC0 && cp <= 0xC5) return "a";
  if (cp == 0xC6) return "ae";
  if (cp == 0xC7) return "c";
  if (cp >= 0xC8 && cp <= 0xCB) return "e";
  if (cp >= 0xCC && cp <= 0xCF) return "i";
  if (cp == 0xD0) return "d";
  if (cp == 0xD1) return "n";
  if ((cp >= 0xD2 && cp <= 0xD6) || cp == 0xD8) return "o";
  if (cp >= 0xD9 && cp <= 0xDC) return "u";
  if (cp == 0xDD) return "y";
  if (cp == 0xDF) return "ss";
  if (cp >= 0xE0 && cp <= 0xE5) return "a";
  if (cp == 0xE6) return "ae";
  if (cp == 0xE7) return "c";
  if (cp >= 0xE8 && cp <= 0xEB) return "e";
  if (cp >= 0xEC && cp <= 0xEF) return "i";
  if (cp == 0xF1) return "n";
  if ((cp >= 0xF2 && cp <= 0xF6) || cp == 0xF8) return "o";
  if (cp >= 0xF9 && cp <= 0xFC) return "u";
  if (cp == 0xFD || cp == 0xFF) return "y";
  if (cp >= 0x100 && cp <= 0x17F) {
    // Latin Extended-A comes in pairs; the base letters in order of the block.
    static const char* base = "aaaaaaccccccccddddeeeeeeeeeegggggggghhhhiiiiiiiiiijjjjkkklllllllllnnnnnnnnnoooooorrrrrrssssssssttttttuuuuuuuuuuuuwwyyyzzzzzzs";
    std::size_t i = cp - 0x100;
    if (i < std::char_traits<char>::length(base)) return std::string_view(base + i, 1);
  }
  return {};
}

// American spellings for the British word endings people type (both sides of a match
// go through this, so an over-eager rule only has to be consistent, not right).
std::string americanize(std::string w) {
  auto ends = [&](std::string_view suf) { return w.size() > suf.size() + 2 && w.compare(w.size() - suf.size(), suf.size(), suf) == 0; };
  auto swap_end = [&](std::string_view suf, std::string_view rep) {
    w.replace(w.size() - suf.size(), suf.size(), rep);
  };
  static const std::pair<const char*, const char*> rules[] = {
      {"isations", "izations"}, {"isation", "ization"}, {"ising", "izing"}, {"ised", "ized"}, {"ises", "izes"},
      {"ise", "ize"},           {"ysing", "yzing"},     {"ysed", "yzed"},   {"yses", "yzes"}, {"yse", "yze"},
      {"elling", "eling"},      {"elled", "eled"},      {"our", "or"},      {"ours", "ors"},  {"tre", "ter"},
      {"tres", "ters"},         {"ogue", "og"},         {"ogues", "ogs"},
  };
  for (const auto& [suf, rep] : rules)
    if (ends(suf)) {
      swap_end(suf, rep);
      break;
    }
  return w;
}

bool is_greeting(const std::string& n) {
  static const char* greetings[] = {"hi",          "hello",         "hey",          "hiya",         "yo",
                                    "howdy",       "hallo",         "hola",         "hi there",     "hello there",
                                    "hey there",   "good morning",  "good afternoon", "good evening", "morning",
                                    "hi mlpath",   "hello mlpath",  "hey mlpath",   "greetings",    "sup"};
  return std::any_of(std::begin(greetings), std::end(greetings), [&](const char* g) { return n == g; });
}

// The ways an option can be written, normalised: its id, label, label without a bracketed
// part, and aliases.
struct option_texts {
  const option* o;
  std::vector<std::string> texts;
  std::vector<std::string> label_words;  // for "starts like the label"
};

std::vector<option_texts> texts_of(const question& q) {
  std::vector<option_texts> out;
  for (const auto& o : q.options) {
    option_texts t{&o, {}, {}};
    std::string id = o.id;
    std::replace(id.begin(), id.end(), '_', ' ');
    t.texts.push_back(normalize_words(id));
    std::string label = normalize_words(o.label);
    t.texts.push_back(label);
    if (auto open = o.label.find('('); open != std::string::npos) t.texts.push_back(normalize_words(o.label.substr(0, open)));
    for (const auto& a : o.aliases) t.texts.push_back(normalize_words(a));
    t.label_words = words_of(label);
    out.push_back(std::move(t));
  }
  return out;
}

std::size_t tolerance(std::size_t length) { return length >= 9 ? 2 : length >= 4 ? 1 : 0; }

// How well a piece names an option: 0 exactly (number, id, label, alias), 1 as the start
// of its label, 2 with a small typo. nullopt: not this option.
std::optional<int> quality(const std::string& piece, const option_texts& t) {
  for (const auto& x : t.texts)
    if (x == piece) return 0;
  auto words = words_of(piece);
  if (words.size() >= 2 && words.size() < t.label_words.size() &&
      std::equal(words.begin(), words.end(), t.label_words.begin()))
    return 1;
  std::size_t tol = tolerance(piece.size());
  if (tol > 0)
    for (const auto& x : t.texts)
      if (edit_distance(piece, x, tol) <= tol) return 2;
  return std::nullopt;
}

// The option a piece names, when exactly one names it best.
const option* best_option(const std::string& piece, const std::vector<option_texts>& all, int& how) {
  const option* found = nullptr;
  int best = 99;
  bool tie = false;
  for (const auto& t : all) {
    auto qual = quality(piece, t);
    if (!qual) continue;
    if (*qual < best) {
      best = *qual;
      found = t.o;
      tie = false;
    } else if (*qual == best) {
      tie = true;
    }
  }
  if (!found || tie) return nullptr;
  how = best;
  return found;
}

// Options sharing a word (allowing a small typo) with what did not match, closest first.
std::vector<std::string> closest(const std::vector<std::string>& pieces, const std::vector<option_texts>& all) {
  std::vector<std::pair<int, std::string>> scored;
  for (const auto& t : all) {
    int score = 0;
    for (const auto& piece : pieces)
      for (const auto& w : words_of(piece)) {
        if (w.size() < 3) continue;
        bool hit = false;
        for (const auto& x : t.texts)
          for (const auto& xw : words_of(x))
            if (edit_distance(w, xw, tolerance(w.size())) <= tolerance(w.size()) ||
                (w.size() >= 4 && xw.rfind(w, 0) == 0))
              hit = true;
        score += hit ? 1 : 0;
      }
    if (score > 0) scored.emplace_back(score, t.o->id);
  }
  std::stable_sort(scored.begin(), scored.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  std::vector<std::string> out;
  for (const auto& [score, id] : scored)
    if (out.size() < 2) out.push_back(id);
  return out;
}

struct piece {
  std::string text;  // as typed, trimmed
  std::string sep;   // the separator that followed it ("" for the last)
};

// Splits at , ; & / and the word "and"; numbers separated by spaces ("1 3") too.
std::vector<piece> split_pieces(std::string_view text) {
  std::vector<piece> out;
  std::string cur;
  auto flush = [&](std::string sep) {
    std::string t(trim(cur));
    if (!t.empty()) out.push_back({std::move(t), std::move(sep)});
    else if (!out.empty()) out.back().sep += sep;
    cur.clear();
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == ',' || c == ';' || c == '&' || c == '/') {
      flush(std::string(1, c));
      continue;
    }
    if ((c == ' ') && i + 4 < text.size() + 1 && to_lower(text.substr(i, 5)) == " and ") {
      flush(" and ");
      i += 3;
      continue;
    }
    cur += c;
  }
  flush("");
  if (out.size() == 1) {
    auto words = words_of(out[0].text);
    if (words.size() > 1 && std::all_of(words.begin(), words.end(), [](const std::string& w) { return all_digits(w); })) {
      out.clear();
      for (auto& w : words) out.push_back({std::move(w), " "});
      out.back().sep.clear();
    }
  }
  return out;
}

}  // namespace

std::string normalize_words(std::string_view text) {
  std::string folded;
  folded.reserve(text.size());
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const auto* end = p + text.size();
  while (p < end) {
    unsigned char c = *p;
    if (c < 0x80) {
      char ch = static_cast<char>(std::tolower(c));
      bool keep = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '+' || ch == '#' || ch == '\'' ||
                  ch == '-' || ch == '.' || ch == '/' || ch == '&';
      folded += keep ? ch : ' ';
      ++p;
      continue;
    }
    std::size_t len = std::min<std::size_t>(utf8_sequence_length(c), static_cast<std::size_t>(end - p));
    char32_t cp = len == 2 ? ((c & 0x1F) << 6) | (p[1] & 0x3F) : 0;
    if (len == 3 && (c == 0xE2) && p[1] == 0x80 && (p[2] == 0x98 || p[2] == 0x99)) {
      folded += '\'';  // typographic apostrophes
    } else if (std::string_view f = len == 2 ? fold_latin(cp) : std::string_view(); !f.empty()) {
      folded += f;
    } else {
      folded.append(reinterpret_cast<const char*>(p), len);  // other scripts stay as they are
    }
    p += len;
  }
  std::string out;
  for (auto& w : words_of(folded)) {
    // Trailing dots and dashes are punctuation, not part of the word.
    while (w.size() > 1 && (w.back() == '.' || w.back() == '-')) w.pop_back();
    if (!out.empty()) out += ' ';
    out += americanize(std::move(w));
  }
  return out;
}

std::size_t edit_distance(std::string_view a, std::string_view b, std::size_t limit) {
  if (a.size() > b.size() + limit || b.size() > a.size() + limit) return limit + 1;
  const std::size_t n = a.size(), m = b.size();
  std::vector<std::size_t> prev2(m + 1), prev(m + 1), cur(m + 1);
  for (std::size_t j = 0; j <= m; ++j) prev[j] = j;
  for (std::size_t i = 1; i <= n; ++i) {
    cur[0] = i;
    std::size_t row_min = cur[0];
    for (std::size_t j = 1; j <= m; ++j) {
      std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) cur[j] = std::min(cur[j], prev2[j - 2] + 1);
      row_min = std::min(row_min, cur[j]);
    }
    if (row_min > limit) return limit + 1;
    prev2.swap(prev);
    prev.swap(cur);
  }
  return prev[m];
}

option_match match_options(const question& q, std::string_view text) {
  option_match m;
  std::string whole(trim(text));
  std::string whole_n = normalize_words(whole);
  if (is_greeting(whole_n)) {
    m.greeting = true;
    return m;
  }
  auto all = texts_of(q);
  auto add = [&](const option* o) {
    if (std::find(m.ids.begin(), m.ids.end(), o->id) == m.ids.end()) m.ids.push_back(o->id);
  };
  auto number = [&](const std::string& p) -> std::optional<const option*> {
    if (!all_digits(p)) return std::nullopt;
    int n = std::stoi(p);
    if (n >= 1 && n <= static_cast<int>(q.options.size())) return &q.options[static_cast<std::size_t>(n - 1)];
    m.out_of_range = n;
    return nullptr;
  };
  int how = 0;
  if (const option* o = best_option(whole_n, all, how); o && how == 0) {
    add(o);
    return m;
  }
  // Split, then group neighbouring pieces back together where the joined text names an
  // option ("analysing data and presenting what I found", "ci/cd"): fewest unmatched
  // pieces first, then the closest matches.
  std::vector<piece> pieces = split_pieces(whole);
  const std::size_t n = pieces.size();
  struct best_parse {
    int unknown = 1 << 20;
    int cost = 0;
    int from = -1;              // start piece of the last segment
    const option* o = nullptr;  // what that segment named (null: unknown)
  };
  std::vector<best_parse> best(n + 1);
  best[0].unknown = 0;
  for (std::size_t i = 1; i <= n; ++i) {
    for (std::size_t j = i; j-- > 0;) {
      if (best[j].unknown >= (1 << 20)) continue;
      std::string joined;
      for (std::size_t k = j; k < i; ++k) joined += pieces[k].text + (k + 1 < i ? pieces[k].sep : "");
      std::string norm = normalize_words(joined);
      const option* o = nullptr;
      int qual = 0;
      if (auto num = number(std::string(trim(joined)))) {
        o = *num;
      } else {
        o = best_option(norm, all, qual);
      }
      int unknown = best[j].unknown + (o ? 0 : 1);
      int cost = best[j].cost + (o ? qual : 0) + 1;
      if (!o && i - j > 1) continue;  // only single pieces may be unknown
      if (unknown < best[i].unknown || (unknown == best[i].unknown && cost < best[i].cost))
        best[i] = {unknown, cost, static_cast<int>(j), o};
    }
  }
  std::vector<std::pair<const option*, std::string>> segments;
  for (std::size_t i = n; i > 0;) {
    const best_parse& b = best[i];
    std::size_t j = static_cast<std::size_t>(b.from);
    std::string joined;
    for (std::size_t k = j; k < i; ++k) joined += pieces[k].text + (k + 1 < i ? pieces[k].sep : "");
    segments.emplace_back(b.o, joined);
    i = j;
  }
  std::reverse(segments.begin(), segments.end());
  for (const auto& [o, typed] : segments) {
    if (o) add(o);
    else if (!(all_digits(std::string(trim(typed))) && m.out_of_range)) m.unknown.push_back(typed);
  }
  if (!m.unknown.empty()) m.suggestions = closest(
      [&] {
        std::vector<std::string> v;
        for (const auto& u : m.unknown) v.push_back(normalize_words(u));
        return v;
      }(),
      all);
  return m;
}

namespace {
bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
}  // namespace

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

std::vector<std::string> words_of(std::string_view s) {
  std::vector<std::string> out;
  std::string w;
  for (char c : s) {
    if (is_space(c)) {
      if (!w.empty()) out.push_back(std::move(w));
      w.clear();
    } else {
      w += c;
    }
  }
  if (!w.empty()) out.push_back(std::move(w));
  return out;
}

}  // namespace mlpath::dialogs

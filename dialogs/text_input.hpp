#pragma once
// Reading what people type: cleaning free text, spotting command words, and matching
// "2", "python" or "Python" to option ids. Pure functions.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dialogs/content.hpp"

namespace mlpath::dialogs {

struct clean_text {
  std::string text;
  bool truncated = false;
};

// Valid UTF-8 (bad bytes become U+FFFD), control characters other than newline and tab
// dropped, surrounding white space trimmed, at most `max_chars` characters.
clean_text sanitize_text(std::string_view raw, std::size_t max_chars);

struct command_words {
  std::string word;  // start, resume, back, skip, restart, status, result, help, cancel, confirm, edit, ...
  std::string arg;   // "edit 3" -> "3"
};

// A message that is exactly a command ("back", "Skip", "/help", "yes", "edit 3").
std::optional<command_words> command_word(std::string_view text);

struct option_match {
  std::vector<std::string> ids;          // matched option ids, in the order typed
  std::vector<std::string> unknown;      // pieces that matched nothing
  std::optional<int> out_of_range;       // a number past the last option ("5" of 4)
  std::vector<std::string> suggestions;  // option ids closest to what did not match (at most two)
  bool greeting = false;                 // "hi", "hello": show the question again
};

// Reads a typed answer the way people write it: an option's number, id, label, the start
// of its label or one of its aliases from the content; case, accents, British and
// American spellings and small typos do not matter; several answers may be separated by
// commas, semicolons, "and", "&" or "/" (a label that itself holds "and", or an alias
// such as "ci/cd", is still read as one).
option_match match_options(const question& q, std::string_view text);

// Lower case, accents folded (é -> e), punctuation other than + # ' - . folded to
// spaces, British spellings made American (analyse -> analyze, colour -> color), single
// spaces. The form both sides of a match are compared in.
std::string normalize_words(std::string_view text);

// Damerau-Levenshtein distance (an adjacent swap costs one), stopping early past `limit`.
std::size_t edit_distance(std::string_view a, std::string_view b, std::size_t limit);

std::string to_lower(std::string_view s);
// White space (space, tab, CR, LF) off both ends.
std::string_view trim(std::string_view s);
// The words of `s`, split at white space.
std::vector<std::string> words_of(std::string_view s);

// Platform length limits count UTF-16 code units (a character outside the BMP is two);
// counting that way is the stricter of the ways a character can be counted.
std::size_t utf16_units(std::string_view utf8);
// The byte length of the longest prefix of `utf8` that fits in `units` UTF-16 units,
// cut at a character boundary.
std::size_t utf16_prefix(std::string_view utf8, std::size_t units);

}  // namespace mlpath::dialogs

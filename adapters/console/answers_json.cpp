#include "adapters/console/answers_json.hpp"

#include <simdjson.h>

#include "adapters/common/json_util.hpp"

#include <algorithm>

#include "dialogs/text_input.hpp"

namespace mlpath::console {
using namespace mlpath::dialogs;

std::variant<answer_list, std::vector<std::string>> parse_answers_json(const content& c, std::string_view text,
                                                                       timestamp at) {
  namespace od = simdjson::ondemand;
  std::vector<std::string> errors;
  answer_list answers;
  simdjson::padded_string padded(text);
  od::parser parser;
  od::document doc;
  od::object obj;
  if (auto e = parser.iterate(padded).get(doc); e || doc.get_object().get(obj))
    return std::vector<std::string>{"the answers must be one JSON object (question id -> answer)"};
  const flow& f = c.questions;
  for (auto field : obj) {
    std::string_view key_view;
    if (field.unescaped_key().get(key_view)) return std::vector<std::string>{"the answers are not valid JSON"};
    std::string key(key_view);
    od::value v;
    if (field.value().get(v)) return std::vector<std::string>{"the answers are not valid JSON"};
    const question* q = f.find(key);
    if (!q) {
      errors.push_back("unknown question id \"" + key + "\"");
      continue;
    }
    if (find_answer(answers, key)) {
      errors.push_back("question \"" + key + "\" is answered twice");
      continue;
    }
    answer a;
    a.question = q->id;
    a.fingerprint = q->fingerprint;
    a.at = at;
    od::json_type t;
    if (v.type().get(t)) return std::vector<std::string>{"the answers are not valid JSON"};
    std::vector<std::string> ids;
    if (t == od::json_type::null) {
      if (!q->optional) errors.push_back("question \"" + key + "\" cannot be skipped");
      a.skipped = true;
    } else if (t == od::json_type::string) {
      std::string_view s;
      if (v.get_string().get(s)) return std::vector<std::string>{"the answers are not valid JSON"};
      if (q->kind == question_kind::text) a.text = sanitize_text(s, static_cast<std::size_t>(q->max_length)).text;
      else ids.emplace_back(s);
    } else if (t == od::json_type::array) {
      od::array arr;
      if (v.get_array().get(arr)) return std::vector<std::string>{"the answers are not valid JSON"};
      for (auto e : arr) {
        std::string_view s;
        if (e.get_string().get(s)) {
          errors.push_back("question \"" + key + "\": options must be strings");
          break;
        }
        ids.emplace_back(s);
      }
      if (q->kind == question_kind::text) errors.push_back("question \"" + key + "\" takes text, not a list");
    } else {
      errors.push_back("question \"" + key + "\": expected an option id, a list of option ids, text or null");
      continue;
    }
    if (q->kind != question_kind::text && !a.skipped) {
      bool bad = false;
      for (const auto& id : ids)
        if (!q->find_option(id)) {
          errors.push_back("question \"" + key + "\": unknown option id \"" + id + "\"");
          bad = true;
        }
      if (!bad) {
        for (const auto& o : q->options)
          if (std::find(ids.begin(), ids.end(), o.id) != ids.end()) a.options.push_back(o.id);
        if (a.options.empty()) errors.push_back("question \"" + key + "\": no option chosen");
        else if (q->kind == question_kind::single && a.options.size() > 1)
          errors.push_back("question \"" + key + "\" takes one option");
        else if (static_cast<int>(a.options.size()) > q->max_choices())
          errors.push_back("question \"" + key + "\" takes at most " + std::to_string(q->max_choices()) + " options");
      }
    }
    answers.push_back(std::move(a));
  }
  if (!adapters::at_document_end(doc)) errors.push_back("unexpected content after the JSON object");
  if (!errors.empty()) return errors;
  std::stable_sort(answers.begin(), answers.end(),
                   [&](const answer& x, const answer& y) { return f.index_of(x.question) < f.index_of(y.question); });
  return answers;
}

}  // namespace mlpath::console

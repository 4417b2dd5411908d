#include "adapters/discord/components.hpp"

#include <boost/json/array.hpp>
#include <boost/json/string.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <cmath>
#include <optional>
#include <set>

#include "adapters/common/result_words.hpp"
#include "adapters/common/score_bar.hpp"
#include "dialogs/action_token.hpp"
#include "dialogs/text_input.hpp"

namespace mlpath::discord {
namespace {

namespace json = boost::json;
using namespace dialogs;

// Discord's limits (developers/components/reference.mdx, resources/message.mdx). Lengths
// are counted in UTF-16 code units, the stricter of the ways a character can be counted.
constexpr std::size_t max_content = 2000;
constexpr std::size_t max_rows = 5;
constexpr std::size_t max_buttons_per_row = 5;
constexpr std::size_t max_button_label = 80;
constexpr std::size_t max_custom_id = 100;
constexpr std::size_t max_select_options = 25;
constexpr std::size_t max_option_text = 100;  // label, value, description
constexpr std::size_t max_placeholder = 150;
constexpr std::size_t max_embed_title = 256;
constexpr std::size_t max_embed_description = 4096;
constexpr std::size_t max_fields = 25;
constexpr std::size_t max_field_name = 256;
constexpr std::size_t max_field_value = 1024;
constexpr std::size_t max_footer = 2048;
constexpr std::size_t max_embed_total = 6000;
constexpr std::size_t max_modal_title = 45;
constexpr std::size_t max_input_label = 45;
constexpr int max_input_length = 4000;

constexpr int style_primary = 1;
constexpr int style_secondary = 2;
constexpr int style_danger = 4;

constexpr std::int64_t brand_colour = 0x5865F2;

std::size_t units(std::string_view s) { return dialogs::utf16_units(s); }

// At most `max` units, cut at a character boundary and marked with "…". A cut never
// leaves a dangling escape backslash behind.
std::string fit(std::string_view s, std::size_t max) {
  if (units(s) <= max) return std::string(s);
  if (max == 0) return {};
  std::size_t cut = dialogs::utf16_prefix(s, max - 1);
  std::size_t slashes = 0;
  while (slashes < cut && s[cut - 1 - slashes] == '\\') ++slashes;
  if (slashes % 2) --cut;
  return std::string(s.substr(0, cut)) + "\xE2\x80\xA6";
}

// Discord markdown: a backslash before any punctuation shows it literally. Escaped where
// text is rendered as markdown (content, descriptions, field values), so answers and
// titles never turn into formatting, links or mentions.
std::string md(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 8);
  bool line_start = true;
  for (char c : s) {
    switch (c) {
      case '\\': case '*': case '_': case '~': case '`': case '|': case '[': case ']': case '<': case '@':
        out += '\\';
        break;
      case '#': case '-': case '>':
        if (line_start) out += '\\';
        break;
      default: break;
    }
    out += c;
    if (c == '\n') line_start = true;
    else if (c != ' ') line_start = false;
  }
  return out;
}

// A link label in [label](url): only the brackets and escapes matter there.
std::string link_label(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '[' || c == ']' || c == '\\' || c == '*' || c == '_' || c == '~' || c == '`' || c == '|') out += '\\';
    out += c;
  }
  return out;
}

std::string link(std::string_view title, std::string_view url) {
  std::string label = title.empty() ? std::string(url) : std::string(title);
  if (url.empty() || (url.substr(0, 8) != "https://" && url.substr(0, 7) != "http://")) return md(label);
  std::string target;
  for (char c : url) {
    if (c == ')') target += "%29";
    else if (c == '(') target += "%28";
    else if (c == ' ') target += "%20";
    else if (c == '<' || c == '>') target += c == '<' ? "%3C" : "%3E";
    else target += c;
  }
  return "[" + link_label(label) + "](" + target + ")";
}

int style_of(action_style s) {
  switch (s) {
    case action_style::primary: return style_primary;
    case action_style::danger: return style_danger;
    case action_style::normal: break;
  }
  return style_secondary;
}

// A message under construction: content, embeds and action rows within the limits; a
// custom_id is used once per message (Discord refuses duplicates).
class message {
 public:
  std::string content;
  json::array embeds;

  bool rows_left(std::size_t n = 1) const { return rows_.size() + n <= max_rows; }
  std::size_t rows_free() const { return max_rows - rows_.size(); }

  // Buttons in rows of five; what does not fit in the five rows is left out.
  void buttons(const std::vector<action>& actions) {
    json::array row;
    for (const auto& a : actions) {
      auto b = button(a.label, a.id, style_of(a.style));
      if (!b) continue;
      if (row.size() == max_buttons_per_row) {
        if (!push_row(std::move(row))) return;
        row = {};
      }
      row.push_back(std::move(*b));
    }
    if (!row.empty()) push_row(std::move(row));
  }

  std::optional<json::object> button(std::string_view label, std::string_view custom_id, int style) {
    if (custom_id.empty() || custom_id.size() > max_custom_id || !ids_.insert(std::string(custom_id)).second)
      return std::nullopt;
    std::string l = fit(label, max_button_label);
    if (l.empty()) l = "\xE2\x80\xA6";
    return json::object{{"type", 2}, {"style", style}, {"label", l}, {"custom_id", custom_id}};
  }

  bool push_row(json::array components) {
    if (components.empty() || !rows_left()) return false;
    rows_.push_back(json::object{{"type", 1}, {"components", std::move(components)}});
    return true;
  }

  // A string select in its own row.
  bool select(std::string_view custom_id, std::string_view placeholder, json::array options, int min_values,
              int max_values) {
    if (options.empty() || !rows_left() || custom_id.empty() || custom_id.size() > max_custom_id ||
        ids_.count(std::string(custom_id)))
      return false;
    ids_.insert(std::string(custom_id));
    int count = static_cast<int>(options.size());
    max_values = std::clamp(max_values, 1, count);
    min_values = std::clamp(min_values, 0, max_values);
    json::object s{{"type", 3},
                   {"custom_id", custom_id},
                   {"placeholder", fit(placeholder, max_placeholder)},
                   {"min_values", min_values},
                   {"max_values", max_values},
                   {"options", std::move(options)}};
    return push_row(json::array{std::move(s)});
  }

  json::object finish(bool ephemeral) {
    json::object m;
    std::string c = fit(content, max_content);
    // An empty message is refused: with no embed, say something.
    if (c.empty() && embeds.empty()) c = "\xE2\x80\xA6";
    m["content"] = std::move(c);
    m["embeds"] = std::move(embeds);
    json::array rows;
    for (auto& r : rows_) rows.push_back(std::move(r));
    m["components"] = std::move(rows);
    // We echo what people typed: nothing we send may ping anyone.
    m["allowed_mentions"] = json::object{{"parse", json::array{}}};
    if (ephemeral) m["flags"] = flag_ephemeral;
    return m;
  }

 private:
  std::vector<json::object> rows_;
  std::set<std::string> ids_;
};

json::object select_option(std::string_view label, std::string_view value, bool chosen) {
  std::string l = fit(label, max_option_text);
  if (l.empty()) l = std::string(value);
  json::object o{{"label", l}, {"value", value}};
  if (chosen) o["default"] = true;
  return o;
}

bool contains(const std::vector<std::string>& v, const std::string& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

// An embed under construction, kept within the per-embed limits; the caller keeps the
// message total (6000) by building one embed per message.
class embed {
 public:
  std::string title;
  std::string description;
  std::string footer;
  std::int64_t colour = brand_colour;

  struct field {
    std::string name;
    std::string value;
    bool is_inline = false;
  };
  std::vector<field> fields;

  // Lines into fields named `name`, continuing in "name (cont.)" fields when a value fills.
  void lines_field(const std::string& name, const std::vector<std::string>& lines) {
    std::string value;
    bool first = true;
    auto flush = [&] {
      if (value.empty()) return;
      fields.push_back({first ? name : name + " (cont.)", value});
      first = false;
      value.clear();
    };
    for (const auto& raw : lines) {
      std::string line = fit(raw, max_field_value);
      if (!value.empty() && units(value) + 1 + units(line) > max_field_value) flush();
      if (!value.empty()) value += '\n';
      value += line;
    }
    flush();
  }

  std::size_t total() const {
    std::size_t n = units(fit(title, max_embed_title)) + units(fit(description, max_embed_description)) +
                    units(fit(footer, max_footer));
    for (std::size_t i = 0; i < fields.size() && i < max_fields; ++i)
      n += units(fit(fields[i].name, max_field_name)) + units(fit(fields[i].value, max_field_value));
    return n;
  }

  // Over the 6000 total or 25 fields: fields go from the end, with a note that some did.
  json::object finish() {
    const std::string more = "\n\xE2\x80\xA6 (shortened to fit Discord's limits)";
    bool cut = fields.size() > max_fields;
    if (cut) fields.resize(max_fields);
    while (!fields.empty() && total() + (cut ? units(more) : 0) > max_embed_total) {
      fields.pop_back();
      cut = true;
    }
    if (cut) description = fit(description, max_embed_description - units(more)) + more;
    // Only a huge description itself can still be over: it gives way.
    if (total() > max_embed_total) {
      std::size_t others = total() - units(fit(description, max_embed_description));
      description = fit(description, others < max_embed_total ? max_embed_total - others : 0);
    }
    json::object e{{"type", "rich"}, {"color", colour}};
    if (!title.empty()) e["title"] = fit(title, max_embed_title);
    if (!description.empty()) e["description"] = fit(description, max_embed_description);
    json::array fs;
    for (const auto& f : fields) {
      std::string name = fit(f.name, max_field_name), value = fit(f.value, max_field_value);
      if (name.empty()) name = "\xE2\x80\x8B";  // zero-width space: a field needs a name
      if (value.empty()) value = "\xE2\x80\x8B";
      fs.push_back(json::object{{"name", name}, {"value", value}, {"inline", f.is_inline}});
    }
    if (!fs.empty()) e["fields"] = std::move(fs);
    if (!footer.empty()) e["footer"] = json::object{{"text", fit(footer, max_footer)}};
    return e;
  }
};

std::string heading(const question_reply& q) {
  std::string h = "**";
  if (q.total > 0) h += std::to_string(q.position) + "/" + std::to_string(q.total) + " \xC2\xB7 ";
  h += md(q.title) + "**";
  if (!q.prompt.empty()) h += "\n" + md(q.prompt);
  if (!q.hint.empty()) h += "\n*" + md(q.hint) + "*";
  return h;
}

// The token a select answering `q` carries: q:<question>:r<round> (the options are its values).
std::string select_token(const question_reply& q) { return group_token(q.question) + ":r" + std::to_string(q.round); }

json::object render_question(const question_reply& q, bool ephemeral) {
  message m;
  m.content = heading(q);
  std::size_t shown = std::min(q.options.size(), max_select_options);
  if (q.kind == question_kind::single && !q.options.empty()) {
    if (q.options.size() <= max_buttons_per_row) {
      json::array row;
      for (const auto& o : q.options) {
        bool chosen = contains(q.selected, o.id);
        if (auto b = m.button(o.label, answer_token(q.question, o.id, q.round), chosen ? style_primary : style_secondary))
          row.push_back(std::move(*b));
      }
      m.push_row(std::move(row));
    } else {
      json::array options;
      for (std::size_t i = 0; i < shown; ++i)
        options.push_back(select_option(q.options[i].label, q.options[i].id,
                                        !q.selected.empty() && q.selected.front() == q.options[i].id));
      m.select(select_token(q), "Choose one", std::move(options), 1, 1);
    }
  } else if (q.kind == question_kind::multi && !q.options.empty()) {
    json::array options;
    for (std::size_t i = 0; i < shown; ++i)
      options.push_back(select_option(q.options[i].label, q.options[i].id, contains(q.selected, q.options[i].id)));
    int most = q.max > 0 ? std::min<int>(q.max, static_cast<int>(shown)) : static_cast<int>(shown);
    std::string placeholder = most < static_cast<int>(shown) ? "Choose up to " + std::to_string(most) : "Choose any that apply";
    m.select(select_token(q), placeholder, std::move(options), 1, most);
  } else if (q.kind == question_kind::text) {
    if (!q.text.empty()) m.content += "\nYour answer so far: " + md(q.text);
    // In a server the flow is ephemeral, so typed answers go to the DM with the bot.
    m.content += ephemeral ? "\n*or just reply to me in a DM*" : "\n*or just type your answer here*";
    m.buttons({{command_token("answer", q.question, q.round), "Answer", action_style::primary}});
  }
  m.buttons(q.actions);
  return m.finish(ephemeral);
}

json::object render_text(const text_reply& r, bool ephemeral) {
  message m;
  m.content = md(r.text);
  m.buttons(r.actions);
  return m.finish(ephemeral);
}

json::object render_error(const error_reply& r, bool ephemeral) {
  message m;
  m.content = "\xE2\x9A\xA0\xEF\xB8\x8F " + md(r.text);  // ⚠️
  return m.finish(ephemeral);
}

// A confirmation looks like any text with buttons; its danger style travels in the actions.
json::object render_confirm(const confirm_reply& r, bool ephemeral) { return render_text({r.text, r.actions}, ephemeral); }

// Buttons for "See my matches" and friends first; then one Change button per question
// while they fit in the remaining rows, else "Change an answer" selects whose custom_id
// is cmd:edit:r<round> (then cmd:edit:p2:r<round>, ...) and whose values are question ids.
json::object render_summary(const summary_reply& r, bool ephemeral) {
  message m;
  m.content = md(r.text);
  embed e;
  e.title = "Your answers";
  std::string lines;
  int n = 0;
  for (const auto& l : r.lines) {
    std::string answer = l.skipped ? std::string("*(skipped)*") : md(l.answer);
    std::string line = std::to_string(++n) + ". **" + md(l.title) + ":** " + answer;
    lines += (lines.empty() ? "" : "\n") + fit(line, 400);
  }
  e.description = fit(lines, max_embed_description);
  m.embeds.push_back(e.finish());

  std::vector<action> controls;
  struct change {
    std::string question;
    std::string label;
    std::string id;
  };
  std::vector<change> changes;
  for (const auto& a : r.actions) {
    auto t = parse_action_token(a.id);
    if (t && t->kind == input_kind::command && t->command == "edit" && !t->arg.empty())
      changes.push_back({t->arg, a.label, a.id});
    else
      controls.push_back(a);
  }
  m.buttons(controls);
  std::size_t free_rows = m.rows_free();
  if (changes.size() <= free_rows * max_buttons_per_row) {
    std::vector<action> edit_buttons;
    for (const auto& c : changes) edit_buttons.push_back({c.id, c.label, action_style::normal});
    m.buttons(edit_buttons);
  } else {
    for (std::size_t start = 0, page = 1; start < changes.size() && m.rows_left(); start += max_select_options, ++page) {
      json::array options;
      for (std::size_t i = start; i < changes.size() && i < start + max_select_options; ++i) {
        std::string label = changes[i].label;
        const std::string prefix = "Change: ";
        if (label.rfind(prefix, 0) == 0) label = label.substr(prefix.size());
        options.push_back(select_option(label, changes[i].question, false));
      }
      std::string id = page == 1 ? command_token("edit", "", r.round)
                                 : command_token("edit", "p" + std::to_string(page), r.round);
      m.select(id, "Change an answer", std::move(options), 1, 1);
    }
  }
  return m.finish(ephemeral);
}

std::string confidence_line(const match_result& m) {
  int pct = static_cast<int>(std::lround(m.answered * 100.0));
  std::string line = std::string("**Confidence:** ") + to_string(m.level) + " \xC2\xB7 based on " + std::to_string(pct) +
                     "% of what I score";
  switch (m.level) {
    case confidence::insufficient: line += ". Answer more questions for a clearer picture."; break;
    case confidence::low: line += ". Your answers fit several roles about equally."; break;
    default: break;
  }
  return line;
}

json::object render_match(const result_reply& r, bool ephemeral) {
  const match_result& mr = r.match;
  embed e;
  e.title = "Your ML role matches";
  e.description = confidence_line(mr);
  if (!r.note.empty()) e.description += "\n\n*" + md(r.note) + "*";
  for (const auto& role : mr.roles) {
    std::string value = adapters::score_bar(role.score) + " " + std::to_string(role.score);
    if (contains(mr.primary, role.role)) value += mr.primary.size() > 1 ? " \xC2\xB7 **co-primary match**" : " \xC2\xB7 **best match**";
    else if (contains(mr.secondary, role.role)) value += " \xC2\xB7 *also worth a look*";
    // Reasons for the roles worth a look, in the person's terms; points stay in the JSON.
    bool shown = contains(mr.primary, role.role) || contains(mr.secondary, role.role);
    if (std::string why = adapters::reasons_sentence(role.why); shown && !why.empty()) value += "\n" + md(why);
    e.fields.push_back({role.name, value});
  }
  if (!r.goal.empty()) e.fields.push_back({"Your goal", "*" + md(r.goal) + "*"});
  for (const auto& card : r.roles) {
    std::string value = md(card.summary);
    if (!card.key_skills.empty()) {
      std::string skills;
      for (const auto& s : card.key_skills) skills += (skills.empty() ? "" : ", ") + md(s);
      value += (value.empty() ? "" : "\n") + std::string("*Key skills:* ") + skills;
    }
    e.fields.push_back({"About: " + card.name, value});
  }
  message m;
  std::string best;
  for (const auto& id : mr.primary)
    if (const role_score* s = mr.find(id)) best += (best.empty() ? "**" : " and **") + md(s->name) + "**";
  m.content = best.empty() ? std::string("Your matches are ready.")
                           : (mr.primary.size() > 1 ? "Your best matches: " : "Your best match: ") + best;
  m.embeds.push_back(e.finish());
  m.buttons(r.actions);
  return m.finish(ephemeral);
}

embed plan_embed(const learning_plan& p, bool with_details) {
  embed e;
  e.title = "Your learning plan";
  std::string pace = md(p.pace_label);
  if (p.total_weeks > 0) {
    std::string weeks = "About " + std::to_string(p.total_weeks) + " weeks in all";
    if (pace.empty() && p.hours_per_week > 0)
      weeks += " at " + std::to_string(static_cast<int>(std::lround(p.hours_per_week))) + " hours a week";
    pace += (pace.empty() ? "" : " ") + weeks + ".";
  }
  e.description = pace;
  if (std::string milestone = adapters::milestone_text(p); !milestone.empty())
    e.description += (e.description.empty() ? "" : "\n") + std::string("**") + md(milestone) + "**";
  if (!p.skipped.empty()) {
    std::string skipped = "Left out because you have it already: ";
    for (std::size_t i = 0; i < p.skipped.size(); ++i)
      skipped += (i ? "; " : "") + md(p.skipped[i].title) + " (" + md(p.skipped[i].because) + ")";
    e.description += "\n" + skipped;
  }
  for (const auto& s : p.sections) {
    std::vector<std::string> lines;
    for (const auto& step : s.steps) {
      std::string title = step.title.empty() ? step.link.title : step.title;
      std::string line = "\xE2\x80\xA2 " + link(title, step.link.url);
      if (with_details && !step.detail.empty()) line += " \xE2\x80\x94 " + md(step.detail);
      if (std::string weeks = adapters::weeks_text(step); !weeks.empty())
        line += " (" + weeks + (step.milestone ? ", first milestone" : "") + ")";
      lines.push_back(std::move(line));
    }
    if (!lines.empty()) e.lines_field(s.title, lines);
  }
  if (p.tip) {
    std::vector<std::string> lines;
    if (with_details && !p.tip->detail.empty()) lines.push_back(md(p.tip->detail));
    if (!p.tip->link.url.empty()) lines.push_back(link(p.tip->link.title, p.tip->link.url));
    if (lines.empty()) lines.push_back(md(p.tip->title));
    e.lines_field("Tip: " + p.tip->title, lines);
  }
  return e;
}

json::object render_plan(const learning_plan& p, bool ephemeral) {
  // Details make the plan readable; links are what it is for, so they stay when the
  // whole plan would pass Discord's 6000-character embed budget.
  embed e = plan_embed(p, true);
  if (e.total() > max_embed_total || e.fields.size() > max_fields) e = plan_embed(p, false);
  message m;
  m.embeds.push_back(e.finish());
  return m.finish(ephemeral);
}

using adapters::count_text;

}  // namespace

std::vector<json::object> render_reply(const reply& r, bool ephemeral) {
  return std::visit(
      [&](const auto& x) -> std::vector<json::object> {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, text_reply>) return {render_text(x, ephemeral)};
        else if constexpr (std::is_same_v<T, error_reply>) return {render_error(x, ephemeral)};
        else if constexpr (std::is_same_v<T, question_reply>) return {render_question(x, ephemeral)};
        else if constexpr (std::is_same_v<T, answered_reply>) return {render_answered(x, ephemeral)};
        else if constexpr (std::is_same_v<T, summary_reply>) return {render_summary(x, ephemeral)};
        else if constexpr (std::is_same_v<T, confirm_reply>) return {render_confirm(x, ephemeral)};
        else return {render_match(x, ephemeral), render_plan(x.plan, ephemeral)};
      },
      r);
}

json::object render_answered(const answered_reply& r, bool ephemeral) {
  std::string answer;
  if (r.skipped || r.labels.empty()) {
    answer = "*(skipped)*";
  } else {
    for (const auto& l : r.labels) answer += (answer.empty() ? "" : ", ") + md(l);
  }
  message m;
  m.content = "\xE2\x9C\x93 **" + md(r.title) + "**: " + answer;  // ✓
  return m.finish(ephemeral);
}

json::object render_text_modal(const question_reply& q) {
  int max_length = q.max_length > 0 ? std::min(q.max_length, max_input_length) : max_input_length;
  std::string label = q.prompt.empty() ? q.title : q.prompt;
  json::object input{{"type", 4},
                     {"custom_id", "answer"},
                     {"style", 2},
                     {"label", fit(label.empty() ? std::string("Your answer") : label, max_input_label)},
                     {"min_length", 1},
                     {"max_length", max_length},
                     {"required", true}};
  // Text inputs count characters; UTF-16 units are the conservative count.
  if (!q.text.empty()) input["value"] = fit(q.text, static_cast<std::size_t>(max_length));
  if (!q.hint.empty()) input["placeholder"] = fit(q.hint, 100);
  std::string title = q.title.empty() ? std::string("Your answer") : q.title;
  return {{"custom_id", select_token(q)},
          {"title", fit(title, max_modal_title)},
          // The action-row layout: deprecated in favour of Label (type 18) but still
          // accepted, and it is what every client renders the same way.
          {"components", json::array{json::object{{"type", 1}, {"components", json::array{std::move(input)}}}}}};
}

json::object render_share_card() {
  embed e;
  e.title = "Find your path into machine learning";
  e.description =
      "A short, private reflection: what energises you, the workday you picture, the ML fields that pull you and "
      "the experience you bring. You get ranked role matches with the reasons and a learning plan with links. Only "
      "you see your answers.";
  message m;
  m.embeds.push_back(e.finish());
  if (auto b = m.button("Start my reflection", "cmd:start", style_primary)) m.push_row(json::array{std::move(*b)});
  return m.finish(false);
}

json::object render_stats(const community_stats& s, bool ephemeral) {
  embed e;
  e.title = "mlpath in this server";
  e.fields.push_back({"Started", count_text(s.started), true});
  e.fields.push_back({"Finished", count_text(s.finished), true});
  e.fields.push_back({"Active weekly check-ins", count_text(s.active_checkins), true});
  std::vector<std::string> lines;
  for (const auto& [role, people] : s.primary_roles) lines.push_back("**" + md(role) + "**: " + count_text(people));
  if (lines.empty()) lines.push_back("No results yet.");
  e.lines_field("Primary role matches", lines);
  e.footer = "Aggregates only: any group smaller than 5 people is shown as <5.";
  message m;
  m.embeds.push_back(e.finish());
  return m.finish(ephemeral);
}

}  // namespace mlpath::discord

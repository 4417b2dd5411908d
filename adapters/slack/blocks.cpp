#include "adapters/slack/blocks.hpp"

#include <boost/json/array.hpp>
#include <boost/json/string.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <cmath>
#include <set>

#include "adapters/common/result_words.hpp"
#include "adapters/common/score_bar.hpp"
#include "dialogs/action_token.hpp"
#include "dialogs/text_input.hpp"

namespace mlpath::slack {
namespace {

namespace json = boost::json;
using namespace dialogs;

// Slack's limits (docs.slack.dev Block Kit reference). Lengths are counted in UTF-16 code
// units, the stricter of the ways a character can be counted.
constexpr std::size_t max_blocks = 50;
constexpr std::size_t max_text = 3000;       // section / context text
constexpr std::size_t max_button_text = 75;
constexpr std::size_t max_value = 255;       // our cap for button values, action_id, block_id
constexpr std::size_t max_option_text = 75;
constexpr std::size_t max_option_value = 150;
constexpr std::size_t max_header = 150;
constexpr std::size_t max_elements = 25;     // per actions block
constexpr std::size_t max_checkboxes = 10;
constexpr std::size_t max_select_options = 100;
constexpr std::size_t max_modal_title = 24;
constexpr std::size_t max_label = 2000;      // input label and hint
constexpr int max_input_length = 3000;       // plain_text_input max_length
constexpr std::size_t max_fallback = 3000;   // top-level text: far below Slack's 40k, it is a preview
constexpr std::size_t max_buttons_inline = 5;
constexpr std::size_t max_home_blocks = 100;  // a Home tab view

std::size_t units(std::string_view s) { return dialogs::utf16_units(s); }

// At most `max` units, cut at a character boundary and marked with "…". In mrkdwn the
// cut also avoids splitting an entity (&amp;) or a link (<url|label>) we wrote.
std::string fit(std::string_view s, std::size_t max, bool markup = false) {
  if (units(s) <= max) return std::string(s);
  if (max == 0) return {};
  std::size_t cut = dialogs::utf16_prefix(s, max - 1);
  if (markup && cut > 0) {
    std::string_view kept = s.substr(0, cut);
    auto amp = kept.rfind('&');
    if (amp != std::string_view::npos && kept.size() - amp < 5 && kept.find(';', amp) == std::string_view::npos)
      cut = amp;
    kept = s.substr(0, cut);
    auto lt = kept.rfind('<');
    auto gt = kept.rfind('>');
    if (lt != std::string_view::npos && (gt == std::string_view::npos || gt < lt)) cut = lt;
  }
  return std::string(s.substr(0, cut)) + "\xE2\x80\xA6";
}

std::string esc(std::string_view s) { return escape_mrkdwn(s); }

json::object plain(std::string_view text, std::size_t max) {
  std::string t = fit(text, max);
  if (t.empty()) t = "-";  // text objects need at least one character
  return {{"type", "plain_text"}, {"text", t}, {"emoji", true}};
}

json::object mrkdwn(std::string_view text, std::size_t max = max_text) {
  std::string t = fit(text, max, true);
  if (t.empty()) t = " ";
  return {{"type", "mrkdwn"}, {"text", t}};
}

json::object section(std::string_view text, std::string_view block_id = {}) {
  json::object b{{"type", "section"}, {"text", mrkdwn(text)}};
  if (!block_id.empty()) b["block_id"] = fit(block_id, max_value);
  return b;
}

json::object context(std::string_view text) {
  return {{"type", "context"}, {"elements", json::array{mrkdwn(text)}}};
}

json::object header(std::string_view text) { return {{"type", "header"}, {"text", plain(text, max_header)}}; }

json::object button(std::string_view label, std::string_view value, action_style style) {
  json::object b{{"type", "button"},
                 {"text", plain(label, max_button_text)},
                 {"value", fit(value, max_value)},
                 {"action_id", fit(value, max_value)}};
  if (style == action_style::primary) b["style"] = "primary";
  if (style == action_style::danger) b["style"] = "danger";
  return b;
}

json::object option_object(const option& o) {
  return {{"text", plain(o.label, max_option_text)}, {"value", fit(o.id, max_option_value)}};
}

std::string question_block_id(const question_reply& q) { return group_token(q.question) + ":r" + std::to_string(q.round); }

std::string link(const resource& r) {
  std::string label = r.title.empty() ? r.url : r.title;
  // '|' and '>' end a link's label early; the rest is escaped as usual.
  std::replace(label.begin(), label.end(), '|', '/');
  if (r.url.empty()) return esc(label);
  std::string url;
  for (char c : r.url) {
    if (c == '|') url += "%7C";
    else if (c == ' ') url += "%20";
    else url += c;
  }
  return "<" + esc(url) + "|" + esc(label) + ">";
}

// A message under construction. Interactive blocks are kept when a message would pass
// Slack's block limit; the explanatory ones give way first.
class message {
 public:
  explicit message(std::size_t limit = max_blocks) : limit_(limit) {}

  void add(json::object block, bool essential = false) { blocks_.push_back({std::move(block), essential}); }

  // mrkdwn lines grouped into sections of at most 3000 characters; a line longer than
  // that is cut on its own.
  void lines(const std::vector<std::string>& lines, std::string_view first_block_id = {}) {
    std::string cur;
    bool first = true;
    auto flush = [&] {
      if (cur.empty()) return;
      add(section(cur, first ? first_block_id : std::string_view{}));
      first = false;
      cur.clear();
    };
    for (const auto& raw : lines) {
      std::string line = fit(raw, max_text, true);
      if (!cur.empty() && units(cur) + 1 + units(line) > max_text) flush();
      if (!cur.empty()) cur += '\n';
      cur += line;
    }
    flush();
  }

  void text(std::string_view escaped, std::string_view block_id = {}) {
    std::vector<std::string> ls;
    std::size_t start = 0;
    while (start <= escaped.size()) {
      auto nl = escaped.find('\n', start);
      if (nl == std::string_view::npos) nl = escaped.size();
      ls.emplace_back(escaped.substr(start, nl - start));
      start = nl + 1;
    }
    lines(ls, block_id);
  }

  // Elements in actions blocks of at most 25, with action_ids unique in each block.
  void actions(std::vector<json::object> elements, std::string_view block_id = {}) {
    for (std::size_t i = 0; i < elements.size(); i += max_elements) {
      json::array row;
      std::set<std::string> ids;
      for (std::size_t j = i; j < std::min(elements.size(), i + max_elements); ++j) {
        json::object e = elements[j];
        if (auto* id = e.if_contains("action_id"); id && id->is_string()) {
          std::string base(id->as_string());
          std::string unique = base;
          for (int n = 2; ids.count(unique); ++n) {
            std::string suffix = "#" + std::to_string(n);
            unique = base.substr(0, std::min(base.size(), max_value - suffix.size())) + suffix;
          }
          ids.insert(unique);
          e["action_id"] = unique;
        }
        row.push_back(std::move(e));
      }
      json::object b{{"type", "actions"}, {"elements", std::move(row)}};
      if (!block_id.empty() && i == 0) b["block_id"] = fit(block_id, max_value);
      add(std::move(b), true);
    }
  }

  void buttons(const std::vector<action>& list) {
    std::vector<json::object> elements;
    for (const auto& a : list) elements.push_back(button(a.label, a.id, a.style));
    actions(std::move(elements));
  }

  json::object finish(std::string_view fallback) {
    // Over the limit: drop explanatory blocks from the end, then anything from the end.
    while (blocks_.size() > limit_) {
      auto it = std::find_if(blocks_.rbegin(), blocks_.rend(), [](const entry& e) { return !e.essential; });
      if (it == blocks_.rend()) blocks_.pop_back();
      else blocks_.erase(std::next(it).base());
    }
    json::array blocks;
    for (auto& e : blocks_) blocks.push_back(std::move(e.block));
    std::string text = fit(fallback, max_fallback, true);
    if (text.empty()) text = "mlpath";
    return {{"text", text}, {"blocks", std::move(blocks)}};
  }

 private:
  struct entry {
    json::object block;
    bool essential = false;
  };
  std::size_t limit_;
  std::vector<entry> blocks_;
};

std::string position_heading(const question_reply& q) {
  std::string h = "*";
  if (q.total > 0) h += std::to_string(q.position) + "/" + std::to_string(q.total) + " \xC2\xB7 ";
  h += esc(q.title) + "*";
  if (!q.prompt.empty()) h += "\n" + esc(q.prompt);
  return h;
}

json::object render_question(const question_reply& q) {
  message m;
  std::string block_id = question_block_id(q);
  bool is_text = q.kind == question_kind::text;
  m.add(section(position_heading(q), is_text ? std::string_view(block_id) : std::string_view{}), true);
  if (!q.hint.empty()) m.add(context(esc(q.hint)));

  if (q.kind == question_kind::single) {
    if (q.options.size() <= max_buttons_inline) {
      std::vector<json::object> row;
      for (const auto& o : q.options) {
        bool chosen = std::find(q.selected.begin(), q.selected.end(), o.id) != q.selected.end();
        row.push_back(button(o.label, answer_token(q.question, o.id, q.round),
                             chosen ? action_style::primary : action_style::normal));
      }
      m.actions(std::move(row), block_id);
    } else if (!q.options.empty()) {
      json::array options;
      json::object select{{"type", "static_select"},
                          {"action_id", fit(group_token(q.question), max_value)},
                          {"placeholder", plain("Choose one", max_option_text)}};
      for (std::size_t i = 0; i < q.options.size() && i < max_select_options; ++i) {
        json::object o = option_object(q.options[i]);
        if (!q.selected.empty() && q.selected.front() == q.options[i].id) select["initial_option"] = o;
        options.push_back(std::move(o));
      }
      select["options"] = std::move(options);
      m.actions({std::move(select)}, block_id);
    }
    if (!q.actions.empty()) m.buttons(q.actions);
  } else if (q.kind == question_kind::multi) {
    bool boxes = q.options.size() <= max_checkboxes;
    json::array options, initial;
    for (std::size_t i = 0; i < q.options.size() && i < max_select_options; ++i) {
      json::object o = option_object(q.options[i]);
      if (std::find(q.selected.begin(), q.selected.end(), q.options[i].id) != q.selected.end()) initial.push_back(o);
      options.push_back(std::move(o));
    }
    json::object group{{"type", boxes ? "checkboxes" : "multi_static_select"},
                       {"action_id", fit(group_token(q.question), max_value)}};
    if (!boxes) {
      group["placeholder"] = plain("Choose", max_option_text);
      if (q.max > 0) group["max_selected_items"] = q.max;
    }
    group["options"] = std::move(options);
    if (!initial.empty()) group["initial_options"] = std::move(initial);
    if (!q.options.empty()) m.actions({std::move(group)}, block_id);
    // Checkboxes cannot enforce a maximum; the engine checks it when Next is pressed. The
    // content's hint usually states the maximum already.
    std::string how = q.max > 0 && q.hint.empty() ? "Pick up to " + std::to_string(q.max) + ", then press *Next*."
                                                  : std::string("Tick your choices, then press *Next*.");
    m.add(context(how));
    std::vector<action> controls{{command_token("next", q.question, q.round), "Next", action_style::primary}};
    controls.insert(controls.end(), q.actions.begin(), q.actions.end());
    m.buttons(controls);
  } else {
    if (!q.text.empty()) m.add(context("Your answer so far: " + esc(q.text)));
    std::vector<action> controls{{command_token("answer", q.question, q.round), "Answer", action_style::primary}};
    controls.insert(controls.end(), q.actions.begin(), q.actions.end());
    m.buttons(controls);
    m.add(context("or just reply here with your answer"));
  }
  std::string fallback = q.total > 0 ? "Question " + std::to_string(q.position) + " of " + std::to_string(q.total) + ": "
                                     : std::string();
  fallback += esc(q.prompt.empty() ? q.title : q.prompt);
  return m.finish(fallback);
}

json::object render_text(const text_reply& r) {
  message m;
  m.text(esc(r.text));
  if (!r.actions.empty()) m.buttons(r.actions);
  return m.finish(esc(r.text));
}

json::object render_error(const error_reply& r) {
  message m;
  m.text(":warning: " + esc(r.text));
  return m.finish(esc(r.text));
}

json::object render_confirm(const confirm_reply& r) {
  message m;
  m.text(esc(r.text));
  m.buttons(r.actions);
  return m.finish(esc(r.text));
}

json::object render_summary(const summary_reply& r) {
  message m;
  m.text(esc(r.text));
  std::vector<std::string> lines;
  int n = 0;
  for (const auto& l : r.lines) {
    std::string answer = l.skipped ? std::string("_(skipped)_") : esc(l.answer);
    lines.push_back(std::to_string(++n) + ". *" + esc(l.title) + ":* " + answer);
  }
  m.lines(lines);
  m.buttons(r.actions);
  return m.finish(esc(r.text));
}


bool contains(const std::vector<std::string>& v, const std::string& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

std::string confidence_line(const match_result& m) {
  int pct = static_cast<int>(std::lround(m.answered * 100.0));
  std::string line = std::string("*Confidence:* ") + to_string(m.level) + " \xC2\xB7 based on " +
                     std::to_string(pct) + "% of what I score";
  switch (m.level) {
    case confidence::insufficient: line += ". Answer more questions for a clearer picture."; break;
    case confidence::low: line += ". Your answers fit several roles about equally."; break;
    default: break;
  }
  return line;
}

// Each role with its score bar, and the reasons for those worth a look, in the person's
// terms (points stay in the JSON); then the confidence.
void add_roles(message& m, const match_result& mr) {
  for (const auto& role : mr.roles) {
    std::string line = "*" + esc(role.name) + "*  " + adapters::score_bar(role.score) + "  " + std::to_string(role.score);
    if (contains(mr.primary, role.role)) line += mr.primary.size() > 1 ? "  _co-primary match_" : "  _best match_";
    else if (contains(mr.secondary, role.role)) line += "  _also worth a look_";
    m.add(section(line));
    bool shown = contains(mr.primary, role.role) || contains(mr.secondary, role.role);
    if (std::string why = adapters::reasons_sentence(role.why); shown && !why.empty()) m.add(context(esc(why)));
  }
  m.add(context(confidence_line(mr)));
}

json::object render_match_card(const result_reply& r) {
  const match_result& mr = r.match;
  message m;
  m.add(header("Your ML role matches"), true);
  add_roles(m, mr);
  if (!r.goal.empty()) m.add(section("*Your goal:* _" + esc(r.goal) + "_"));
  for (const auto& card : r.roles) {
    std::string text = "*" + esc(card.name) + "*";
    if (!card.summary.empty()) text += "\n" + esc(card.summary);
    m.add(section(text));
    if (!card.key_skills.empty()) {
      std::string skills;
      for (const auto& s : card.key_skills) skills += (skills.empty() ? "" : ", ") + esc(s);
      m.add(context("Key skills: " + skills));
    }
  }
  if (!r.note.empty()) m.add(context(esc(r.note)), true);
  if (!r.actions.empty()) m.buttons(r.actions);
  std::string fallback = "Your ML role matches";
  if (!mr.roles.empty()) fallback += ": " + esc(mr.roles.front().name) + " (" + std::to_string(mr.roles.front().score) + ")";
  return m.finish(fallback);
}

json::object render_plan(const learning_plan& p) {
  message m;
  m.add(header("Your learning plan"), true);
  // The pace label already says the hours ("Gentle pace: about 2 hours a week; ...").
  std::string pace = esc(p.pace_label);
  if (p.total_weeks > 0) {
    std::string weeks = "About " + std::to_string(p.total_weeks) + " weeks in all";
    if (pace.empty() && p.hours_per_week > 0)
      weeks += " at " + std::to_string(static_cast<int>(std::lround(p.hours_per_week))) + " hours a week";
    pace += (pace.empty() ? "" : " ") + weeks + ".";
  }
  if (!pace.empty()) m.add(context(pace));
  if (std::string milestone = adapters::milestone_text(p); !milestone.empty()) m.add(section("*" + esc(milestone) + "*"));
  if (!p.skipped.empty()) {
    std::string skipped = "Left out because you have it already: ";
    for (std::size_t i = 0; i < p.skipped.size(); ++i)
      skipped += (i ? "; " : "") + esc(p.skipped[i].title) + " (" + esc(p.skipped[i].because) + ")";
    m.add(context(skipped));
  }
  for (const auto& s : p.sections) {
    std::vector<std::string> lines{"*" + esc(s.title) + "*"};
    for (const auto& e : s.steps) {
      std::string line = "\xE2\x80\xA2 " + link(resource{e.link.id, e.title.empty() ? e.link.title : e.title, e.link.url, {}, true});
      if (!e.detail.empty()) line += " \xE2\x80\x94 " + esc(e.detail);
      if (std::string weeks = adapters::weeks_text(e); !weeks.empty()) line += " (" + weeks + (e.milestone ? ", first milestone" : "") + ")";
      lines.push_back(std::move(line));
    }
    m.lines(lines);
  }
  if (p.tip) {
    std::string tip = "*Tip: " + esc(p.tip->title) + "*";
    if (!p.tip->detail.empty()) tip += "\n" + esc(p.tip->detail);
    if (!p.tip->link.url.empty()) tip += "\n" + link(p.tip->link);
    m.text(tip);
  }
  return m.finish("Your learning plan: " + std::to_string(p.sections.size()) + " sections");
}

}  // namespace

std::string escape_mrkdwn(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      default: out += c;
    }
  }
  return out;
}

std::vector<json::object> render_reply(const reply& r) {
  return std::visit(
      [](const auto& x) -> std::vector<json::object> {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, text_reply>) return {render_text(x)};
        else if constexpr (std::is_same_v<T, error_reply>) return {render_error(x)};
        else if constexpr (std::is_same_v<T, question_reply>) return {render_question(x)};
        else if constexpr (std::is_same_v<T, answered_reply>) return {render_answered(x)};
        else if constexpr (std::is_same_v<T, summary_reply>) return {render_summary(x)};
        else if constexpr (std::is_same_v<T, confirm_reply>) return {render_confirm(x)};
        else return {render_match_card(x), render_plan(x.plan)};
      },
      r);
}

json::object render_answered(const answered_reply& r) {
  std::string answer;
  if (r.skipped || r.labels.empty()) {
    answer = "_(skipped)_";
  } else {
    for (const auto& l : r.labels) answer += (answer.empty() ? "" : ", ") + esc(l);
  }
  std::string text = "\xE2\x9C\x93 *" + esc(r.title) + "*: " + answer;
  // No block_id: Slack wants new block ids when a message is updated.
  message m;
  m.add(section(text));
  return m.finish(text);
}

json::object render_text_modal(const question_reply& q) {
  int max_length = q.max_length > 0 ? std::min(q.max_length, max_input_length) : max_input_length;
  json::object input_element{{"type", "plain_text_input"},
                             {"action_id", "answer"},
                             {"multiline", true},
                             {"max_length", max_length}};
  if (!q.text.empty()) {
    // initial_value must itself respect max_length (characters, counted conservatively).
    input_element["initial_value"] = fit(q.text, static_cast<std::size_t>(max_length));
  }
  json::object input{{"type", "input"},
                     {"block_id", fit(question_block_id(q), max_value)},
                     {"label", plain(q.prompt.empty() ? q.title : q.prompt, max_label)},
                     {"element", std::move(input_element)}};
  if (!q.hint.empty()) input["hint"] = plain(q.hint, max_label);
  return {{"type", "modal"},
          {"callback_id", fit(question_block_id(q), max_value)},
          {"title", plain(q.title.empty() ? std::string("Your answer") : q.title, max_modal_title)},
          {"submit", plain("Save", max_modal_title)},
          {"close", plain("Cancel", max_modal_title)},
          {"blocks", json::array{std::move(input)}}};
}

json::object render_home(const home_reply& h) {
  message m(max_home_blocks);
  m.add(header("mlpath \xC2\xB7 your path into machine learning"), true);
  if (!h.greeting.empty()) m.add(section(esc(h.greeting)), true);
  m.add(section("*Where you are:* " + esc(h.where)), true);
  if (!h.earlier_primary.empty()) {
    std::string names;
    for (const auto& n : h.earlier_primary) names += (names.empty() ? "" : " and ") + esc(n);
    m.add(context("Your earlier result matched you best with " + names + "."));
  }
  if (!h.actions.empty()) m.buttons(h.actions);
  if (h.result) {
    m.add(json::object{{"type", "divider"}});
    m.add(section("*Your latest match*"), true);
    add_roles(m, h.result->match);
    if (!h.result->goal.empty()) m.add(section("*Your goal:* _" + esc(h.result->goal) + "_"));
    if (std::string milestone = adapters::milestone_text(h.result->plan); !milestone.empty())
      m.add(section("*" + esc(milestone) + "*"));
    if (!h.next_steps.empty()) {
      std::vector<std::string> lines{"*Next in your plan*"};
      for (const auto& step : h.next_steps) lines.push_back("\xE2\x80\xA2 " + esc(step.label));
      m.lines(lines);
    }
  }
  if (!h.checkins.empty()) {
    m.add(json::object{{"type", "divider"}});
    m.add(section(esc(h.checkins)), true);
  }
  m.add(context("Talk to me in the Messages tab: say help to see what I understand, delete to erase your data."));
  json::object finished = m.finish("mlpath");
  json::object view{{"type", "home"}, {"callback_id", "mlpath_home"}};
  view["blocks"] = std::move(finished["blocks"]);
  return view;
}

json::object render_share_card() {
  message m;
  m.add(header("Find your path into machine learning"), true);
  m.add(section("A short, private reflection: what energises you, the workday you picture, the ML fields that pull "
                "you and the experience you bring. You get ranked role matches with the reasons and a learning plan "
                "with links. Only you see your answers."),
        true);
  // No round: a press starts (or resumes) the presser's own reflection in their DM.
  m.buttons({{"cmd:start", "Start my reflection", action_style::primary}});
  return m.finish("Find your path into machine learning: press Start my reflection");
}

json::object render_stats(const adapters::community_stats& s) {
  // "<5" is text, not the start of a link: escaped like everything else.
  auto count = [](long long n) { return esc(adapters::count_text(n)); };
  message m;
  m.add(header("mlpath in this workspace"), true);
  m.add(section("*Started:* " + count(s.started) + "    *Finished:* " + count(s.finished) +
                "    *Active weekly check-ins:* " + count(s.active_checkins)),
        true);
  std::vector<std::string> lines{"*Primary role matches*"};
  for (const auto& [role, people] : s.primary_roles) lines.push_back("\xE2\x80\xA2 " + esc(role) + ": " + count(people));
  if (s.primary_roles.empty()) lines.push_back("No results yet.");
  m.lines(lines);
  m.add(context("Aggregates only: any group smaller than 5 people is shown as &lt;5."), true);
  return m.finish("mlpath in this workspace: " + count(s.started) + " started, " + count(s.finished) + " finished");
}

}  // namespace mlpath::slack

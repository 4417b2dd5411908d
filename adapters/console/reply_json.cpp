#include "adapters/console/reply_json.hpp"

#include <boost/json.hpp>

#include <cmath>

namespace mlpath::console {
using namespace mlpath::dialogs;
namespace json = boost::json;

namespace {

json::array strings(const std::vector<std::string>& v) {
  json::array a;
  for (const auto& s : v) a.emplace_back(s);
  return a;
}

json::array actions_json(const std::vector<action>& actions) {
  json::array a;
  for (const auto& x : actions) {
    json::object o{{"id", x.id}, {"label", x.label}};
    if (x.style == action_style::primary) o["style"] = "primary";
    if (x.style == action_style::danger) o["style"] = "danger";
    a.push_back(std::move(o));
  }
  return a;
}

double round1(double v) { return std::round(v * 10.0) / 10.0; }

json::object resource_json(const resource& r) {
  return {{"id", r.id}, {"title", r.title}, {"url", r.url}, {"kind", r.kind}, {"free", r.free}};
}

json::object plan_json(const learning_plan& p) {
  json::object o;
  o["weekly_hours"] = p.weekly_hours.empty() ? json::value(nullptr) : json::value(p.weekly_hours);
  o["hours_per_week"] = p.hours_per_week;
  o["pace"] = p.pace_label;
  o["weeks"] = p.total_weeks;
  o["roles"] = strings(p.roles);
  if (p.milestone)
    o["milestone"] = json::object{{"id", p.milestone->id}, {"title", p.milestone->title}, {"week", p.milestone->week}};
  else
    o["milestone"] = nullptr;
  json::array sections;
  for (const auto& s : p.sections) {
    json::array steps;
    for (const auto& e : s.steps) {
      json::object step{{"id", e.id},
                        {"kind", to_string(e.kind)},
                        {"title", e.title},
                        {"detail", e.detail},
                        {"hours", e.hours},
                        {"url", e.link.url},
                        {"resource", resource_json(e.link)}};
      if (!e.teaches.empty()) step["teaches"] = e.teaches;
      step["weeks"] = e.week_from > 0 ? json::value(json::array{e.week_from, e.week_to}) : json::value(nullptr);
      if (e.milestone) step["milestone"] = true;
      if (!e.shortened_because.empty()) step["shortened_because"] = e.shortened_because;
      steps.push_back(std::move(step));
    }
    sections.push_back(json::object{{"id", s.id}, {"title", s.title}, {"steps", std::move(steps)}});
  }
  o["sections"] = std::move(sections);
  json::array skipped;
  for (const auto& k : p.skipped) skipped.push_back(json::object{{"id", k.id}, {"title", k.title}, {"because", k.because}});
  o["skipped"] = std::move(skipped);
  if (p.tip)
    o["tip"] = json::object{{"worry", p.tip->worry},
                            {"title", p.tip->title},
                            {"detail", p.tip->detail},
                            {"url", p.tip->link.url},
                            {"resource", resource_json(p.tip->link)}};
  else
    o["tip"] = nullptr;
  return o;
}

}  // namespace

const char* kind_name(question_kind k) {
  switch (k) {
    case question_kind::single: return "single";
    case question_kind::multi: return "multi";
    case question_kind::text: return "text";
  }
  return "single";
}

json::object answer_json(const answer& a) {
  json::object o{{"question", a.question}, {"skipped", a.skipped}};
  if (!a.options.empty() || a.text.empty()) o["options"] = strings(a.options);
  if (!a.text.empty()) o["text"] = a.text;
  return o;
}

json::object result_json(const result_reply& r) {
  const match_result& m = r.match;
  json::object o;
  json::array roles;
  for (const auto& s : m.roles) {
    json::array why;
    for (const auto& c : s.why) {
      double pts = round1(c.points);
      why.push_back(json::object{{"question", c.question},
                                 {"answer", c.option},
                                 {"label", c.label},
                                 {"reason", c.reason},
                                 {"points", pts}});
    }
    roles.push_back(json::object{{"id", s.role}, {"name", s.name}, {"score", s.score}, {"why", std::move(why)}});
  }
  o["roles"] = std::move(roles);
  o["primary"] = strings(m.primary);
  o["secondary"] = strings(m.secondary);
  o["confidence"] = to_string(m.level);
  o["answered"] = round1(m.answered * 100.0) / 100.0;
  o["scoring_version"] = m.scoring_version;
  o["flow_version"] = m.flow_version;
  json::array cards;
  for (const auto& c : r.roles)
    cards.push_back(json::object{{"id", c.id}, {"name", c.name}, {"summary", c.summary}, {"key_skills", strings(c.key_skills)}});
  o["role_details"] = std::move(cards);
  o["plan"] = plan_json(r.plan);
  o["goal"] = r.goal.empty() ? json::value(nullptr) : json::value(r.goal);
  o["note"] = r.note;
  return o;
}

json::object to_json(const reply& r) {
  json::object o;
  o["type"] = type_of(r);
  std::visit(
      [&](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, text_reply>) {
          o["text"] = x.text;
          if (!x.actions.empty()) o["actions"] = actions_json(x.actions);
        } else if constexpr (std::is_same_v<T, error_reply>) {
          o["text"] = x.text;
        } else if constexpr (std::is_same_v<T, question_reply>) {
          o["question"] = x.question;
          o["kind"] = kind_name(x.kind);
          o["optional"] = x.optional;
          o["max"] = x.kind == question_kind::single ? 1 : x.kind == question_kind::multi ? (x.max > 0 ? x.max : static_cast<int>(x.options.size())) : 0;
          if (x.kind == question_kind::text) o["max_length"] = x.max_length;
          o["position"] = json::array{x.position, x.total};
          o["title"] = x.title;
          o["prompt"] = x.prompt;
          if (!x.hint.empty()) o["hint"] = x.hint;
          json::array opts;
          for (const auto& op : x.options) opts.push_back(json::object{{"id", op.id}, {"label", op.label}});
          o["options"] = std::move(opts);
          if (!x.selected.empty()) o["selected"] = strings(x.selected);
          if (!x.text.empty()) o["current_text"] = x.text;
          o["round"] = x.round;
          o["actions"] = actions_json(x.actions);
        } else if constexpr (std::is_same_v<T, answered_reply>) {
          o["question"] = x.question;
          o["title"] = x.title;
          o["options"] = strings(x.options);
          o["labels"] = strings(x.labels);
          o["skipped"] = x.skipped;
        } else if constexpr (std::is_same_v<T, summary_reply>) {
          o["text"] = x.text;
          json::array lines;
          for (const auto& l : x.lines)
            lines.push_back(json::object{{"question", l.question}, {"title", l.title}, {"answer", l.answer}, {"skipped", l.skipped}});
          o["answers"] = std::move(lines);
          o["round"] = x.round;
          o["actions"] = actions_json(x.actions);
        } else if constexpr (std::is_same_v<T, confirm_reply>) {
          o["about"] = x.about;
          o["text"] = x.text;
          o["actions"] = actions_json(x.actions);
        } else if constexpr (std::is_same_v<T, result_reply>) {
          for (auto& [k, v] : result_json(x)) o[k] = v;
          if (!x.actions.empty()) o["actions"] = actions_json(x.actions);
        }
      },
      r);
  return o;
}

}  // namespace mlpath::console

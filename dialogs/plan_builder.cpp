#include "dialogs/plan_builder.hpp"

#include <cmath>

namespace mlpath::dialogs {
namespace {

constexpr double default_hours_per_week = 4.5;

const std::string* single_answer(const answer_list& answers, std::string_view question) {
  const answer* a = find_answer(answers, question);
  if (!a || a->skipped || a->options.empty()) return nullptr;
  return &a->options.front();
}

std::vector<std::string> multi_answer(const answer_list& answers, std::string_view question) {
  const answer* a = find_answer(answers, question);
  if (!a || a->skipped) return {};
  return a->options;
}

template <class Map>
const step_list* lookup(const Map& m, std::string_view key) {
  auto it = m.find(key);
  return it == m.end() ? nullptr : &it->second;
}

}  // namespace

learning_plan build_plan(const content& c, const answer_list& answers, const match_result& match) {
  learning_plan plan;
  plan.hours_per_week = default_hours_per_week;
  plan.pace_label = "about 4-5 hours a week (you did not say how much time you have)";
  if (const std::string* hours = single_answer(answers, "weekly_hours")) {
    if (auto it = c.plan.pace_by_hours.find(*hours); it != c.plan.pace_by_hours.end()) {
      plan.weekly_hours = *hours;
      plan.hours_per_week = it->second.hours_per_week;
      plan.pace_label = it->second.label;
    }
  }

  double elapsed = 0;  // hours of plan before the current step
  auto add = [&](plan_section& section, const plan_step& s) {
    plan_entry e;
    e.title = s.title;
    e.detail = s.detail;
    if (const resource* r = c.find_resource(s.resource)) e.link = *r;
    e.hours = s.hours;
    e.week_from = static_cast<int>(std::floor(elapsed / plan.hours_per_week)) + 1;
    elapsed += s.hours;
    e.week_to = std::max(e.week_from, static_cast<int>(std::ceil(elapsed / plan.hours_per_week)));
    section.steps.push_back(std::move(e));
  };
  auto section = [&](std::string id, std::string title, const std::vector<const plan_step*>& steps) {
    if (steps.empty()) return;
    plan_section s{std::move(id), std::move(title), {}};
    for (const plan_step* st : steps) add(s, *st);
    plan.sections.push_back(std::move(s));
  };
  auto all = [](const step_list* l) {
    std::vector<const plan_step*> out;
    if (l)
      for (const auto& s : *l) out.push_back(&s);
    return out;
  };

  const std::string* math = single_answer(answers, "math_comfort");
  const step_list* found = math ? lookup(c.plan.foundations, *math) : nullptr;
  if (!found) found = lookup(c.plan.foundations, "working");  // unanswered: the middle road
  if (!found && !c.plan.foundations.empty()) found = &c.plan.foundations.begin()->second;
  section("foundations", "Foundations", all(found));
  section("ml_basics", "Machine learning basics", all(&c.plan.ml_basics));

  const std::string primary = match.primary.empty() ? std::string() : match.primary.front();
  if (!primary.empty()) section("tools", "Tools for your path", all(lookup(c.plan.tools, primary)));

  // Projects: one per chosen subfield (up to two), one for the domain, topped up with
  // general ideas so there are always two or three.
  std::vector<const plan_step*> projects;
  for (const auto& sub : multi_answer(answers, "subfields")) {
    if (projects.size() >= 2) break;
    if (const step_list* l = lookup(c.plan.projects_by_subfield, sub); l && !l->empty()) projects.push_back(&l->front());
  }
  if (const std::string* domain = single_answer(answers, "domain"))
    if (const step_list* l = lookup(c.plan.projects_by_domain, *domain); l && !l->empty()) projects.push_back(&l->front());
  for (const auto& g : c.plan.general_projects) {
    if (projects.size() >= 2) break;
    projects.push_back(&g);
  }
  section("projects", "Projects to build", projects);
  section("communities", "Communities and hackathons", all(&c.plan.communities));
  section("portfolio", "Portfolio", all(&c.plan.portfolio));
  if (!primary.empty()) section("interview", "Interview preparation", all(lookup(c.plan.interview, primary)));
  plan.total_weeks = static_cast<int>(std::ceil(elapsed / plan.hours_per_week));

  if (const std::string* worry = single_answer(answers, "worry")) {
    if (auto it = c.plan.tips.find(*worry); it != c.plan.tips.end()) {
      plan_tip t{*worry, it->second.title, it->second.detail, {}};
      if (const resource* r = c.find_resource(it->second.resource)) t.link = *r;
      plan.tip = std::move(t);
    }
  }
  return plan;
}

}  // namespace mlpath::dialogs

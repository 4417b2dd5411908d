#include "dialogs/plan_builder.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <queue>
#include <set>

namespace mlpath::dialogs {
namespace {

constexpr double default_hours_per_week = 4.5;

// What the answers say, for matching "question:option" references.
class answered {
 public:
  explicit answered(const answer_list& answers) {
    for (const auto& a : answers)
      if (!a.skipped)
        for (const auto& o : a.options) chosen_.insert(a.question + ":" + o);
  }
  bool chose(std::string_view question, std::string_view option) const {
    return chosen_.count(std::string(question) + ":" + std::string(option)) > 0;
  }

 private:
  std::set<std::string> chosen_;
};

std::vector<std::string> options_of(const answer_list& answers, std::string_view question) {
  const answer* a = find_answer(answers, question);
  if (!a || a->skipped) return {};
  return a->options;
}

bool contains(const std::vector<std::string>& v, std::string_view x) { return std::find(v.begin(), v.end(), x) != v.end(); }

// One step on its way into the plan.
struct candidate {
  const plan_step* step = nullptr;
  double position = 0;  // in the merged path; on-ramps sit just before what needs them
  double hours = 0;
  std::string title;
  std::string detail;
  std::string shortened_because;
};

class builder {
 public:
  builder(const content& c, const answer_list& answers, const match_result& match)
      : c_(c), p_(c.plan), answers_(answers), said_(answers) {
    for (const auto& r : match.primary) roles_.push_back(r);
    // Nothing answered yet: the best-scored role (content order on a tie) still gets a plan.
    if (roles_.empty() && !match.roles.empty()) roles_.push_back(match.roles.front().role);
    if (roles_.empty() && !c.roles.empty()) roles_.push_back(c.roles.front().id);
  }

  learning_plan build() {
    learning_plan plan;
    plan.roles = roles_;
    pace(plan);
    gather_path();
    add_fitted_projects();
    skip_and_shorten(plan);
    add_onramps();
    std::vector<candidate> order = ordered();
    place_milestone(order, plan.hours_per_week);
    timeline(plan, order);
    endings(plan);
    tip(plan);
    return plan;
  }

 private:
  bool has(std::string_view capability) const {
    const struct capability* cap = p_.find_capability(capability);
    if (!cap) return false;
    return std::any_of(cap->answers.begin(), cap->answers.end(),
                       [&](const answer_ref& a) { return said_.chose(a.question, a.option); });
  }

  std::string because(std::string_view capability) const {
    const struct capability* cap = p_.find_capability(capability);
    return cap ? cap->because : std::string();
  }

  // Position in the merged path: the primary role's own, or the co-primary's just after
  // the primary's step at the same place.
  std::optional<double> position(const plan_step& s) const {
    std::optional<double> best;
    for (std::size_t i = 0; i < roles_.size(); ++i) {
      auto it = s.roles.find(roles_[i]);
      if (it == s.roles.end()) continue;
      double pos = it->second + 0.25 * static_cast<double>(i);
      if (!best || pos < *best) best = pos;
    }
    return best;
  }

  bool in_plan(std::string_view id) const {
    return std::any_of(path_.begin(), path_.end(), [&](const candidate& x) { return x.step->id == id; });
  }

  void add(const plan_step& s, double pos) {
    path_.push_back({&s, pos, s.hours, s.title, s.detail, {}});
  }

  void pace(learning_plan& plan) const {
    plan.hours_per_week = default_hours_per_week;
    plan.pace_label = "about 4-5 hours a week (you did not say how much time you have)";
    auto hours = options_of(answers_, "weekly_hours");
    if (hours.empty()) return;
    if (auto it = p_.pace_by_hours.find(hours.front()); it != p_.pace_by_hours.end()) {
      plan.weekly_hours = hours.front();
      plan.hours_per_week = it->second.hours_per_week;
      plan.pace_label = it->second.label;
    }
  }

  void gather_path() {
    for (const auto& s : p_.steps) {
      if (s.kind == step_kind::onramp || s.kind == step_kind::later || s.kind == step_kind::community ||
          s.kind == step_kind::portfolio || s.kind == step_kind::interview)
        continue;
      if (auto pos = position(s)) add(s, *pos);
    }
    for (const auto& role : roles_)
      if (auto m = p_.milestones.find(role); m != p_.milestones.end()) milestones_.insert(m->second);
    // The first milestone that counts is the primary role's.
    if (!roles_.empty())
      if (auto m = p_.milestones.find(roles_.front()); m != p_.milestones.end()) milestone_ = m->second;
  }

  bool fits_roles(const plan_step& s) const {
    if (s.fits.empty()) return true;
    return std::any_of(roles_.begin(), roles_.end(), [&](const std::string& r) { return contains(s.fits, r); });
  }

  // Projects fitted to the role come from its path; one more fits the first subfield the
  // person chose and one their domain, where the content has one for a role like theirs.
  void add_fitted_projects() {
    for (const auto& sub : options_of(answers_, "subfields")) {
      const plan_step* found = nullptr;
      for (const auto& s : p_.steps)
        if (s.kind == step_kind::project && contains(s.subfields, sub) && fits_roles(s) && !in_plan(s.id)) {
          found = &s;
          break;
        }
      if (found) {
        add(*found, p_.subfield_project_after + 0.5);
        break;
      }
    }
    for (const auto& dom : options_of(answers_, "domain"))
      for (const auto& s : p_.steps)
        if (s.kind == step_kind::project && contains(s.domains, dom) && fits_roles(s) && !in_plan(s.id)) {
          add(s, p_.domain_project_after + 0.5);
          return;
        }
  }

  void skip_and_shorten(learning_plan& plan) {
    std::vector<candidate> kept;
    for (auto& x : path_) {
      const plan_step& s = *x.step;
      auto skip = std::find_if(s.skip_if.begin(), s.skip_if.end(), [&](const std::string& cap) { return has(cap); });
      if (skip != s.skip_if.end() && !milestones_.count(s.id)) {
        plan.skipped.push_back({s.id, s.title, because(*skip)});
        continue;
      }
      for (const auto& cut : s.shorten_if) {
        if (!std::all_of(cut.has.begin(), cut.has.end(), [&](const std::string& cap) { return has(cap); })) continue;
        x.hours = cut.hours;
        if (!cut.title.empty()) x.title = cut.title;
        if (!cut.detail.empty()) x.detail = cut.detail;
        x.shortened_because = because(cut.has.front());
        break;
      }
      kept.push_back(std::move(x));
    }
    path_ = std::move(kept);
  }

  bool provided(std::string_view capability) const {
    if (has(capability)) return true;
    return std::any_of(path_.begin(), path_.end(), [&](const candidate& x) { return contains(x.step->provides, capability); });
  }

  // What the path needs and the person lacks comes first, through an on-ramp placed just
  // before the first step that needs it (on-ramps may need on-ramps of their own).
  void add_onramps() {
    for (bool added = true; added;) {
      added = false;
      std::map<std::string, double> missing;  // capability -> earliest position needing it
      for (const auto& x : path_)
        for (const auto& cap : x.step->needs)
          if (!provided(cap)) {
            auto [it, fresh] = missing.emplace(cap, x.position);
            if (!fresh) it->second = std::min(it->second, x.position);
          }
      for (const auto& [cap, pos] : missing)
        for (const auto& s : p_.steps)
          if (s.kind == step_kind::onramp && contains(s.provides, cap) && !in_plan(s.id)) {
            add(s, pos - 0.5);
            added = true;
            break;
          }
    }
  }

  // Prerequisites of step i: the steps named in its "after", and whatever provides what
  // it needs.
  std::vector<std::size_t> prerequisites(const std::vector<candidate>& v, std::size_t i) const {
    std::vector<std::size_t> out;
    const plan_step& s = *v[i].step;
    for (std::size_t j = 0; j < v.size(); ++j) {
      if (j == i) continue;
      const plan_step& o = *v[j].step;
      bool named = contains(s.after, o.id);
      bool provides = std::any_of(s.needs.begin(), s.needs.end(), [&](const std::string& cap) {
        return !has(cap) && contains(o.provides, cap);
      });
      if (named || provides) out.push_back(j);
    }
    return out;
  }

  // Path order, with every prerequisite before the steps that depend on it.
  std::vector<candidate> ordered() const {
    const std::size_t n = path_.size();
    std::vector<std::vector<std::size_t>> next(n);
    std::vector<int> waiting(n, 0);
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t j : prerequisites(path_, i)) {
        next[j].push_back(i);
        ++waiting[i];
      }
    auto later = [&](std::size_t a, std::size_t b) {
      return path_[a].position > path_[b].position || (path_[a].position == path_[b].position && a > b);
    };
    std::priority_queue<std::size_t, std::vector<std::size_t>, decltype(later)> ready(later);
    for (std::size_t i = 0; i < n; ++i)
      if (waiting[i] == 0) ready.push(i);
    std::vector<candidate> out;
    std::vector<char> done(n, 0);
    while (!ready.empty()) {
      std::size_t i = ready.top();
      ready.pop();
      out.push_back(path_[i]);
      done[i] = 1;
      for (std::size_t k : next[i])
        if (--waiting[k] == 0) ready.push(k);
    }
    // A cycle in the content (the loader rejects unknown names, not loops): keep the rest in path order.
    for (std::size_t i = 0; i < n; ++i)
      if (!done[i]) out.push_back(path_[i]);
    return out;
  }

  static int week_done(const std::vector<candidate>& v, std::size_t upto, double per_week) {
    double hours = 0;
    for (std::size_t i = 0; i <= upto && i < v.size(); ++i) hours += v[i].hours;
    return static_cast<int>(std::ceil(hours / per_week - 1e-9));
  }

  // The first milestone must be reachable within milestone_weeks at this pace: while it
  // is not, the last step before it that it does not depend on moves to just after it.
  void place_milestone(std::vector<candidate>& v, double per_week) const {
    auto at = [&]() -> std::optional<std::size_t> {
      for (std::size_t i = 0; i < v.size(); ++i)
        if (v[i].step->id == milestone_) return i;
      return std::nullopt;
    };
    auto m = at();
    if (!m) return;
    std::set<std::size_t> closure{*m};
    for (std::vector<std::size_t> todo{*m}; !todo.empty();) {
      std::size_t i = todo.back();
      todo.pop_back();
      for (std::size_t j : prerequisites(v, i))
        if (closure.insert(j).second) todo.push_back(j);
    }
    std::set<std::string> needed;
    for (std::size_t i : closure) needed.insert(v[i].step->id);
    while (week_done(v, *m, per_week) > p_.milestone_weeks) {
      std::optional<std::size_t> move;
      for (std::size_t i = 0; i < *m; ++i)
        if (!needed.count(v[i].step->id)) move = i;
      if (!move) break;  // the milestone and its prerequisites alone take longer: nothing to move
      candidate x = std::move(v[*move]);
      v.erase(v.begin() + static_cast<std::ptrdiff_t>(*move));
      v.insert(v.begin() + static_cast<std::ptrdiff_t>(*m), std::move(x));
      m = *m - 1;
    }
  }

  plan_entry entry(const plan_step& s) const {
    plan_entry e;
    e.id = s.id;
    e.kind = s.kind;
    e.title = s.title;
    e.teaches = s.teaches;
    e.detail = s.detail;
    if (const resource* r = c_.find_resource(s.resource)) e.link = *r;
    e.hours = s.hours;
    return e;
  }

  // Weeks at this pace; what starts after the core weeks becomes a pointer for later,
  // except the milestone and what it needs, which are always in the core.
  void timeline(learning_plan& plan, const std::vector<candidate>& order) const {
    plan_section path{"path", "Your path", {}};
    plan_section later{"later", "After that", {}};
    double elapsed = 0;
    bool milestone_seen = false;
    for (const auto& x : order) {
      plan_entry e = entry(*x.step);
      e.title = x.title;
      e.detail = x.detail;
      e.hours = x.hours;
      e.shortened_because = x.shortened_because;
      e.milestone = x.step->id == milestone_;
      int from = static_cast<int>(std::floor(elapsed / plan.hours_per_week + 1e-9)) + 1;
      if (from > p_.core_weeks && milestone_seen) {
        later.steps.push_back(std::move(e));
        continue;
      }
      e.week_from = from;
      elapsed += x.hours;
      e.week_to = std::max(e.week_from, static_cast<int>(std::ceil(elapsed / plan.hours_per_week - 1e-9)));
      if (e.milestone) {
        milestone_seen = true;
        plan.milestone = plan_milestone{e.id, e.title, e.week_to};
      }
      path.steps.push_back(std::move(e));
    }
    if (!plan.milestone) milestone_seen = true;
    plan.total_weeks = static_cast<int>(std::ceil(elapsed / plan.hours_per_week - 1e-9));
    // The role's own pointers for after the core, in path order.
    std::vector<std::pair<double, const plan_step*>> pointers;
    for (const auto& s : p_.steps)
      if (s.kind == step_kind::later)
        if (auto pos = position(s)) pointers.emplace_back(*pos, &s);
    std::stable_sort(pointers.begin(), pointers.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    for (const auto& [pos, s] : pointers) later.steps.push_back(entry(*s));
    plan.sections.push_back(std::move(path));
    if (!later.steps.empty()) plan.sections.push_back(std::move(later));
  }

  void endings(learning_plan& plan) const {
    plan_section community{"community", "Communities and hackathons", {}};
    plan_section portfolio{"portfolio", "Portfolio", {}};
    plan_section interview{"interview", "Interview preparation", {}};
    std::vector<std::pair<int, const plan_step*>> prep;
    for (const auto& s : p_.steps) {
      if (s.kind == step_kind::community) community.steps.push_back(entry(s));
      if (s.kind == step_kind::portfolio) portfolio.steps.push_back(entry(s));
      if (s.kind == step_kind::interview && !roles_.empty())
        if (auto it = s.roles.find(roles_.front()); it != s.roles.end()) prep.emplace_back(it->second, &s);
    }
    std::stable_sort(prep.begin(), prep.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    for (const auto& [pos, s] : prep) interview.steps.push_back(entry(*s));
    if (!roles_.empty())
      if (const role* r = c_.find_role(roles_.front())) interview.title = "Interview preparation for " + r->name;
    for (auto* s : {&community, &portfolio, &interview})
      if (!s->steps.empty()) plan.sections.push_back(std::move(*s));
  }

  void tip(learning_plan& plan) const {
    auto worry = options_of(answers_, "worry");
    if (worry.empty()) return;
    auto it = p_.tips.find(worry.front());
    if (it == p_.tips.end()) return;
    plan_tip t{worry.front(), it->second.title, it->second.detail, {}};
    if (const resource* r = c_.find_resource(it->second.resource)) t.link = *r;
    plan.tip = std::move(t);
  }

  const content& c_;
  const plan_material& p_;
  const answer_list& answers_;
  answered said_;
  std::vector<std::string> roles_;
  std::set<std::string> milestones_;  // every followed role's milestone (never skipped)
  std::string milestone_;             // the primary role's: the plan's first milestone
  std::vector<candidate> path_;
};

}  // namespace

const plan_section* learning_plan::section(std::string_view id) const {
  for (const auto& s : sections)
    if (s.id == id) return &s;
  return nullptr;
}

learning_plan build_plan(const content& c, const answer_list& answers, const match_result& match) {
  return builder(c, answers, match).build();
}

std::vector<const plan_entry*> plan_steps(const learning_plan& p) {
  std::vector<const plan_entry*> out;
  for (const char* id : {"path", "later"})
    if (const plan_section* s = p.section(id))
      for (const auto& e : s->steps) out.push_back(&e);
  return out;
}

}  // namespace mlpath::dialogs

#include "dialogs/scoring.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace mlpath::dialogs {

const answer* find_answer(const answer_list& answers, std::string_view question) {
  for (const auto& a : answers)
    if (a.question == question) return &a;
  return nullptr;
}

const char* to_string(confidence c) {
  switch (c) {
    case confidence::insufficient: return "insufficient";
    case confidence::low: return "low";
    case confidence::medium: return "medium";
    case confidence::high: return "high";
  }
  return "insufficient";
}

const role_score* match_result::find(std::string_view role) const {
  for (const auto& r : roles)
    if (r.role == role) return &r;
  return nullptr;
}

namespace {

// The most one role can collect from a question: the best single option, or for a multi
// question the best `max` options together (an exclusive option only on its own), capped.
double best_for_role(const question& q, const question_weights& qw, std::size_t role) {
  auto weight = [&](const option& o) {
    auto it = qw.options.find(o.id);
    return it == qw.options.end() ? 0.0 : it->second[role];
  };
  std::vector<double> combinable;
  double best = 0;
  for (const auto& o : q.options) {
    if (q.kind == question_kind::multi && o.exclusive) best = std::max(best, weight(o));
    else combinable.push_back(weight(o));
  }
  std::sort(combinable.begin(), combinable.end(), std::greater<>());
  std::size_t k = std::min<std::size_t>(combinable.size(), static_cast<std::size_t>(q.max_choices()));
  best = std::max(best, std::accumulate(combinable.begin(), combinable.begin() + static_cast<std::ptrdiff_t>(k), 0.0));
  if (q.kind == question_kind::multi && qw.cap > 0) best = std::min(best, qw.cap);
  return best;
}

}  // namespace

match_result score(const content& c, const answer_list& answers) {
  const std::size_t n = c.roles.size();
  std::vector<double> got(n, 0.0), best(n, 0.0);
  struct reason_candidate {
    contribution c;
    double telling = 0;  // how much more this answer points here than elsewhere, weighted
  };
  std::vector<std::vector<reason_candidate>> raw(n);  // points still in multiplier units
  double weight_all = 0, weight_answered = 0;

  // Iterating in the weights' order (not the answers') keeps float sums identical
  // whatever order the answers arrive in.
  for (const auto& qw : c.scoring.questions) {
    const question* q = c.questions.find(qw.question);
    if (!q || qw.multiplier <= 0) continue;
    weight_all += qw.multiplier;
    const answer* a = find_answer(answers, qw.question);
    if (!a || a->skipped) continue;
    std::vector<const option*> chosen;
    for (const auto& o : q->options)  // flow order, duplicates ignored
      if (std::find(a->options.begin(), a->options.end(), o.id) != a->options.end()) chosen.push_back(&o);
    if (chosen.empty()) continue;
    weight_answered += qw.multiplier;
    for (std::size_t r = 0; r < n; ++r) {
      double b = best_for_role(*q, qw, r);
      if (b <= 0) continue;  // this question says nothing about this role
      double sum = 0;
      for (const option* o : chosen) sum += qw.options.at(o->id)[r];
      double g = std::min(sum, b);  // the cap: selecting everything cannot exceed the best
      best[r] += qw.multiplier * b;
      got[r] += qw.multiplier * g;
      double scale = sum > 0 ? g / sum : 0;
      for (const option* o : chosen) {
        const auto& per_role = qw.options.at(o->id);
        double w = per_role[r];
        if (w <= 0 || o->weakness || o->reason.empty()) continue;
        double mean = std::accumulate(per_role.begin(), per_role.end(), 0.0) / static_cast<double>(n);
        // Ranked by the answer's own weight, not its capped share: a defining answer in a
        // multi-select (DevOps for infrastructure) is not lost to the cap.
        if (w > mean + 1e-9)
          raw[r].push_back({{q->id, o->id, o->label, o->reason, qw.multiplier * w * scale}, qw.multiplier * (w - mean)});
      }
    }
  }

  match_result m;
  m.scoring_version = c.scoring.version;
  m.flow_version = c.questions.version;
  m.answered = weight_all > 0 ? weight_answered / weight_all : 0;
  for (std::size_t r = 0; r < n; ++r) {
    role_score s;
    s.role = c.roles[r].id;
    s.name = c.roles[r].name;
    s.exact = best[r] > 0 ? 100.0 * got[r] / best[r] : 0;
    s.exact = std::clamp(s.exact, 0.0, 100.0);
    s.score = static_cast<int>(std::lround(s.exact));
    for (auto& x : raw[r]) x.c.points = best[r] > 0 ? 100.0 * x.c.points / best[r] : 0;
    std::stable_sort(raw[r].begin(), raw[r].end(), [](const reason_candidate& a, const reason_candidate& b) {
      return a.telling > b.telling + 1e-9 || (std::abs(a.telling - b.telling) <= 1e-9 && a.c.points > b.c.points);
    });
    for (std::size_t i = 0; i < raw[r].size() && i < 3; ++i) s.why.push_back(std::move(raw[r][i].c));
    m.roles.push_back(std::move(s));
  }
  std::stable_sort(m.roles.begin(), m.roles.end(),
                   [](const role_score& a, const role_score& b) { return a.score > b.score || (a.score == b.score && a.exact > b.exact + 1e-9); });

  const auto& lim = c.scoring.limits;
  if (m.roles.empty() || weight_answered <= 0) {
    m.level = confidence::insufficient;
    return m;
  }
  m.primary.push_back(m.roles[0].role);
  std::size_t next = 1;
  if (m.roles.size() > 1 && m.roles[0].score - m.roles[1].score <= lim.co_primary) {
    m.primary.push_back(m.roles[1].role);
    next = 2;
  }
  for (std::size_t i = next; i < m.roles.size() && m.secondary.size() < 2; ++i)
    if (m.roles[i].score > 0 && m.roles[0].score - m.roles[i].score <= lim.secondary_window)
      m.secondary.push_back(m.roles[i].role);

  double spread = m.roles.front().exact - m.roles.back().exact;
  double gap = next < m.roles.size() ? m.roles[next - 1].exact - m.roles[next].exact : 100.0;
  if (m.answered < lim.min_answered) m.level = confidence::insufficient;
  else if (spread < lim.flat_spread) m.level = confidence::low;
  else if (m.answered >= lim.high_answered && gap >= lim.high_gap) m.level = confidence::high;
  else m.level = confidence::medium;
  return m;
}

}  // namespace mlpath::dialogs

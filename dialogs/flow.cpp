#include <algorithm>

#include "dialogs/content.hpp"

namespace mlpath::dialogs {

const option* question::find_option(std::string_view option_id) const {
  for (const auto& o : options)
    if (o.id == option_id) return &o;
  return nullptr;
}

const question* flow::find(std::string_view question_id) const {
  int i = index_of(question_id);
  return i < 0 ? nullptr : &questions[static_cast<std::size_t>(i)];
}

int flow::index_of(std::string_view question_id) const {
  for (std::size_t i = 0; i < questions.size(); ++i)
    if (questions[i].id == question_id) return static_cast<int>(i);
  return -1;
}

const question_weights* weights::find(std::string_view question_id) const {
  for (const auto& q : questions)
    if (q.question == question_id) return &q;
  return nullptr;
}

const role* content::find_role(std::string_view id) const {
  int i = role_index(id);
  return i < 0 ? nullptr : &roles[static_cast<std::size_t>(i)];
}

int content::role_index(std::string_view id) const {
  for (std::size_t i = 0; i < roles.size(); ++i)
    if (roles[i].id == id) return static_cast<int>(i);
  return -1;
}

const resource* content::find_resource(std::string_view id) const {
  for (const auto& r : resources)
    if (r.id == id) return &r;
  return nullptr;
}

const plan_step* plan_material::find_step(std::string_view id) const {
  for (const auto& s : steps)
    if (s.id == id) return &s;
  return nullptr;
}

const capability* plan_material::find_capability(std::string_view id) const {
  for (const auto& c : has)
    if (c.id == id) return &c;
  return nullptr;
}

const question* checkin_material::find(std::string_view id) const {
  for (const auto& q : questions)
    if (q.id == id) return &q;
  return nullptr;
}

const char* to_string(step_kind k) {
  switch (k) {
    case step_kind::onramp: return "onramp";
    case step_kind::foundation: return "foundation";
    case step_kind::skill: return "skill";
    case step_kind::tool: return "tool";
    case step_kind::project: return "project";
    case step_kind::later: return "later";
    case step_kind::community: return "community";
    case step_kind::portfolio: return "portfolio";
    case step_kind::interview: return "interview";
  }
  return "skill";
}

}  // namespace mlpath::dialogs

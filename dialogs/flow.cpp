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

}  // namespace mlpath::dialogs

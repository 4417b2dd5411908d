#include "bot/turns/community.hpp"

namespace mlpath {

adapters::community_stats community_numbers(storage::store& store, const dialogs::content& c, std::string_view platform,
                                            std::string_view community) {
  auto counts = store.community_stats(platform, community);
  adapters::community_stats s;
  s.started = counts.started;
  s.finished = counts.finished;
  s.active_checkins = counts.active_checkins;
  for (const auto& [role, n] : counts.primary_roles) {
    const dialogs::role* r = c.find_role(role);
    s.primary_roles.emplace_back(r ? r->name : role, n);
  }
  return s;
}

}  // namespace mlpath

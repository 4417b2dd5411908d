#pragma once
// A community's aggregate numbers (a Discord server, a Slack workspace) from the store,
// with role ids turned into the names people know.

#include <string_view>

#include "adapters/common/community.hpp"
#include "dialogs/content.hpp"
#include "storage/store.hpp"

namespace mlpath {

adapters::community_stats community_numbers(storage::store& store, const dialogs::content& c, std::string_view platform,
                                            std::string_view community);

}  // namespace mlpath

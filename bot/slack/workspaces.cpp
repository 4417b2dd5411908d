#include "bot/slack/workspaces.hpp"

#include <spdlog/spdlog.h>

namespace mlpath {

slack_workspaces::slack_workspaces(net::event_loop& loop, storage::store& store, slack_web_client& api,
                                   std::string single_token, wall_clock_fn now)
    : loop_(loop), store_(store), api_(api), single_token_(std::move(single_token)), now_(std::move(now)) {}

void slack_workspaces::start(std::function<void()> on_ready) {
  on_ready_ = std::move(on_ready);
  for (const auto& i : store_.installations("slack")) {
    tokens_[i.tenant] = i.bot_token;
    identities_[i.tenant] = {i.bot_user_id, i.bot_id, {}};
  }
  if (single_token_.empty()) {
    ready_ = true;  // OAuth installs: identities come from the installations table
    if (on_ready_) on_ready_();
    return;
  }
  check_single_token();
}

void slack_workspaces::check_single_token() {
  api_.call_json("", single_token_, "auth.test", "{}", [this](const slack::api_response& r) {
    if (!r.ok) {
      spdlog::error("slack: auth.test failed ({}); retrying in 5 s", r.error);
      loop_.after(std::chrono::seconds(5), [this] { check_single_token(); });
      return;
    }
    storage::installation inst{"slack", r.team_id, single_token_, r.user_id, r.bot_id, {}, now_()};
    try {
      store_.save_installation(inst);
    } catch (const std::exception& e) {
      spdlog::error("slack: cannot store the installation: {}", e.what());
    }
    tokens_[r.team_id] = single_token_;
    identities_[r.team_id] = {r.user_id, r.bot_id, {}};
    spdlog::info("slack: connected to workspace {} as bot user {} ({})", r.team_id, r.user_id, r.bot_id);
    ready_ = true;
    if (on_ready_) on_ready_();
  });
}

bool slack_workspaces::knows(const std::string& team, const std::string& enterprise, bool enterprise_install) const {
  // One workspace from SLACK_BOT_TOKEN: whatever team id its payloads carry (a Grid org's
  // workspaces, a shared channel) is served with that token.
  if (!single_token_.empty()) return true;
  if (tokens_.count(team)) return true;
  return enterprise_install && !enterprise.empty() && tokens_.count(enterprise) > 0;
}

slack::bot_identity slack_workspaces::identity(const std::string& team) const {
  auto it = identities_.find(team);
  if (it != identities_.end()) return it->second;
  // Single-workspace mode: one identity serves whatever team id a payload carries.
  if (!single_token_.empty() && !identities_.empty()) return identities_.begin()->second;
  return {};
}

std::string slack_workspaces::token_for(const std::string& team) const {
  auto it = tokens_.find(team);
  if (it != tokens_.end()) return it->second;
  return single_token_;
}

void slack_workspaces::installed(const storage::installation& i) {
  store_.save_installation(i);
  tokens_[i.tenant] = i.bot_token;
  identities_[i.tenant] = {i.bot_user_id, i.bot_id, {}};
  spdlog::info("slack: installed in workspace {}", i.tenant);
}

void slack_workspaces::uninstalled(const std::string& team) {
  spdlog::info("slack: uninstalled from workspace {}: forgetting its tokens", team);
  store_.delete_installation("slack", team, now_());
  tokens_.erase(team);
  identities_.erase(team);
}

}  // namespace mlpath

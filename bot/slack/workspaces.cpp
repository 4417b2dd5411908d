#include "bot/slack/workspaces.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <set>

namespace mlpath {

namespace {

const char* what_kind(const storage::installation& i) { return i.is_enterprise_install ? "org" : "workspace"; }

long long seconds_until(dialogs::timestamp at, dialogs::timestamp now) {
  return std::chrono::duration_cast<std::chrono::seconds>(at - now).count();
}

}  // namespace

slack_workspaces::slack_workspaces(net::event_loop& loop, storage::store& store, slack_web_client& api,
                                   std::string single_token, wall_clock_fn now, options o)
    : loop_(loop),
      store_(store),
      api_(api),
      single_token_(std::move(single_token)),
      now_(std::move(now)),
      options_(std::move(o)) {}

void slack_workspaces::start(std::function<void()> on_ready) {
  on_ready_ = std::move(on_ready);
  reload();
  if (options_.client_id.empty()) {
    for (const auto& [tenant, e] : installs_)
      if (!e.inst.refresh_token.empty())
        spdlog::warn("slack: the bot token of {} {} rotates, but SLACK_CLIENT_ID and SLACK_CLIENT_SECRET are not set "
                     "to refresh it",
                     what_kind(e.inst), tenant);
  }
  if (single_token_.empty()) {
    ready_ = true;  // OAuth installs: identities come from the installations table
    if (on_ready_) on_ready_();
  } else {
    check_single_token();
  }
  // Tokens due (or past due) are refreshed now, the rest on the timer.
  rotate_due();
}

void slack_workspaces::stop() {
  stopped_ = true;
  if (timer_) loop_.cancel(timer_);
  timer_ = 0;
  for (auto& [tenant, e] : installs_) {
    if (e.retry_timer) loop_.cancel(e.retry_timer);
    e.retry_timer = 0;
  }
}

void slack_workspaces::check_single_token() {
  api_.call_json("", single_token_, "auth.test", "{}", [this](const slack::api_response& r) {
    if (single_token_.empty()) return;  // revoked or uninstalled meanwhile
    if (!r.ok) {
      spdlog::error("slack: auth.test failed ({}); retrying in 5 s", r.error);
      loop_.after(std::chrono::seconds(5), [this] { check_single_token(); });
      return;
    }
    auto now = now_();
    storage::installation inst;
    inst.platform = "slack";
    // An org-level token (org-wide install) is the org's installation.
    inst.tenant = r.is_enterprise_install && !r.enterprise_id.empty() ? r.enterprise_id : r.team_id;
    inst.bot_token = single_token_;
    inst.bot_user_id = r.user_id;
    inst.bot_id = r.bot_id;
    inst.installed_at = now;
    inst.enterprise_id = r.enterprise_id;
    inst.is_enterprise_install = r.is_enterprise_install;
    inst.updated_at = now;
    try {
      store_.save_installation(inst);
    } catch (const std::exception& e) {
      spdlog::error("slack: cannot store the installation: {}", e.what());
    }
    single_tenant_ = inst.tenant;
    if (auto it = installs_.find(inst.tenant); it != installs_.end() && it->second.retry_timer)
      loop_.cancel(it->second.retry_timer);
    installs_[inst.tenant] = entry{inst};
    spdlog::info("slack: connected to {} {} as bot user {} ({})", what_kind(inst), inst.tenant, r.user_id, r.bot_id);
    ready_ = true;
    if (on_ready_) on_ready_();
  });
}

void slack_workspaces::reload() {
  auto rows = store_.installations("slack");
  std::set<std::string> present;
  for (auto& i : rows) {
    present.insert(i.tenant);
    auto it = installs_.find(i.tenant);
    if (it == installs_.end()) {
      std::string tenant = i.tenant;  // `i` is moved from below
      installs_.emplace(std::move(tenant), entry{std::move(i)});
      continue;
    }
    entry& e = it->second;
    // Another process may have rotated the pair (or reinstalled): what is stored wins,
    // except over a pair of ours still waiting to be stored.
    if (!e.unstored) {
      if (e.inst.refresh_token != i.refresh_token) e.wanted = false;
      e.inst = std::move(i);
    }
  }
  for (auto it = installs_.begin(); it != installs_.end();) {
    // Gone from the database: uninstalled or revoked (by another process). The single
    // token's installation stays in use even if storing it failed.
    bool single = !single_token_.empty() && it->first == single_tenant_;
    if (!present.count(it->first) && !it->second.unstored && !single) {
      if (it->second.retry_timer) loop_.cancel(it->second.retry_timer);
      it = installs_.erase(it);
    } else {
      ++it;
    }
  }
  for (auto& [team, enterprise] : store_.slack_teams()) teams_[team] = enterprise;
}

std::string slack_workspaces::tenant_of(const std::string& team) const {
  if (team.empty()) return {};
  if (installs_.count(team)) return team;
  auto t = teams_.find(team);
  if (t == teams_.end()) return {};
  auto it = installs_.find(t->second);
  if (it != installs_.end() && it->second.inst.is_enterprise_install) return it->first;
  return {};
}

std::string slack_workspaces::tenant_for(const std::string& team, const std::string& enterprise,
                                         bool enterprise_install) const {
  return enterprise_install && !enterprise.empty() ? enterprise : team;
}

bool slack_workspaces::knows(const std::string& team, const std::string& enterprise, bool enterprise_install) const {
  // The single token's workspace is not known until auth.test answers; its events wait in
  // the inbox until then (processing starts once we are ready).
  if (!single_token_.empty() && single_tenant_.empty()) return true;
  if (enterprise_install) {
    if (enterprise.empty()) return false;
    auto it = installs_.find(enterprise);
    return it != installs_.end() && it->second.inst.is_enterprise_install;
  }
  if (team.empty()) return false;
  auto it = installs_.find(team);
  return it != installs_.end() && !it->second.inst.is_enterprise_install;
}

void slack_workspaces::note_team(const std::string& team, const std::string& enterprise) {
  if (team.empty() || enterprise.empty() || team == enterprise) return;
  // Written every time (it writes only when something changed): a batch that rolls back
  // takes the row with it, and the next try writes it again.
  store_.note_slack_team(team, enterprise, now_());
  teams_[team] = enterprise;
}

slack::bot_identity slack_workspaces::identity(const std::string& team) const {
  std::string tenant = tenant_of(team);
  if (tenant.empty()) return {};
  const auto& i = installs_.at(tenant).inst;
  return {i.bot_user_id, i.bot_id, i.app_id};
}

std::string slack_workspaces::token_for(const std::string& team) const {
  std::string tenant = tenant_of(team);
  if (!tenant.empty()) return installs_.at(tenant).inst.bot_token;
  if (!single_token_.empty() && single_tenant_.empty()) return single_token_;
  return {};
}

void slack_workspaces::installed(const storage::installation& i) {
  store_.save_installation(i);
  auto it = installs_.find(i.tenant);
  if (it != installs_.end() && it->second.retry_timer) loop_.cancel(it->second.retry_timer);
  installs_[i.tenant] = entry{i};
  spdlog::info("slack: installed in {} {}{}", what_kind(i), i.tenant,
               i.refresh_token.empty() ? "" : " (its token rotates)");
  arm();
}

void slack_workspaces::forget(const std::string& tenant) {
  auto it = installs_.find(tenant);
  if (it != installs_.end()) {
    if (it->second.retry_timer) loop_.cancel(it->second.retry_timer);
    installs_.erase(it);
  }
  if (!single_tenant_.empty() && tenant == single_tenant_) {
    // SLACK_BOT_TOKEN is no longer ours to use either.
    single_token_.clear();
    single_tenant_.clear();
  }
}

void slack_workspaces::uninstalled(const std::string& team, const std::string& enterprise, bool enterprise_install) {
  std::string tenant = tenant_for(team, enterprise, enterprise_install);
  if (tenant.empty()) return;
  spdlog::info("slack: uninstalled from {} {}: deleting its tokens and its people's data",
               enterprise_install ? "org" : "workspace", tenant);
  store_.erase_installation("slack", tenant);
  forget(tenant);
  for (auto it = teams_.begin(); it != teams_.end();) {
    if (it->second == tenant || it->first == tenant) it = teams_.erase(it);
    else ++it;
  }
}

void slack_workspaces::teams_revoked(const std::string& enterprise, const std::vector<std::string>& teams) {
  for (const auto& team : teams) {
    if (team.empty() || enterprise.empty() || team == enterprise) continue;
    if (!store_.erase_slack_team(team, enterprise)) {
      spdlog::info("slack: org {} left team {}, which has its own installation or another org: nothing deleted",
                   enterprise, team);
      continue;
    }
    spdlog::info("slack: org {} left team {}: its people's data deleted", enterprise, team);
    teams_.erase(team);
  }
}

void slack_workspaces::revoked(const std::string& team, const std::string& enterprise, bool enterprise_install,
                               const std::vector<std::string>& bot_users) {
  std::string tenant = tenant_for(team, enterprise, enterprise_install);
  if (tenant.empty()) return;
  std::optional<storage::installation> inst;
  if (auto it = installs_.find(tenant); it != installs_.end()) inst = it->second.inst;
  else inst = store_.find_installation("slack", tenant);
  if (!inst) {
    spdlog::info("slack: tokens revoked in {}, which has no installation here", tenant);
    return;
  }
  // Our bot is named by its bot user id (or bot id); an installation whose bot we never
  // learned is taken to be the one meant.
  bool ours = inst->bot_user_id.empty() ||
              std::find(bot_users.begin(), bot_users.end(), inst->bot_user_id) != bot_users.end() ||
              (!inst->bot_id.empty() && std::find(bot_users.begin(), bot_users.end(), inst->bot_id) != bot_users.end());
  if (!ours) {
    spdlog::info("slack: tokens revoked in {} {} are not our bot's; its installation stays", what_kind(*inst), tenant);
    return;
  }
  spdlog::info("slack: the bot token of {} {} was revoked: deleting it, nothing more is sent there", what_kind(*inst),
               tenant);
  store_.delete_installation("slack", tenant, now_());
  forget(tenant);
}

bool slack_workspaces::rotating(const entry& e) const {
  return !e.inst.refresh_token.empty() && e.inst.token_expires_at.has_value() && !options_.client_id.empty();
}

bool slack_workspaces::due(const entry& e, dialogs::timestamp now) const {
  return rotating(e) && now >= *e.inst.token_expires_at - options_.refresh_before;
}

void slack_workspaces::rotate_due() {
  if (stopped_) return;
  if (timer_) loop_.cancel(timer_);
  timer_ = 0;
  try {
    reload();
  } catch (const std::exception& e) {
    spdlog::warn("slack: cannot read the installations: {}", e.what());
  }
  auto now = now_();
  std::vector<std::string> go;
  for (const auto& [tenant, e] : installs_)
    if ((due(e, now) || (e.wanted && rotating(e))) && !e.refreshing && !e.retry_timer) go.push_back(tenant);
  for (const auto& tenant : go) refresh(tenant);
  arm();
}

void slack_workspaces::arm() {
  if (stopped_) return;
  if (timer_) loop_.cancel(timer_);
  auto now = now_();
  auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(options_.recheck_every);
  for (const auto& [tenant, e] : installs_) {
    if (!rotating(e) || e.refreshing || e.retry_timer) continue;
    auto until = std::chrono::duration_cast<std::chrono::milliseconds>(*e.inst.token_expires_at -
                                                                        options_.refresh_before - now);
    wait = std::clamp(until, std::chrono::milliseconds(0), wait);
  }
  timer_ = loop_.after(wait, [this] {
    timer_ = 0;
    rotate_due();
  });
}

void slack_workspaces::refresh(const std::string& tenant) {
  auto it = installs_.find(tenant);
  if (it == installs_.end() || !rotating(it->second)) return;
  entry& e = it->second;
  if (e.refreshing) return;
  auto now = now_();
  std::string old_refresh = e.inst.refresh_token;
  bool claimed = false;
  try {
    claimed = store_.claim_token_refresh("slack", tenant, old_refresh, now, now + options_.claim_for);
  } catch (const std::exception& ex) {
    spdlog::warn("slack: cannot claim the token refresh of {}: {}", tenant, ex.what());
    retry_later(tenant, options_.refresh_backoff.delay(++e.failures));
    return;
  }
  if (!claimed) {
    // Another process has rotated it (use its pair) or is rotating it (look again later).
    std::optional<storage::installation> stored;
    try {
      stored = store_.find_installation("slack", tenant);
    } catch (const std::exception& ex) {
      spdlog::warn("slack: cannot read the installation of {}: {}", tenant, ex.what());
      retry_later(tenant, options_.refresh_backoff.delay(++e.failures));
      return;
    }
    if (!stored) {
      forget(tenant);
      return;
    }
    if (stored->refresh_token != old_refresh) {
      spdlog::info("slack: the bot token of {} was rotated by another process; using it", tenant);
      e.inst = *stored;
      e.wanted = false;
      e.failures = 0;
      arm();
      return;
    }
    retry_later(tenant, options_.claim_for);
    return;
  }
  e.refreshing = true;
  // Single use: the refresh token is sent once per claim; the web client does not repeat
  // oauth.v2.access when its outcome is unknown.
  api_.call_form(tenant, "", "oauth.v2.access",
                 {{"client_id", options_.client_id},
                  {"client_secret", options_.client_secret},
                  {"grant_type", "refresh_token"},
                  {"refresh_token", old_refresh}},
                 [this, tenant, old_refresh](const slack::api_response& r) { refreshed(tenant, old_refresh, r); });
}

void slack_workspaces::refreshed(const std::string& tenant, const std::string& old_refresh,
                                 const slack::api_response& r) {
  auto it = installs_.find(tenant);
  if (it == installs_.end()) return;  // uninstalled or revoked meanwhile
  entry& e = it->second;
  if (!r.ok || r.access_token.empty() || r.refresh_token.empty()) {
    e.refreshing = false;
    ++e.failures;
    try {
      store_.release_token_refresh("slack", tenant, old_refresh);
    } catch (const std::exception& ex) {
      spdlog::warn("slack: cannot release the token refresh claim of {}: {}", tenant, ex.what());
    }
    std::uniform_real_distribution<double> draw(0.0, 1.0);
    auto wait = options_.refresh_backoff.delay(e.failures, draw(random_));
    spdlog::warn("slack: refreshing the bot token of {} failed ({}); trying again in {} ms (attempt {})", tenant,
                 r.error.empty() ? "no new token pair" : r.error, wait.count(), e.failures);
    retry_later(tenant, wait);
    return;
  }
  auto now = now_();
  storage::rotated_tokens fresh{r.access_token, r.refresh_token, std::nullopt};
  if (r.expires_in > 0) fresh.expires_at = now + std::chrono::seconds(r.expires_in);
  e.unstored = std::move(fresh);
  store_pair(tenant, old_refresh);
}

// Slack has spent the old refresh token: the new pair is kept until the database takes
// it, and only then used.
void slack_workspaces::store_pair(const std::string& tenant, const std::string& old_refresh) {
  auto it = installs_.find(tenant);
  if (it == installs_.end() || !it->second.unstored) return;
  entry& e = it->second;
  bool stored = false;
  try {
    stored = store_.rotate_tokens("slack", tenant, old_refresh, *e.unstored, now_());
  } catch (const std::exception& ex) {
    ++e.failures;
    auto wait = options_.refresh_backoff.delay(e.failures);
    spdlog::error("slack: cannot store the new bot token of {} ({}); the old one stays in use, trying again in {} ms",
                  tenant, ex.what(), wait.count());
    if (e.retry_timer) loop_.cancel(e.retry_timer);
    e.retry_timer = loop_.after(wait, [this, tenant, old_refresh] {
      auto again = installs_.find(tenant);
      if (again == installs_.end()) return;
      again->second.retry_timer = 0;
      store_pair(tenant, old_refresh);
    });
    return;
  }
  storage::rotated_tokens fresh = std::move(*e.unstored);
  e.unstored.reset();
  e.refreshing = false;
  e.failures = 0;
  e.wanted = false;
  if (!stored) {
    // Another process stored a pair first (our claim had run out): the stored pair wins.
    spdlog::warn("slack: the bot token of {} was rotated by another process meanwhile; using the stored one", tenant);
    try {
      if (auto i = store_.find_installation("slack", tenant)) e.inst = *i;
      else forget(tenant);
    } catch (const std::exception& ex) {
      spdlog::warn("slack: cannot read the installation of {}: {}", tenant, ex.what());
    }
    arm();
    return;
  }
  e.inst.bot_token = std::move(fresh.bot_token);
  e.inst.refresh_token = std::move(fresh.refresh_token);
  e.inst.token_expires_at = fresh.expires_at;
  e.inst.updated_at = now_();
  if (fresh.expires_at)
    spdlog::info("slack: rotated the bot token of {} {} (valid for {} s)", what_kind(e.inst), tenant,
                 seconds_until(*fresh.expires_at, now_()));
  else
    spdlog::info("slack: rotated the bot token of {} {}", what_kind(e.inst), tenant);
  arm();
}

void slack_workspaces::retry_later(const std::string& tenant, std::chrono::milliseconds wait) {
  auto it = installs_.find(tenant);
  if (it == installs_.end() || stopped_) return;
  if (it->second.retry_timer) loop_.cancel(it->second.retry_timer);
  it->second.retry_timer = loop_.after(wait, [this, tenant] {
    auto again = installs_.find(tenant);
    if (again == installs_.end()) return;
    entry& e = again->second;
    e.retry_timer = 0;
    if (stopped_) return;
    if (due(e, now_()) || e.wanted) refresh(tenant);
    else arm();
  });
  arm();
}

bool slack_workspaces::token_expired(const std::string& team, const std::string& token) {
  std::string tenant = tenant_of(team);
  if (tenant.empty()) return false;
  entry& e = installs_.at(tenant);
  if (e.inst.bot_token != token) return true;  // already replaced: the next try uses the new one
  // Another process may have stored a new pair.
  try {
    if (auto stored = store_.find_installation("slack", tenant); stored && stored->bot_token != token && !e.unstored) {
      e.inst = *stored;
      return true;
    }
  } catch (const std::exception& ex) {
    spdlog::warn("slack: cannot read the installation of {}: {}", tenant, ex.what());
  }
  if (!rotating(e)) {
    spdlog::warn("slack: the bot token of {} {} expired and cannot be refreshed (no refresh token{})", what_kind(e.inst),
                 tenant, options_.client_id.empty() ? ", or no SLACK_CLIENT_ID" : "");
    return false;
  }
  if (!e.wanted) spdlog::info("slack: the bot token of {} {} expired; refreshing it", what_kind(e.inst), tenant);
  e.wanted = true;
  if (!e.refreshing && !e.retry_timer) refresh(tenant);
  return true;
}

}  // namespace mlpath

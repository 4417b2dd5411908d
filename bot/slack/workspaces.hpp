#pragma once
// The Slack workspaces mlpath is installed in: each installation's bot token and who our
// bot is there (to ignore our own messages), from the installations table (OAuth v2
// installs, and the workspace of SLACK_BOT_TOKEN once auth.test has named it).
//
// An installation's tenant is its team id, or for an org-wide (Enterprise Grid) install
// its enterprise id; that one token serves every team of the org. Payloads of an org-wide
// install name the team (note_team records which org it belongs to, in slack_teams, so
// check-ins and sends after a restart find the org's token too). One workspace never gets
// another's token: token_for and identity answer only for an installation that serves
// the team asked about.
//
// Lifecycle: installs (oauth), app_uninstalled (the tokens and the people's data go),
// tokens_revoked (the bot tokens go, the people's data stays), and token rotation: a
// rotating installation (token_rotation_enabled: an access token that expires after 12 h
// and a single-use refresh token) is refreshed `refresh_before` its expiry — on a timer,
// at start, and when a call answers token_expired. Each new pair is stored with a
// compare-and-swap on the old refresh token before it is used, after a claim in the
// database so that of several processes on one database only one spends a refresh token.
// A failed refresh is retried with backoff; until a new pair is stored the old access
// token (still valid: it is refreshed early) is used, never after.
//
// Threading: the event loop's thread.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "adapters/common/backoff.hpp"
#include "adapters/slack/mapping.hpp"
#include "bot/net/event_loop.hpp"
#include "bot/slack/web_client.hpp"
#include "bot/turns/conversation_service.hpp"
#include "storage/store.hpp"

namespace mlpath {

struct slack_workspaces_options {
  // The app's OAuth credentials: refreshing a rotating token needs them ("" = no OAuth,
  // so no rotation).
  std::string client_id;
  std::string client_secret;
  std::chrono::minutes refresh_before{120};  // refresh a rotating token this long before it expires
  // The rotation timer's longest sleep: the installations are read again this often, so
  // pairs and installs stored by another process are picked up.
  std::chrono::seconds recheck_every{300};
  std::chrono::seconds claim_for{120};  // other processes keep off a refresh token this long
  adapters::backoff_policy refresh_backoff{std::chrono::seconds(5), std::chrono::minutes(10),
                                           adapters::backoff_policy::jitter::equal};
};

class slack_workspaces {
 public:
  using options = slack_workspaces_options;

  // `single_token`: SLACK_BOT_TOKEN ("" with OAuth installs only).
  slack_workspaces(net::event_loop& loop, storage::store& store, slack_web_client& api, std::string single_token,
                   wall_clock_fn now, options o = {});

  // Loads the stored installations; with a single token, auth.test names its workspace
  // (retried every 5 s until it answers). `on_ready` runs once we know who we are. Starts
  // the rotation timer (tokens due for a refresh are refreshed now).
  void start(std::function<void()> on_ready);
  // Stops the timers (a refresh in flight still stores its new pair).
  void stop();
  bool ready() const { return ready_; }

  // Whether a payload from `team` (of org `enterprise`, org-wide install or not, as the
  // payload's authorizations say) has an installation here, so it may be processed. In
  // single-token mode: true until auth.test has named the token's workspace (the events
  // wait in the inbox until then), afterwards true only for that workspace (or, when the
  // token is an org-wide one, for payloads of that org's install).
  bool knows(const std::string& team, const std::string& enterprise, bool enterprise_install) const;
  // A payload of an org-wide install came from `team` of `enterprise`: that team is
  // served by the org's installation from now on (stored; throws storage_error).
  void note_team(const std::string& team, const std::string& enterprise);

  // Who our bot is for the installation serving `team` (empty when none does).
  slack::bot_identity identity(const std::string& team) const;
  // The bot token of the installation serving `team` (its own, or its org's org-wide
  // one); "" when none does. Before auth.test has named the single token's workspace, the
  // single token.
  std::string token_for(const std::string& team) const;

  // A new installation (OAuth): stored, then used. Throws storage_error.
  void installed(const storage::installation& i);
  // app_uninstalled: the installation's tokens go, with its people's data, check-ins and
  // pending outbox (the org's teams' too for an org-wide install). Throws storage_error.
  void uninstalled(const std::string& team, const std::string& enterprise, bool enterprise_install);
  // team_access_revoked: the org-wide install of `enterprise` can no longer reach `teams`;
  // the people of each (and what was still to be sent there) go, unless the team has an
  // installation of its own or belongs to another org. The org's installation stays.
  void teams_revoked(const std::string& enterprise, const std::vector<std::string>& teams);
  // tokens_revoked naming `bot_users`: the installation whose bot that is loses its token
  // (nothing is sent with it any more; its check-ins stop, pending messages are given up),
  // its people's data stays. Throws storage_error.
  void revoked(const std::string& team, const std::string& enterprise, bool enterprise_install,
               const std::vector<std::string>& bot_users);

  // A call for `team` with `token` was answered token_expired. True when sending again
  // later can succeed: the token was already replaced, or a refresh is under way; false
  // when the installation cannot refresh (no refresh token).
  bool token_expired(const std::string& team, const std::string& token);
  // Refreshes every rotating installation within `refresh_before` of its expiry (the
  // timer calls it; tests with a fake clock call it after moving the clock).
  void rotate_due();

 private:
  struct entry {
    storage::installation inst;
    bool refreshing = false;  // a refresh is in flight (or its new pair waits to be stored)
    bool wanted = false;      // a call found the token expired: refresh even if not due
    int failures = 0;         // consecutive failed refreshes
    std::uint64_t retry_timer = 0;
    std::optional<storage::rotated_tokens> unstored;  // a new pair the database refused so far
  };

  void check_single_token();
  void reload();
  void forget(const std::string& tenant);
  // The installation key serving `team`, or "".
  std::string tenant_of(const std::string& team) const;
  std::string tenant_for(const std::string& team, const std::string& enterprise, bool enterprise_install) const;
  bool rotating(const entry& e) const;
  bool due(const entry& e, dialogs::timestamp now) const;
  void arm();
  void refresh(const std::string& tenant);
  void refreshed(const std::string& tenant, const std::string& old_refresh, const slack::api_response& r);
  void store_pair(const std::string& tenant, const std::string& old_refresh);
  void retry_later(const std::string& tenant, std::chrono::milliseconds wait);

  net::event_loop& loop_;
  storage::store& store_;
  slack_web_client& api_;
  std::string single_token_;
  std::string single_tenant_;  // the single token's installation, once auth.test named it
  wall_clock_fn now_;
  options options_;
  std::function<void()> on_ready_;
  bool ready_ = false;
  bool stopped_ = false;
  std::map<std::string, entry> installs_;      // by tenant (team id, or enterprise id when org-wide)
  std::map<std::string, std::string> teams_;  // team -> enterprise, for org-wide installs
  std::uint64_t timer_ = 0;
  std::mt19937_64 random_{std::random_device{}()};
};

}  // namespace mlpath

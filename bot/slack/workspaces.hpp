#pragma once
// The Slack workspaces mlpath is installed in: each one's bot token and who our bot is
// there (to ignore our own messages). They come from the installations table (OAuth v2
// installs, and the workspace of SLACK_BOT_TOKEN once auth.test has named it).
//
// This is the place for installation lifecycle: installs, uninstalls, token rotation.
//
// Threading: the event loop's thread.

#include <functional>
#include <map>
#include <string>

#include "adapters/slack/mapping.hpp"
#include "bot/net/event_loop.hpp"
#include "bot/slack/web_client.hpp"
#include "bot/turns/conversation_service.hpp"
#include "storage/store.hpp"

namespace mlpath {

class slack_workspaces {
 public:
  // `single_token`: SLACK_BOT_TOKEN ("" with OAuth installs only).
  slack_workspaces(net::event_loop& loop, storage::store& store, slack_web_client& api, std::string single_token,
                   wall_clock_fn now);

  // Loads the stored installations; with a single token, auth.test names its workspace
  // (retried every 5 s until it answers). `on_ready` runs once we know who we are.
  void start(std::function<void()> on_ready);
  bool ready() const { return ready_; }

  // Is a payload from this workspace (or org, for an org-wide install) ours to process?
  bool knows(const std::string& team, const std::string& enterprise, bool enterprise_install) const;
  slack::bot_identity identity(const std::string& team) const;
  // "" when the workspace has no installation and there is no single token.
  std::string token_for(const std::string& team) const;

  // A new installation (OAuth): stored, then used. Throws storage_error.
  void installed(const storage::installation& i);
  // app_uninstalled / tokens_revoked: the tokens and what was still to be sent there go.
  void uninstalled(const std::string& team);

 private:
  void check_single_token();

  net::event_loop& loop_;
  storage::store& store_;
  slack_web_client& api_;
  std::string single_token_;
  wall_clock_fn now_;
  std::function<void()> on_ready_;
  bool ready_ = false;
  std::map<std::string, slack::bot_identity> identities_;  // by team id
  std::map<std::string, std::string> tokens_;              // by team id
};

}  // namespace mlpath

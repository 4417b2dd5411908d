#pragma once
// OAuth v2 install for many workspaces (DESIGN §3): GET /slack/install answers 302 to
// Slack's authorize page with the scopes and a state (random, single use, 10-minute
// expiry) bound to the browser by an HttpOnly, Secure, SameSite=Lax cookie; GET
// /slack/oauth_redirect checks state and cookie, exchanges the code (oauth.v2.access),
// learns the bot's id (auth.test) and stores the whole installation — the team's, or the
// org's for an org-wide (Enterprise Grid) install, with its refresh token and expiry when
// token rotation is on. A forged, replayed or expired state, a missing cookie or code,
// or `error=…` (access_denied) answer 400; a failed oauth.v2.access 502; nothing is
// stored in either case.
//
// States live in this process's memory: with several instances behind a load balancer,
// the install and the redirect must reach the same one (sticky sessions), or the
// redirect answers 400 and the person starts again.
//
// Threading: the event loop's thread.

#include <chrono>
#include <map>
#include <string>

#include "bot/net/http_types.hpp"
#include "bot/slack/web_client.hpp"
#include "bot/slack/workspaces.hpp"

namespace mlpath {

class slack_oauth {
 public:
  struct settings {
    std::string client_id;
    std::string client_secret;
    std::string redirect_uri;  // MLPATH_PUBLIC_URL + /slack/oauth_redirect; "" = the app's configured one
    std::string authorize_url = "https://slack.com/oauth/v2/authorize";
  };

  static constexpr std::chrono::minutes state_lifetime{10};
  static constexpr std::size_t max_states = 10000;  // installs begun and not finished, at most
  static constexpr const char* cookie_name = "mlpath_oauth_state";

  // `now` decides when a state has expired.
  slack_oauth(slack_web_client& api, slack_workspaces& workspaces, settings s, wall_clock_fn now);

  bool enabled() const { return !settings_.client_id.empty(); }
  void handle_install(net::http_request&& req, net::http_reply reply);
  void handle_redirect(net::http_request&& req, net::http_reply reply);

 private:
  void exchanged(const slack::api_response& r, net::http_reply reply);

  slack_web_client& api_;
  slack_workspaces& workspaces_;
  settings settings_;
  wall_clock_fn now_;
  std::map<std::string, dialogs::timestamp> states_;  // state -> when it expires
};

}  // namespace mlpath

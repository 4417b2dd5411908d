#pragma once
// OAuth v2 install for many workspaces: GET /slack/install redirects to Slack's authorize
// page with the scopes and a single-use state bound to the browser by a cookie; GET
// /slack/oauth_redirect checks state and cookie, exchanges the code (oauth.v2.access),
// learns the bot's ids (auth.test) and stores the installation.
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

  slack_oauth(slack_web_client& api, slack_workspaces& workspaces, settings s, wall_clock_fn now);

  bool enabled() const { return !settings_.client_id.empty(); }
  void handle_install(net::http_request&& req, net::http_reply reply);
  void handle_redirect(net::http_request&& req, net::http_reply reply);

 private:
  slack_web_client& api_;
  slack_workspaces& workspaces_;
  settings settings_;
  wall_clock_fn now_;
  std::map<std::string, std::chrono::steady_clock::time_point> states_;  // state -> expiry
};

}  // namespace mlpath

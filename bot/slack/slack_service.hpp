#pragma once
// Slack, assembled: the workspaces (tokens, identities, installs), HTTP ingress, the
// processing path, the sender and the OAuth install pages. Socket Mode will be a second
// ingress (bot/slack/socket_mode) feeding the same processor.
//
// Threading: the event loop's thread.

#include <memory>
#include <string>

#include "bot/outbox/dispatcher.hpp"
#include "bot/slack/ingress.hpp"
#include "bot/slack/oauth.hpp"
#include "bot/slack/processing.hpp"
#include "bot/slack/sender.hpp"
#include "bot/slack/socket_mode.hpp"
#include "bot/slack/web_client.hpp"
#include "bot/slack/workspaces.hpp"

namespace mlpath {

class slack_service {
 public:
  struct settings {
    std::string signing_secret;
    std::string bot_token;  // single workspace; "" with OAuth installs
    std::string client_id;  // OAuth v2
    std::string client_secret;
    std::string redirect_uri;  // "" = the app's configured Redirect URL
    std::string app_token;     // xapp-: Socket Mode; "" = HTTP only
    std::string ca_file;       // extra trust for the Socket Mode websocket
  };

  // Registers itself as the outbox's Slack sender.
  slack_service(net::event_loop& loop, storage::store& store, conversation_service& conversations,
                slack_web_client& api, outbox_dispatcher& outbox, metrics& m, settings s, wall_clock_fn now);

  // Learns who we are (auth.test), processes what the inbox still holds, and connects
  // Socket Mode when configured.
  void start();
  // A graceful stop: Socket Mode takes no new envelopes (unacknowledged ones are
  // redelivered) and the token-rotation timers stop.
  void stop();
  bool ready() const { return not_ready().empty(); }
  // What keeps Slack from being ready, for /readyz; "" when ready.
  std::string not_ready() const;

  void handle_events(net::http_request&& req, net::http_reply reply) { ingress_.handle_events(std::move(req), std::move(reply)); }
  bool oauth_enabled() const { return oauth_.enabled(); }
  void handle_install(net::http_request&& req, net::http_reply reply) { oauth_.handle_install(std::move(req), std::move(reply)); }
  void handle_oauth_redirect(net::http_request&& req, net::http_reply reply) {
    oauth_.handle_redirect(std::move(req), std::move(reply));
  }


 private:
  slack_workspaces workspaces_;
  slack_processor processor_;
  slack_ingress ingress_;
  slack_sender sender_;
  slack_oauth oauth_;
  std::unique_ptr<slack_socket_mode> socket_;  // Socket Mode, when an app token is set
};

}  // namespace mlpath

#pragma once
// Slack over HTTP: POST /slack/events (Events API, slash commands, interactivity), the
// OAuth v2 install, and the outbox sender that turns stored replies into Web API calls.
//
// Every request is verified, stored in the inbox (deduplicated by its event id) and only
// then acknowledged; the conversation turn runs after the ack and commits its state and
// replies together. Inbox writes of one loop turn share a transaction (group commit).
//
// Threading: the event loop's thread.

#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "adapters/slack/inbound.hpp"
#include "adapters/slack/mapping.hpp"
#include "bot/conversation_service.hpp"
#include "bot/metrics.hpp"
#include "bot/net/event_loop.hpp"
#include "bot/net/http_types.hpp"
#include "bot/outbox_dispatcher.hpp"
#include "bot/slack_web_client.hpp"

namespace mlpath {

class slack_service {
 public:
  struct settings {
    std::string signing_secret;
    std::string bot_token;      // single workspace; "" with OAuth installs
    std::string client_id;      // OAuth v2
    std::string client_secret;
    std::string oauth_authorize_url = "https://slack.com/oauth/v2/authorize";
  };

  slack_service(net::event_loop& loop, storage::store& store, conversation_service& conversations,
                slack_web_client& api, outbox_dispatcher& outbox, metrics& m, settings s, wall_clock_fn now);

  // Learns who we are (auth.test) and processes what the inbox still holds.
  void start();
  bool ready() const { return ready_; }

  void handle_events(net::http_request&& req, net::http_reply reply);
  void handle_install(net::http_request&& req, net::http_reply reply);
  void handle_oauth_redirect(net::http_request&& req, net::http_reply reply);

  // Replies nobody asked for just now (a nudge, an expiry note) as DMs in the turn's outbox.
  void render_unsolicited(const std::vector<dialogs::reply>& replies, storage::turn_record& turn);

  // The outbox sender for platform "slack".
  void send(const storage::outbox_message& m, send_done done);

 private:
  struct pending_ack {
    storage::inbox_event event;
    slack::inbound parsed;
    net::http_response response;
    net::http_reply reply;
    std::chrono::steady_clock::time_point received;
  };
  struct work_item {
    storage::inbox_event event;
    std::optional<slack::inbound> parsed;
  };

  void answer(net::http_reply& reply, net::http_response res, std::chrono::steady_clock::time_point received);
  void flush_acks();
  void schedule_processing();
  void reload_backlog();
  void process_batch();
  void process(const work_item& w);
  void render_outbox(const slack::mapped& m, std::string_view team, const std::vector<dialogs::reply>& replies,
                     storage::turn_record& turn);
  slack::bot_identity identity(const std::string& team);
  std::string token_for(const std::string& team);
  void check_identity();
  void post_message(const storage::outbox_message& m, std::string channel, send_done done);

  net::event_loop& loop_;
  storage::store& store_;
  conversation_service& conversations_;
  slack_web_client& api_;
  outbox_dispatcher& outbox_;
  metrics& metrics_;
  settings settings_;
  wall_clock_fn now_;

  bool ready_ = false;
  std::map<std::string, slack::bot_identity> identities_;  // by team id
  std::map<std::string, std::string> tokens_;              // by team id
  std::vector<pending_ack> acks_;
  bool flush_scheduled_ = false;
  std::deque<work_item> work_;
  bool processing_scheduled_ = false;
  bool spilled_ = false;  // some unprocessed events are only in the inbox
  std::map<std::int64_t, std::string> known_dm_;  // user id -> DM channel already stored
  std::map<std::string, std::chrono::steady_clock::time_point> oauth_states_;  // state -> expiry
};

}  // namespace mlpath

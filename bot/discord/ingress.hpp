#pragma once
// Discord ingress: POST /discord/interactions (Ed25519 check, parsing, PING) and the
// gateway's dispatches (typed DMs; interactions when there is no HTTP endpoint). What is
// read in one loop turn goes to discord_processor as one batch; HTTP interactions are then
// answered with their callbacks, and their follow-ups are released once each answer has
// been written.
//
// Threading: the event loop's thread.

#include <chrono>
#include <string>
#include <vector>

#include "bot/discord/processing.hpp"
#include "bot/discord/sender.hpp"
#include "bot/net/event_loop.hpp"
#include "bot/net/http_types.hpp"
#include "bot/outbox/dispatcher.hpp"

namespace mlpath {

class discord_ingress {
 public:
  // `public_key` "" = no HTTP endpoint: interactions arrive over the gateway.
  discord_ingress(net::event_loop& loop, discord_processor& processor, discord_sender& sender, outbox_dispatcher& outbox,
                  metrics& m, std::string public_key);

  void handle_interactions(net::http_request&& req, net::http_reply reply);
  // A gateway DISPATCH; `d_json` is valid only during the call.
  void on_dispatch(const std::string& event, std::string_view d_json);

 private:
  struct waiting {
    discord_processor::incoming work;
    net::http_reply reply;  // empty: it came over the gateway
    std::chrono::steady_clock::time_point received;
  };

  void schedule_flush();
  void flush();

  net::event_loop& loop_;
  discord_processor& processor_;
  discord_sender& sender_;
  outbox_dispatcher& outbox_;
  metrics& metrics_;
  std::string public_key_;
  std::vector<waiting> interactions_;
  std::vector<discord::dm_message> messages_;
  bool flush_scheduled_ = false;
};

}  // namespace mlpath

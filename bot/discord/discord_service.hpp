#pragma once
// Discord, assembled: the interactions endpoint and gateway (ingress), the processing
// path, the sender for follow-ups and DMs, and the gateway shards.
//
// Threading: the event loop's thread.

#include <memory>
#include <string>
#include <vector>

#include "bot/discord/ingress.hpp"
#include "bot/discord/processing.hpp"
#include "bot/discord/rest_client.hpp"
#include "bot/discord/sender.hpp"
#include "bot/outbox/dispatcher.hpp"

namespace mlpath {

class discord_gateway;

class discord_service {
 public:
  struct settings {
    std::string public_key;      // hex; "" = no HTTP interactions endpoint
    std::string bot_token;       // "" = no REST, no gateway
    std::string application_id;
    std::string shards;          // DISCORD_SHARDS, "" = as Discord recommends
    std::string ca_file;
  };

  // `rest` may be null (no bot token). Registers itself as the outbox's Discord sender.
  discord_service(net::event_loop& loop, storage::store& store, conversation_service& conversations,
                  discord_rest* rest, outbox_dispatcher& outbox, metrics& m, settings s, wall_clock_fn now);
  ~discord_service();

  void start();
  bool ready() const;
  // Why not ready ("" when ready): for /readyz.
  std::string not_ready() const;
  // A restart: the gateway closes resumably and stores its sessions; `done` afterwards.
  void suspend(std::function<void()> done);

  void handle_interactions(net::http_request&& req, net::http_reply reply) {
    ingress_.handle_interactions(std::move(req), std::move(reply));
  }
  bool can_message() const { return rest_ != nullptr; }

 private:
  net::event_loop& loop_;
  storage::store& store_;
  metrics& metrics_;
  wall_clock_fn now_;
  discord_rest* rest_;
  settings settings_;
  discord_processor processor_;
  discord_sender sender_;
  discord_ingress ingress_;
  std::unique_ptr<discord_gateway> gateway_;
};

}  // namespace mlpath

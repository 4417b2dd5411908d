#pragma once
// Discord: POST /discord/interactions (Ed25519-verified), the gateway for typed DM
// answers (and interactions when no HTTP endpoint is configured), and the outbox sender
// that posts follow-ups and DMs through the REST API.
//
// An interaction is answered inline: its turn (state, follow-ups, the inbox record that
// deduplicates it) commits first, then the callback goes out as the HTTP response.
// Interactions read in one loop turn share that commit.
//
// Threading: the event loop's thread.

#include <chrono>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "adapters/discord/interaction.hpp"
#include "adapters/discord/mapping.hpp"
#include "bot/conversation_service.hpp"
#include "bot/discord_rest.hpp"
#include "bot/metrics.hpp"
#include "bot/net/event_loop.hpp"
#include "bot/net/http_types.hpp"
#include "bot/outbox_dispatcher.hpp"

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

  discord_service(net::event_loop& loop, storage::store& store, conversation_service& conversations,
                  discord_rest* rest, outbox_dispatcher& outbox, metrics& m, settings s, wall_clock_fn now);
  ~discord_service();

  void start();
  bool ready() const;

  void handle_interactions(net::http_request&& req, net::http_reply reply);
  void send(const storage::outbox_message& m, send_done done);  // outbox sender for "discord"
  // Replies nobody asked for just now (a nudge, an expiry note) as DMs in the turn's outbox.
  void render_unsolicited(const std::vector<dialogs::reply>& replies, storage::turn_record& turn);

  // Gateway events (from discord_gateway, or tests): queued and processed like interactions.
  void on_dispatch(const std::string& event, std::string_view d_json);
  void set_bot_user_id(std::string id) { bot_user_id_ = std::move(id); }

 private:
  struct pending_interaction {
    discord::interaction in;
    net::http_reply reply;  // empty: it came over the gateway, answer through REST
    std::chrono::steady_clock::time_point received;
  };
  struct pending_message {
    discord::dm_message msg;
  };

  void schedule_flush();
  void flush();
  std::string process_interaction(const discord::interaction& in, bool via_gateway, storage::turn_record* extra);
  void process_dm(const discord::dm_message& m);
  void attribute(const discord::mapped& m, std::int64_t user_id);
  std::string stats_callback(const std::string& guild_id);

  net::event_loop& loop_;
  storage::store& store_;
  conversation_service& conversations_;
  discord_rest* rest_;
  outbox_dispatcher& outbox_;
  metrics& metrics_;
  settings settings_;
  wall_clock_fn now_;
  std::unique_ptr<discord_gateway> gateway_;
  std::string bot_user_id_;

  std::vector<pending_interaction> interactions_;
  std::vector<pending_message> messages_;
  bool flush_scheduled_ = false;
  std::set<std::pair<std::string, std::int64_t>> attributed_;  // (guild, user) already noted
};

}  // namespace mlpath

#pragma once
// Discord ingress: POST /discord/interactions (Ed25519 check, parsing, PING) and the
// gateway's dispatches (typed DMs; interactions when there is no HTTP endpoint). What is
// read in one loop turn goes to discord_processor as one batch; HTTP interactions are then
// answered with their callbacks, and their follow-ups are released once each answer has
// been written.
//
// Discord allows 3 seconds for an answer. The batch waits at most until 2.5 s after its
// oldest HTTP interaction arrived for the database's lock; when the database is busy (or
// refuses the write) the HTTP interactions are answered with a deferred callback at once,
// and the whole batch is tried again every half second: the turn's answer then edits the
// deferred message (through the outbox, with the turn). Gateway DMs and interactions of a
// batch that could not be stored are kept and retried the same way, not dropped.
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
  discord_ingress(net::event_loop& loop, storage::store& store, discord_processor& processor, discord_sender& sender,
                  outbox_dispatcher& outbox, metrics& m, std::string public_key);

  void handle_interactions(net::http_request&& req, net::http_reply reply);
  // A gateway DISPATCH; `d_json` is valid only during the call.
  void on_dispatch(const std::string& event, std::string_view d_json);

  // When a batch gives up waiting for the database lock, measured from its oldest HTTP
  // interaction's arrival (Discord's limit is 3 s).
  static constexpr std::chrono::milliseconds answer_within{2500};
  static constexpr std::chrono::milliseconds retry_every{500};
  static constexpr std::chrono::milliseconds retry_lock_wait{250};
  static constexpr std::size_t max_waiting = 1000;  // kept for retry; beyond, HTTP gets 500

 private:
  struct waiting {
    discord_processor::incoming work;
    net::http_reply reply;  // empty: it came over the gateway, or it was answered with a deferral
    std::chrono::steady_clock::time_point received;
  };

  void schedule_flush();
  void flush();
  void answer_deferred(waiting& w);

  net::event_loop& loop_;
  storage::store& store_;
  discord_processor& processor_;
  discord_sender& sender_;
  outbox_dispatcher& outbox_;
  metrics& metrics_;
  std::string public_key_;
  std::vector<waiting> interactions_;
  std::vector<discord::dm_message> messages_;
  // What a failed batch held, tried again before anything newer.
  std::vector<waiting> retry_interactions_;
  std::vector<discord::dm_message> retry_messages_;
  bool flush_scheduled_ = false;
  bool retry_scheduled_ = false;
};

}  // namespace mlpath

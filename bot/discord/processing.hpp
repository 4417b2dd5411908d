#pragma once
// Discord processing: a batch of interactions and DMs is deduplicated (inbox), each one
// runs its turn, and the new state, the follow-ups as typed outbox messages and the inbox
// records commit in one transaction. Interactions from the HTTP endpoint are answered in
// their HTTP response once that commit is done; those from the gateway get their
// callback through the outbox.
//
// Threading: the event loop's thread.

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "adapters/discord/interaction.hpp"
#include "adapters/discord/mapping.hpp"
#include "bot/observe/metrics.hpp"
#include "bot/turns/conversation_service.hpp"

namespace mlpath {

class discord_processor {
 public:
  discord_processor(storage::store& store, conversation_service& conversations, metrics& m, wall_clock_fn now);

  struct incoming {
    discord::interaction in;
    bool via_gateway = false;  // answer through the outbox, not an HTTP response
    bool deferred = false;     // already answered with a deferred callback: the answer edits it
  };
  struct answer {
    std::string callback;    // the HTTP response body ("" when it went to the outbox)
    bool followups = false;  // follow-ups wait until the callback has reached Discord
  };
  struct batch_outcome {
    bool committed = false;       // false: nothing was stored; answer nobody
    std::vector<answer> answers;  // one per interaction, in order
  };

  batch_outcome process(const std::vector<incoming>& interactions, const std::vector<discord::dm_message>& dms);

  void set_bot_user_id(std::string id) { bot_user_id_ = std::move(id); }
  const std::string& bot_user_id() const { return bot_user_id_; }

 private:
  answer process_interaction(const incoming& work);
  void process_dm(const discord::dm_message& m);
  void attribute(const discord::mapped& m, std::int64_t user_id);
  boost::json::object stats(const std::string& guild_id);
  // A callback that runs no turn: the HTTP answer, or an outbox message over the gateway.
  answer plain(const incoming& work, const discord::mapped& m, boost::json::object callback);

  storage::store& store_;
  conversation_service& conversations_;
  metrics& metrics_;
  wall_clock_fn now_;
  std::string bot_user_id_;
  // (guild, user) already noted; written inside batches, so cleared when one rolls back.
  std::set<std::pair<std::string, std::int64_t>> attributed_;
};

}  // namespace mlpath

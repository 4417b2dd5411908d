#pragma once
// Runs the Discord gateway shards this process owns (DISCORD_SHARDS, or what
// GET /gateway/bot recommends): one websocket and one gateway_session per shard, timers
// for heartbeats, identify pacing by max_concurrency bucket and the daily limit.
// Each shard's session (id, sequence, resume URL) is kept in the store when it becomes
// ready and when the process stops (suspend), so the next start resumes it instead of
// identifying again.
//
// Threading: the event loop's thread.

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "bot/discord/rest_client.hpp"
#include "bot/net/event_loop.hpp"
#include "bot/observe/metrics.hpp"
#include "bot/turns/conversation_service.hpp"
#include "storage/store.hpp"

namespace mlpath {

struct shard_range {
  int first = 0;
  int last = 0;
  int count = 1;
};
// "a-b/n" or "a/n"; throws std::invalid_argument with a readable message.
shard_range parse_shards(const std::string& spec);

class discord_gateway {
 public:
  struct settings {
    std::string token;
    std::string shards;  // "" = Discord's recommendation, all of them here
    std::string ca_file;
  };
  using dispatch_fn = std::function<void(const std::string& event, std::string_view d_json)>;  // d valid during the call
  using ready_fn = std::function<void(const std::string& bot_user_id)>;

  discord_gateway(net::event_loop& loop, discord_rest& rest, storage::store& store, metrics& m, wall_clock_fn now,
                  settings s, dispatch_fn dispatch, ready_fn on_ready);
  ~discord_gateway();

  void start();
  bool ready() const;  // the shard that receives DMs (shard 0) is READY
  // A restart: every shard closes with a resumable code and its session is stored;
  // `done` runs once all sockets have closed (or after a few seconds).
  void suspend(std::function<void()> done);

  struct impl;  // implementation detail

 private:
  std::unique_ptr<impl> impl_;
};

}  // namespace mlpath

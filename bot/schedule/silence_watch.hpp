#pragma once
// Stale conversations (DESIGN.md §5): one nudge after 24 hours of silence, expiry after
// seven days. Every few minutes it finds conversations gone quiet and runs the engine's
// tick for each; the platform that person uses turns the replies into DMs.
//
// Threading: the event loop's thread.

#include <chrono>
#include <functional>
#include <map>
#include <string>

#include "bot/net/event_loop.hpp"
#include "bot/outbox/dispatcher.hpp"
#include "bot/turns/conversation_service.hpp"

namespace mlpath {

class silence_watch {
 public:
  // Adds a platform's DMs for unsolicited replies to the turn (the outbox rows).
  using renderer = conversation_service::turn_hook;

  silence_watch(net::event_loop& loop, storage::store& store, conversation_service& conversations,
                outbox_dispatcher& outbox, wall_clock_fn now, std::chrono::milliseconds every = std::chrono::minutes(5));

  void add_platform(const std::string& platform, renderer r);
  void start();
  void stop();  // no more sweeps (a graceful stop)
  std::size_t sweep();  // one round now; returns how many conversations were ticked

 private:
  net::event_loop& loop_;
  storage::store& store_;
  conversation_service& conversations_;
  outbox_dispatcher& outbox_;
  wall_clock_fn now_;
  std::chrono::milliseconds every_;
  std::map<std::string, renderer> renderers_;
  std::uint64_t timer_ = 0;
  bool stopped_ = false;
};

}  // namespace mlpath

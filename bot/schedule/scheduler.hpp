#pragma once
// Work that happens because time passed, on one timer: weekly check-ins as they fall due
// (DESIGN §6), the one reminder 24 hours after an unanswered check-in, and the silence
// nudge (24 hours) and expiry (7 days) of unfinished reflections (§5). The timer sleeps
// until the earliest of them (indexed queries on UTC times), and wakes early when a turn
// changes a schedule. Replies go out as DMs through the outbox.
//
// Check-ins that fall due together are started in bulk: the replies are the same for
// everyone due in the same week (with the same lateness), so each platform renders them
// once, and every person's row, week entry and outbox message commit together, once per
// (person, week).
//
// Threading: the event loop's thread.

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "bot/net/event_loop.hpp"
#include "bot/observe/metrics.hpp"
#include "bot/outbox/dispatcher.hpp"
#include "bot/outbox/message.hpp"
#include "bot/turns/conversation_service.hpp"
#include "dialogs/calendar.hpp"

namespace mlpath {

class scheduler {
 public:
  // A platform's DM messages for replies nobody asked for just now.
  using dm_renderer = std::function<std::vector<outbox::message>(const std::vector<dialogs::reply>&)>;

  struct options {
    // Check-ins started per query and per transaction: a busy minute's 10,000 in one
    // (about 0.1 s holding the write lock, ~20 MiB while it lasts) instead of ten commits.
    std::size_t batch = 10000;
    // Reminders per wake-up: each is a whole engine turn on the loop thread, so a backlog
    // (a busy minute's check-ins a day later) is worked off in slices with the loop free
    // in between, one commit per slice.
    std::size_t turns = 200;
    std::chrono::seconds longest_sleep{60};       // also bounds the effect of a clock jump
    // Retention, checked once a day: sent (or given-up) outbox messages are kept 30 days,
    // processed inbox entries (the dedupe ids of platform retries) 7 days; a backlog goes
    // a slice per wake-up.
    std::chrono::hours keep_messages{24 * 30};
    std::chrono::hours keep_events{24 * 7};
    std::size_t prune_slice = 5000;
  };

  scheduler(net::event_loop& loop, storage::store& store, conversation_service& conversations,
            outbox_dispatcher& outbox, metrics& m, const dialogs::calendar& cal, wall_clock_fn now, options o);

  void add_platform(const std::string& platform, dm_renderer r);
  void start();  // arms the timer
  void wake();   // a schedule changed: look again now
  void stop();   // nothing more (a graceful stop); what is due goes out after the restart

  // Everything due now, done now; returns how many people got something. For the timer,
  // tests and the benchmark.
  std::size_t run_once();
  std::size_t send_due_checkins(dialogs::timestamp now);

 private:
  void arm();
  std::size_t send_reminders(dialogs::timestamp now);
  std::size_t tick_quiet(dialogs::timestamp now);
  void prune_old(dialogs::timestamp now);
  std::vector<std::string> platforms() const;
  conversation_service::turn_hook hook_for(const storage::user_ref& user);

  net::event_loop& loop_;
  storage::store& store_;
  conversation_service& conversations_;
  outbox_dispatcher& outbox_;
  metrics& metrics_;
  const dialogs::calendar& cal_;
  wall_clock_fn now_;
  options options_;
  std::map<std::string, dm_renderer> renderers_;
  std::uint64_t timer_ = 0;
  bool armed_ = false;
  bool wake_posted_ = false;
  bool stopped_ = false;
  double lag_seconds_ = 0;  // how late the last due check-in went out
  std::optional<dialogs::timestamp> next_prune_;  // unset: at the first run
};

}  // namespace mlpath

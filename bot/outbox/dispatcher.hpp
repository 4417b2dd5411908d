#pragma once
// Sends what turns committed to the outbox: in id order per person (or queue), many
// people at once, marking each message sent once its platform confirms it. A transient
// failure is retried with capped, jittered backoff (the next attempt time is stored) for
// as long as the message is younger than a day; a permanent one is recorded. After a
// restart it resumes with whatever was not yet marked sent.
//
// Threading: the event loop's thread.

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <random>
#include <set>
#include <string>
#include <unordered_map>

#include "adapters/common/backoff.hpp"
#include "bot/net/event_loop.hpp"
#include "bot/observe/metrics.hpp"
#include "bot/outbox/message.hpp"
#include "bot/outbox/sender.hpp"
#include "bot/turns/conversation_service.hpp"
#include "storage/store.hpp"

namespace mlpath {

class outbox_dispatcher {
 public:
  struct options {
    std::size_t max_in_flight = 64;
    std::size_t max_loaded = 4096;  // pending messages held in memory at once
    // DESIGN §7: transient failures are retried while the message is younger than this.
    std::chrono::hours give_up_after{24};
    adapters::backoff_policy backoff{std::chrono::seconds(2), std::chrono::minutes(5),
                                     adapters::backoff_policy::jitter::equal};
    std::chrono::milliseconds sweep_every{1000};
    // A day by the wall clock is not enough to give up: a clock that jumps forward must
    // not end messages that were tried once. (10 tries span about 20 minutes of backoff.)
    int min_attempts_to_give_up = 10;
    // No retry is scheduled further ahead than this (backoff cap, longest Retry-After); a
    // next attempt beyond it means the clock jumped back, and the message is due now.
    std::chrono::seconds longest_wait{std::chrono::hours(1) + std::chrono::minutes(5)};
  };

  // One per platform; `record` is the stored row (id, person, tenant), `what` its message.
  using slack_sender = std::function<void(const storage::outbox_message& record, const slack::outbound& what, send_done)>;
  using discord_sender =
      std::function<void(const storage::outbox_message& record, const discord::outbound& what, send_done)>;

  outbox_dispatcher(net::event_loop& loop, storage::store& store, metrics& m, wall_clock_fn now, options o);

  void set_sender(slack_sender s) { slack_ = std::move(s); }
  void set_sender(discord_sender s) { discord_ = std::move(s); }
  void start();  // loads what is pending and starts the periodic sweep
  void kick();   // new messages were committed: look now
  // Stops sending new messages; `idle` is called once nothing is in flight.
  void drain(std::function<void()> idle);
  std::size_t in_flight() const { return in_flight_.size(); }

 private:
  struct entry {
    storage::outbox_message record;  // record.in_doubt: an earlier send may have landed
    outbox::message what;
    bool reconcilable = false;  // outbox::reconcilable(what)
  };

  void run();
  void sweep();
  void refill();
  bool dispatch(std::int64_t id, const entry& e);
  bool has_sender(const entry& e) const;
  bool mark_in_doubt(const std::vector<std::int64_t>& ids);
  void finished(std::int64_t id, send_result r);
  void flush_marks();
  static std::string queue_of(const storage::outbox_message& m);

  net::event_loop& loop_;
  storage::store& store_;
  metrics& metrics_;
  wall_clock_fn now_;
  options options_;
  slack_sender slack_;
  discord_sender discord_;
  std::minstd_rand random_{std::random_device{}()};

  std::map<std::int64_t, entry> pending_;  // loaded, unsent, by id
  // One queue per person (or queue key): only its head may be in flight, which keeps each
  // person's messages in order while different people's go out side by side.
  std::unordered_map<std::string, std::deque<std::int64_t>> queues_;
  std::deque<std::string> runnable_;                        // queues whose head can be tried now
  std::multimap<dialogs::timestamp, std::string> waiting_;  // queues whose head waits for a retry
  std::set<std::int64_t> in_flight_;
  std::int64_t last_loaded_id_ = 0;
  bool run_scheduled_ = false;
  bool draining_ = false;
  std::function<void()> on_idle_;
  std::vector<std::pair<std::int64_t, dialogs::timestamp>> sent_marks_;  // written in one batch
  bool flush_scheduled_ = false;
};

}  // namespace mlpath

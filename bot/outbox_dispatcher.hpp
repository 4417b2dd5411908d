#pragma once
// Sends what turns committed to the outbox: in id order per person (or channel), many
// people at once, marking each message sent; transient failures are retried with
// backoff (durably: the next attempt time is stored), permanent ones recorded. After a
// restart it resumes with whatever was not yet marked sent.
//
// Threading: the event loop's thread.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <deque>
#include <set>
#include <unordered_map>
#include <string>

#include "bot/metrics.hpp"
#include "bot/net/event_loop.hpp"
#include "storage/store.hpp"

namespace mlpath {

struct send_result {
  enum class status { sent, retry, failed };
  status what = status::sent;
  std::chrono::seconds retry_after{0};  // retry: wait at least this long
  std::string error;
};

using send_done = std::function<void(send_result)>;
using platform_sender = std::function<void(const storage::outbox_message&, send_done)>;
using wall_clock_fn = std::function<dialogs::timestamp()>;

class outbox_dispatcher {
 public:
  struct options {
    std::size_t max_in_flight = 64;
    std::size_t max_loaded = 4096;  // pending messages held in memory at once
    int max_attempts = 8;
    std::chrono::seconds first_backoff{2};
    std::chrono::seconds longest_backoff{300};
    std::chrono::milliseconds sweep_every{1000};
  };

  outbox_dispatcher(net::event_loop& loop, storage::store& store, metrics& m, wall_clock_fn now, options o);

  void add_sender(const std::string& platform, platform_sender sender);
  void start();  // loads what is pending and starts the periodic sweep
  void kick();   // new messages were committed: look now
  // Stops sending new messages; `idle` is called once nothing is in flight.
  void drain(std::function<void()> idle);
  std::size_t in_flight() const { return in_flight_.size(); }

 private:
  void run();
  void sweep();
  void refill();
  void finished(std::int64_t id, send_result r);
  void flush_marks();

  net::event_loop& loop_;
  storage::store& store_;
  metrics& metrics_;
  wall_clock_fn now_;
  options options_;
  static std::string key_of(const storage::outbox_message& m);
  void make_runnable(const std::string& key);

  std::map<std::string, platform_sender> senders_;
  std::map<std::int64_t, storage::outbox_message> pending_;  // loaded, unsent, by id
  // One queue per person (or channel): only its head may be in flight, which keeps each
  // person's messages in order while different people's go out side by side.
  std::unordered_map<std::string, std::deque<std::int64_t>> queues_;
  std::deque<std::string> runnable_;          // keys whose head can be tried now
  std::multimap<dialogs::timestamp, std::string> waiting_;  // keys whose head waits for a retry
  std::set<std::int64_t> in_flight_;
  std::int64_t last_loaded_id_ = 0;
  bool run_scheduled_ = false;
  bool draining_ = false;
  std::function<void()> on_idle_;
  std::vector<std::pair<std::int64_t, dialogs::timestamp>> sent_marks_;  // written in one batch
  bool flush_scheduled_ = false;
};

}  // namespace mlpath

#pragma once
// The service's single event loop: one io_context run by one thread. Everything outside
// bot/net schedules work through this class and never sees Asio.
//
// Threading: run() on one thread; post() is safe from any thread; the other members
// only from the loop thread (or before run()).

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>

namespace boost::asio {
class io_context;
}

namespace mlpath::net {

class event_loop {
 public:
  event_loop();
  ~event_loop();
  event_loop(const event_loop&) = delete;
  event_loop& operator=(const event_loop&) = delete;

  void post(std::function<void()> fn);

  // Calls `fn` on the loop after `delay`, unless cancelled first. Ids are never reused.
  std::uint64_t after(std::chrono::milliseconds delay, std::function<void()> fn);
  void cancel(std::uint64_t timer_id);

  // SIGINT and SIGTERM call `fn` (once per signal) instead of killing the process.
  void on_stop_signal(std::function<void(int)> fn);

  // Runs until stop() and returns; work posted before is run.
  void run();
  void stop();
  // Runs ready handlers and timers due now without blocking (tests).
  void poll();

  // Calls `fn` at `when` on a clock whose current time is `now`: at once (inline) when
  // that has passed, else after the difference. For callers with an injected clock.
  void run_at(std::chrono::steady_clock::time_point when, std::chrono::steady_clock::time_point now,
              std::function<void()> fn);

  boost::asio::io_context& context();  // for bot/net code only

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace mlpath::net

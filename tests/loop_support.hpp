#pragma once
// Runs an event loop on the test's thread until a condition holds (checked between
// handlers) or a deadline passes: waiting for an outcome, never sleeping for one.

#include <chrono>
#include <functional>
#include <memory>

#include "bot/net/event_loop.hpp"

namespace mlpath::test {

// True once `done()` holds; false when `timeout` passed first.
inline bool run_until(net::event_loop& loop, const std::function<bool()>& done,
                      std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  if (done()) return true;
  struct state {
    bool alive = true;
    bool ok = false;
  };
  auto st = std::make_shared<state>();
  auto deadline = std::chrono::steady_clock::now() + timeout;
  auto check = std::make_shared<std::function<void()>>();
  std::weak_ptr<std::function<void()>> weak = check;
  *check = [&loop, &done, st, deadline, weak] {
    if (!st->alive) return;
    if (done()) {
      st->ok = true;
      st->alive = false;
      loop.stop();
      return;
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      st->alive = false;
      loop.stop();
      return;
    }
    if (auto again = weak.lock()) loop.after(std::chrono::milliseconds(2), [again] { (*again)(); });
  };
  loop.post([check] { (*check)(); });
  loop.run();
  st->alive = false;  // a check still queued does nothing once we have returned
  return st->ok;
}

}  // namespace mlpath::test

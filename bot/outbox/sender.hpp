#pragma once
// What a platform sender reports back to the outbox for one message.

#include <chrono>
#include <functional>
#include <string>

namespace mlpath {

struct send_result {
  enum class status {
    sent,    // the platform confirmed it
    retry,   // a transient failure (connection refused or reset, timeout, 5xx, 429): try again later
    failed,  // a permanent answer: the message ends here
  };
  status what = status::sent;
  std::chrono::seconds retry_after{0};  // retry: wait at least this long
  std::string error;

  static send_result ok() { return {}; }
  static send_result again(std::string why, std::chrono::seconds after = std::chrono::seconds(0)) {
    return {status::retry, after, std::move(why)};
  }
  static send_result give_up(std::string why) { return {status::failed, std::chrono::seconds(0), std::move(why)}; }
};

// Called exactly once per send, on the event loop's thread.
using send_done = std::function<void(send_result)>;

}  // namespace mlpath

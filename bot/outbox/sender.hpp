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
  // retry: no answer came, but the request may have reached the platform (a timeout or a
  // reset after it was written). The message is looked up before it is sent again.
  bool uncertain = false;
  // retry: why, as a label of mlpath_outbound_retries_total (rate_limited, server_error,
  // connect, timeout, closed, truncated).
  std::string reason = "server_error";

  static send_result ok() { return {}; }
  static send_result again(std::string why, std::chrono::seconds after = std::chrono::seconds(0)) {
    return {status::retry, after, std::move(why), false};
  }
  static send_result unknown(std::string why) { return {status::retry, std::chrono::seconds(0), std::move(why), true}; }
  static send_result give_up(std::string why) { return {status::failed, std::chrono::seconds(0), std::move(why), false}; }
  send_result because(std::string r) && {
    reason = std::move(r);
    return std::move(*this);
  }
};

// Called exactly once per send, on the event loop's thread.
using send_done = std::function<void(send_result)>;

}  // namespace mlpath

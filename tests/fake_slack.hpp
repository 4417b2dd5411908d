#pragma once
// An in-process fake of Slack for service tests: a Web API server on 127.0.0.1:0 that
// records every call and can be scripted to answer ok:false, 429 with Retry-After, slowly,
// or by dropping the connection; plus a client that sends signed requests to mlpath.
// Runs its own event loop thread; every public member is thread-safe.

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <boost/json/value.hpp>

#include "bot/net/event_loop.hpp"
#include "bot/net/http_client.hpp"
#include "bot/net/http_server.hpp"

namespace mlpath::test {

struct recorded_call {
  std::string method;     // e.g. chat.postMessage
  std::string auth;       // Authorization header
  std::string content_type;
  std::string body;
  boost::json::value json;  // the body parsed (null for form bodies)
  std::string response_ts;  // the ts the fake answered with (posts and updates)
  std::chrono::steady_clock::time_point at;
};

// A scripted answer for the next call of a method.
struct scripted {
  int status = 200;
  std::string body;                         // "" = the default ok:true answer
  std::vector<std::pair<std::string, std::string>> headers;
  std::chrono::milliseconds delay{0};       // answer late
  bool drop = false;                        // close the connection without answering
  // A broken answer: reset the connection, or cut the body short. With `acted` Slack did
  // the work first (the post exists) and only the answer is lost.
  net::http_response::fault fault = net::http_response::fault::none;
  bool acted = false;
};

class fake_slack {
 public:
  fake_slack();
  ~fake_slack();

  std::string api_url() const;  // http://127.0.0.1:PORT/api/

  void script(const std::string& method, scripted s);  // queued per method
  // While set, every call of `method` answers this (e.g. 503) instead of ok:true.
  void fail_always(const std::string& method, int status);
  // While set, every call of `method` is answered with `fault` (after acting on it when `acted`).
  void break_always(const std::string& method, net::http_response::fault fault, bool acted);
  void clear_failures();
  // apps.connections.open answers ok with the URL this gives (a fake Socket Mode server's).
  void socket_mode_urls(std::function<std::string()> next_url);
  // Every call authorised with `token` ("Bearer <token>") answers ok:false with `error`
  // from now on, whatever the method (an expired or revoked token). Before scripts.
  void reject_token(const std::string& token, const std::string& error = "token_expired");
  // Posts accepted into `channel` so far (what conversations.history would show).
  std::size_t posts_in(const std::string& channel) const;

  std::vector<recorded_call> calls() const;
  std::vector<recorded_call> calls(const std::string& method) const;
  // Waits until `pred(calls)` holds; false on timeout.
  bool wait_for(const std::function<bool(const std::vector<recorded_call>&)>& pred,
                std::chrono::milliseconds timeout = std::chrono::seconds(10));

  // Sends a request to `url` and waits for the answer.
  net::client_response request(net::client_request req);
  // A Slack-signed POST of `body` to `url` with the given content type.
  net::client_response post_signed(const std::string& url, const std::string& secret, const std::string& content_type,
                                   const std::string& body, std::vector<std::pair<std::string, std::string>> extra = {},
                                   long long timestamp = 0);

 private:
  void handle(net::http_request&& req, net::http_reply reply);

  net::event_loop loop_;
  std::unique_ptr<net::http_server> server_;
  std::unique_ptr<net::http_client> client_;
  std::uint16_t port_ = 0;
  std::thread thread_;
  mutable std::mutex mu_;
  std::condition_variable changed_;
  std::vector<recorded_call> calls_;
  std::map<std::string, std::deque<scripted>> scripts_;
  std::map<std::string, int> failing_;
  std::map<std::string, std::string> rejected_;  // Authorization header -> error
  std::map<std::string, std::pair<net::http_response::fault, bool>> breaking_;
  struct posted {
    std::string ts;
    boost::json::value metadata;  // null when the post had none
  };
  std::map<std::string, std::vector<posted>> channels_;  // oldest first
  int ts_counter_ = 0;
  std::function<std::string()> socket_url_;
};

// Slack's JSON for a DM message event (channel_type im).
std::string slack_dm_event(const std::string& event_id, const std::string& user, const std::string& text,
                           const std::string& channel = "D0TEST", const std::string& team = "T0TEST");
// A block_actions form body pressing a button with `value` on message `message_ts`.
std::string slack_button_press(const std::string& user, const std::string& value, const std::string& message_ts,
                               const std::string& trigger_id, const std::string& channel = "D0TEST",
                               const std::string& team = "T0TEST");
// The same press as the JSON payload (what a Socket Mode interactive envelope carries).
std::string slack_button_press_json(const std::string& user, const std::string& value, const std::string& message_ts,
                                    const std::string& trigger_id, const std::string& channel = "D0TEST",
                                    const std::string& team = "T0TEST");

}  // namespace mlpath::test

#pragma once
// An in-process fake of Discord for service tests: the REST API (gateway/bot, DM
// channels, messages, webhooks, interaction callbacks, commands) on 127.0.0.1:0 and a
// gateway websocket that says Hello, answers Identify/Resume/heartbeats and can dispatch
// DM messages, ask for reconnects or close with any code. Signs interactions with its own
// Ed25519 key, as Discord does. Runs its own loop thread; public members are thread-safe.

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
#include "bot/net/ws_server.hpp"

namespace mlpath::test {

struct rest_call {
  std::string method;
  std::string path;
  std::string auth;
  std::string user_agent;
  std::string body;
  boost::json::value json;
  int status = 200;  // what the fake answered
};

struct gateway_frame {
  int op = -1;
  boost::json::value json;
};

class fake_discord {
 public:
  fake_discord();
  ~fake_discord();

  std::string api_url() const;  // http://127.0.0.1:PORT/api/v10
  std::string public_key_hex() const;
  std::string application_id() const { return "APP1"; }

  // The next call whose "METHOD path" starts with `prefix` answers `status` and `body`
  // (status -1: the connection is reset instead).
  void script(const std::string& prefix, int status, std::string body,
              std::vector<std::pair<std::string, std::string>> headers = {});

  std::vector<rest_call> calls() const;
  std::vector<gateway_frame> frames() const;  // what the bot sent on the gateway
  int connections() const;                    // gateway connections accepted so far
  std::vector<int> close_codes() const;       // close codes the bot closed gateway connections with
  bool wait_for(const std::function<bool()>& pred, std::chrono::milliseconds timeout = std::chrono::seconds(10));

  // Gateway control.
  void dispatch_dm(const std::string& message_id, const std::string& author, const std::string& content,
                   bool author_bot = false);
  void send_op(int op, const std::string& d_json);  // e.g. 7 reconnect, 9 invalid session
  void close_gateway(int code);
  void set_acks(bool on);

  // A signed POST of an interaction to `url`.
  net::client_response post_interaction(const std::string& url, const std::string& body, bool good_signature = true);
  net::client_response request(net::client_request req);

 private:
  void handle(net::http_request&& req, net::http_reply reply);
  void on_ws_message(net::ws_server::connection_id id, std::string text);

  net::event_loop loop_;
  std::unique_ptr<net::http_server> http_;
  std::unique_ptr<net::ws_server> ws_;
  std::unique_ptr<net::http_client> client_;
  std::uint16_t http_port_ = 0, ws_port_ = 0;
  std::thread thread_;
  std::string public_key_, private_key_;

  mutable std::mutex mu_;
  std::condition_variable changed_;
  std::vector<rest_call> calls_;
  std::vector<gateway_frame> frames_;
  std::deque<std::tuple<std::string, int, std::string, std::vector<std::pair<std::string, std::string>>>> scripts_;
  std::string commands_ = "[]";
  net::ws_server::connection_id current_ = 0;
  int connections_ = 0;
  std::vector<int> close_codes_;
  long long seq_ = 0;
  bool acks_ = true;
  int sessions_ = 0;
  int message_counter_ = 0;
};

// An interaction body (APPLICATION_COMMAND /mlpath <sub>) from `user` in `guild` ("" = a DM).
std::string discord_command(const std::string& id, const std::string& user, const std::string& sub,
                            const std::string& guild = "G1", const std::string& permissions = "0");
// A MESSAGE_COMPONENT press of `custom_id` (with select `values`) on message `message_id`.
std::string discord_press(const std::string& id, const std::string& user, const std::string& custom_id,
                          const std::vector<std::string>& values = {}, const std::string& guild = "G1",
                          int component_type = 2, const std::string& message_id = "M1");

}  // namespace mlpath::test

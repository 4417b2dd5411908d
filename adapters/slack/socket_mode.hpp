#pragma once
// Slack Socket Mode as a pure state machine: results of apps.connections.open, websocket
// events and timer ticks go in, actions come out. The clock and the random jitter are
// parameters, so every rule of DESIGN §7 is testable without waiting:
// - every envelope is handed to the ingress, which acknowledges it by envelope_id (ack());
// - on `disconnect` (warning, refresh_requested, too_many_websockets) a new connection is
//   opened and its `hello` received before the old one is closed; until then the old one
//   still delivers and acknowledges envelopes, so nothing is lost in between;
// - `link_disabled` and a fatal open error (invalid_auth, not_authed, account_inactive)
//   stop Socket Mode with one line;
// - reconnects back off 1 s doubling to 30 s with full jitter, reset after 60 s
//   connected; a rate-limited open waits at least its Retry-After;
// - a websocket ping every 30 s; no frame for 10 s after it means half-open: reconnect.

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace mlpath::slack {

// One text frame from Slack's Socket Mode server.
struct socket_frame {
  enum class kind { hello, disconnect, envelope, other };
  kind what = kind::other;
  std::string type;    // the raw type: hello, disconnect, events_api, slash_commands, interactive, ...
  std::string reason;  // disconnect: warning, refresh_requested, too_many_websockets, link_disabled
  std::string envelope_id;
  bool accepts_response_payload = false;
  int retry_attempt = 0;
  std::string retry_reason;
  // An envelope's payload as received: the Events API body (events_api), the slash command
  // fields (slash_commands) or the interactivity payload (interactive), all JSON objects
  // that parse_inbound("application/json", payload) reads like their HTTP twins.
  std::string payload;
};

// Never throws; a frame that is not a JSON object (or an envelope without an id) is an
// error text.
std::variant<socket_frame, std::string> parse_socket_frame(std::string_view text);

// The acknowledgement of an envelope, with `payload_json` (a JSON object) as its response
// payload when not empty.
std::string socket_ack(std::string_view envelope_id, std::string_view payload_json = {});

// What apps.connections.open answered, classified by the caller.
struct socket_open_result {
  enum class kind {
    ok,            // `url` is the wss:// address to connect to
    rate_limited,  // HTTP 429: wait at least `retry_after`
    fatal,         // invalid_auth, not_authed, account_inactive, ...: `error`
    transient,     // network failure, 5xx, another error: retried with backoff
  };
  kind what = kind::transient;
  std::string url;
  std::string error;
  std::chrono::milliseconds retry_after{0};
};

// The apps.connections.open errors that no retry can fix.
bool is_fatal_open_error(std::string_view error);

struct socket_action {
  enum class kind {
    open,      // call apps.connections.open (after `delay`; 0 = now) and report on_open_result
    connect,   // open websocket `connection` to `url`
    send,      // send `text` on `connection`
    ping,      // a websocket ping on `connection`
    close,     // close `connection` (code 1000); on_closed follows
    envelope,  // hand `frame` (received on `connection`) to the ingress
    fatal,     // Socket Mode stops for good; `text` is the one line to log (no token in it)
    log,       // `text` is worth one line at info; `event` names it for metrics: hello,
               // disconnect, half_open, no_hello, rate_limited, open_failed
  };
  kind what = kind::send;
  int connection = 0;
  std::string url;
  std::string text;
  std::string event;
  socket_frame frame;
};

// DESIGN §7's numbers; tests of the wired runner shorten them.
struct socket_mode_timings {
  std::chrono::milliseconds first_backoff{1000};
  std::chrono::milliseconds max_backoff{30000};
  std::chrono::milliseconds stable_after{60000};  // connected this long: the backoff starts over
  std::chrono::milliseconds ping_interval{30000};
  std::chrono::milliseconds pong_timeout{10000};  // no frame this long after a ping: half-open
  std::chrono::milliseconds hello_timeout{30000};
};

class socket_mode_session {
 public:
  using clock = std::chrono::steady_clock;
  using random_fn = std::function<double()>;  // uniform in [0, 1)

  using timings = socket_mode_timings;

  explicit socket_mode_session(random_fn random, timings t = {});

  std::vector<socket_action> start(clock::time_point now);
  std::vector<socket_action> on_open_result(const socket_open_result& r, clock::time_point now);
  // The websocket of `connection` is open (handshake done).
  std::vector<socket_action> on_connected(int connection, clock::time_point now);
  std::vector<socket_action> on_message(int connection, std::string_view text, clock::time_point now);
  // A control frame (pong or ping) arrived: the socket is alive.
  void on_control_frame(int connection, clock::time_point now);
  // The websocket closed or failed to connect.
  std::vector<socket_action> on_closed(int connection, clock::time_point now);
  std::vector<socket_action> on_timer(clock::time_point now);
  std::optional<clock::time_point> next_deadline() const;
  // Acknowledge an envelope on the connection it came on: nothing when that connection is
  // gone (Slack redelivers it on another one, and the ingress deduplicates).
  std::vector<socket_action> ack(int connection, std::string_view envelope_id, std::string_view payload_json);
  std::vector<socket_action> stop(clock::time_point now);

  // A connection has said hello and is not closed: Socket Mode is ready.
  bool ready() const;
  bool stopped() const { return phase_ != phase::running; }
  bool failed() const { return phase_ == phase::fatal; }
  const std::string& fatal_reason() const { return fatal_reason_; }
  // Consecutive failed attempts (drives the backoff).
  int failures() const { return failures_; }
  std::size_t connections() const { return conns_.size(); }

 private:
  enum class phase { idle, running, stopped, fatal };
  enum class state {
    connecting,  // connect action out, no on_connected yet
    hello_wait,  // open, no hello yet
    live,        // hello received: the current connection
    draining,    // Slack asked us to move on: still delivers until the new one says hello
    closing,     // a close action is out; on_closed follows
  };
  struct connection {
    state st = state::connecting;
    clock::time_point since{};  // when the state was entered
    clock::time_point live_since{};
    clock::time_point next_ping{};
    std::optional<clock::time_point> ping_sent;
  };

  void close_connection(int id, connection& c, std::vector<socket_action>& out);
  void fail(std::string why, std::vector<socket_action>& out);
  // A new connection is needed when none is live or on its way and no open is pending.
  bool replacement_under_way(int except) const;
  void schedule_open(clock::time_point now, std::chrono::milliseconds at_least, bool after_failure);
  void note_alive(connection& c, clock::time_point now);

  random_fn random_;
  timings t_;
  phase phase_ = phase::idle;
  std::map<int, connection> conns_;
  int next_id_ = 1;
  int failures_ = 0;
  bool opening_ = false;                   // an open action is out, no result yet
  std::optional<clock::time_point> open_at_;  // a scheduled open
  std::string fatal_reason_;
};

}  // namespace mlpath::slack

#pragma once
// The Discord gateway protocol for one shard as a pure state machine: messages, closes and
// timer ticks go in, actions come out. The clock and the random jitter are parameters,
// so every timing rule is testable without waiting.

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mlpath::discord {

constexpr std::uint32_t intent_guilds = 1u << 0;
constexpr std::uint32_t intent_direct_messages = 1u << 12;

struct gateway_settings {
  std::string token;
  std::uint32_t intents = intent_guilds | intent_direct_messages;
  int shard_id = 0;
  int shard_count = 1;
  std::string gateway_url;  // from GET /gateway/bot, e.g. wss://gateway.discord.gg
};

struct gateway_action {
  enum class kind {
    connect,    // open a websocket to `url` (already with ?v=10&encoding=json) after `delay`
    send,       // send `text` as one text frame
    close,      // close the socket with `code` (never 1000/1001 when we mean to resume)
    dispatch,   // a DISPATCH event for the application: `event` name, `raw` = the raw `d` JSON
    fatal,      // stop this shard for good; `text` says why (one clear log line)
  };
  kind what = kind::send;
  std::string text;
  // dispatch: the raw `d`, pointing into the session's frame buffer (no copy per event):
  // valid until the next call into the session.
  std::string_view raw;
  std::string_view payload() const { return what == kind::dispatch ? raw : std::string_view(text); }
  std::string url;
  std::string event;  // dispatch: the event name; send: IDENTIFY or RESUME for those payloads
  int code = 0;
  std::chrono::milliseconds delay{0};
};

class gateway_session {
 public:
  using clock = std::chrono::steady_clock;
  using random_fn = std::function<double()>;  // uniform in [0, 1)

  gateway_session(gateway_settings s, random_fn random);

  // The first connect (to gateway_url).
  std::vector<gateway_action> start(clock::time_point now);
  // The socket is open.
  std::vector<gateway_action> on_open(clock::time_point now);
  // One text frame from Discord.
  std::vector<gateway_action> on_message(std::string_view json, clock::time_point now);
  // The socket closed (by either side) with `code` (0 = no close frame: a network error).
  std::vector<gateway_action> on_closed(int code, clock::time_point now);
  // Time passed; call at next_deadline() (heartbeats, zombie detection, backoffs).
  std::vector<gateway_action> on_timer(clock::time_point now);
  std::optional<clock::time_point> next_deadline() const;

  // Identify is allowed (the runner's concurrency/daily-limit guard said yes). A permit is
  // good for one Identify and is consumed when it is sent, so every fresh session goes
  // through the guard (identify_gate.hpp) again; false withdraws an unused permit. A
  // permit given while the session waits makes next_deadline() due at once: call
  // on_timer() and the Identify goes out.
  void allow_identify(bool allowed);
  // Hello arrived, a fresh session is needed and there is no permit: ask the guard.
  bool wants_identify() const;

  // Close for good (shutdown): code 1000, which also ends the session on Discord's side.
  std::vector<gateway_action> stop(clock::time_point now);

  // What a later process needs to resume this session; nullopt when there is none.
  struct resume_state {
    std::string session_id;
    std::int64_t sequence = 0;
    std::string resume_url;
  };
  std::optional<resume_state> resumable_state() const;
  // Close for a restart: a close code that keeps the session resumable (4200, as
  // @discordjs/ws does; 1000/1001 would end it), no reconnect, nothing more processed.
  // resumable_state() then holds what the next process resumes.
  std::vector<gateway_action> suspend(clock::time_point now);
  // Before start(): resume this session (saved by a process that suspended it) instead of
  // identifying. A Resume Discord refuses falls back to a fresh Identify as usual.
  void restore(resume_state saved);
  // An application payload (e.g. a Presence Update, op 3) within the send budget: nothing
  // is returned when it would pass 4096 bytes, the budget (app sends stop at 100 per 60 s
  // so heartbeats, Identify and Resume always fit in Discord's 120), or the session is
  // not ready.
  std::vector<gateway_action> send_event(std::string payload, clock::time_point now);

  // State, for tests and logs.
  const std::string& session_id() const { return session_id_; }
  const std::string& resume_url() const { return resume_url_; }
  std::optional<std::int64_t> sequence() const { return seq_; }
  const std::string& user_id() const { return user_id_; }  // our bot user, from READY
  bool ready() const { return ready_; }
  bool stopped() const { return phase_ == phase::stopped || phase_ == phase::fatal; }
  // Resumes since the last READY/RESUMED that ended without RESUMED.
  int failed_resumes() const { return failed_resumes_; }
  // Connection attempts since the last READY/RESUMED (drives the reconnect backoff).
  int attempts() const { return attempts_; }

  // Timings (Discord documents none of the timeouts; discord.js uses 60 s for Hello).
  static constexpr std::chrono::seconds hello_timeout{60};
  static constexpr std::chrono::seconds ready_timeout{60};  // after Identify/Resume, reset by each dispatch
  static constexpr std::chrono::seconds max_backoff{60};
  static constexpr int max_failed_resumes = 3;
  static constexpr int zombie_close_code = 4000;  // not 1000/1001: the session stays resumable
  static constexpr int resume_close_code = 4200;  // a restart: the next process resumes

 private:
  enum class phase {
    idle,           // before start()
    connecting,     // a connect action is out; waiting for on_open
    hello_wait,     // socket open, no Hello yet
    identify_wait,  // Hello done, waiting for an identify permit
    identifying,    // Identify sent, no READY yet
    resuming,       // Resume sent, no RESUMED yet
    ready,          // READY or RESUMED seen
    closing,        // we sent a close; on_closed follows
    stopped,        // stop(): nothing more
    fatal,          // a close code that must not be retried
  };
  // What to do once the socket we are closing is closed.
  struct reconnect_plan {
    bool resume = false;
    std::chrono::milliseconds min_delay{0};
  };

  std::vector<gateway_action> close_and(reconnect_plan plan, clock::time_point now);
  std::vector<gateway_action> reconnect(reconnect_plan plan, clock::time_point now);
  void on_hello(std::string_view d, clock::time_point now, std::vector<gateway_action>& out);
  void on_dispatch(std::string_view event, std::string_view d, clock::time_point now, std::vector<gateway_action>& out);
  void on_invalid_session(bool resumable, clock::time_point now, std::vector<gateway_action>& out);
  void send_identify(clock::time_point now, std::vector<gateway_action>& out);
  void send_resume(clock::time_point now, std::vector<gateway_action>& out);
  void send_heartbeat(clock::time_point now, std::vector<gateway_action>& out, std::size_t budget);
  bool emit(std::string text, clock::time_point now, std::size_t budget, std::vector<gateway_action>& out);
  bool resumable() const { return !session_id_.empty() && seq_.has_value(); }
  void forget_session();
  double jitter();
  std::chrono::milliseconds backoff();
  std::string url_for(const std::string& base) const;

  gateway_settings settings_;
  random_fn random_;
  std::string session_id_;
  std::string resume_url_;
  std::string user_id_;
  std::optional<std::int64_t> seq_;
  bool ready_ = false;

  phase phase_ = phase::idle;
  bool resume_on_hello_ = false;    // the connection being made is for a Resume
  bool resume_sent_ = false;        // this connection sent a Resume (a close before RESUMED is a failure)
  bool identify_permit_ = false;
  bool awaiting_ack_ = false;       // a heartbeat went out and no ACK came back yet
  std::chrono::milliseconds heartbeat_interval_{0};
  std::optional<clock::time_point> next_heartbeat_;
  std::optional<clock::time_point> hello_deadline_;
  std::optional<clock::time_point> ready_deadline_;
  reconnect_plan after_close_;      // our own close: what comes next
  int failed_resumes_ = 0;
  int attempts_ = 0;
  std::vector<clock::time_point> sent_;  // this connection's sends in the last 60 s (Discord: 120)
  std::string frame_;                    // reused, padded copy of the frame being parsed
};

}  // namespace mlpath::discord

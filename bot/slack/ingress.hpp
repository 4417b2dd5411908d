#pragma once
// Slack ingress, for both transports: POST /slack/events (verify the signature, parse,
// answer the handshakes) and Socket Mode envelopes. Either way a payload from a workspace
// with no installation is acknowledged and dropped with a warning; the rest get the id
// that deduplicates redeliveries (event_id for events; the envelope id, or over HTTP the
// trigger id, for the others), are stored in the inbox and only then acknowledged — with
// a response payload where Slack takes one (slash commands). Payloads that arrive close
// together share one inbox commit (group commit: the commit waits for a few quiet loop
// turns). Accepted events go on to slack_processor.
//
// Threading: the event loop's thread.

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "adapters/slack/inbound.hpp"
#include "adapters/slack/socket_mode.hpp"
#include "bot/net/event_loop.hpp"
#include "bot/net/http_types.hpp"
#include "bot/observe/metrics.hpp"
#include "bot/slack/processing.hpp"
#include "bot/slack/workspaces.hpp"
#include "dialogs/content.hpp"

namespace mlpath {

class slack_ingress {
 public:
  // `signing_secret` "" (Socket Mode only): POST /slack/events answers 404.
  slack_ingress(net::event_loop& loop, storage::store& store, slack_workspaces& workspaces, slack_processor& processor,
                const dialogs::content& content, metrics& m, std::string signing_secret, wall_clock_fn now);

  void handle_events(net::http_request&& req, net::http_reply reply);

  // A Socket Mode envelope. `ack(payload_json)` acknowledges it (with the response
  // payload, "" for none) once it is stored; it is not called when the store failed, so
  // Slack redelivers the envelope.
  using socket_ack = std::function<void(const std::string& payload_json)>;
  void handle_envelope(slack::socket_frame frame, socket_ack ack);

 private:
  // What to do with a verified, parsed payload.
  struct decision {
    bool store = false;           // false: acknowledge only
    std::string dedupe_id;        // store: the inbox id
    std::string ack_payload;      // a JSON object to answer with, "" for none
  };
  decision decide(const slack::inbound& in, const std::string& kind);

  // One payload on its way into the inbox, acknowledged once stored.
  struct pending {
    storage::inbox_event event;
    slack::inbound parsed;
    std::string ack_payload;
    std::string kind;
    std::chrono::steady_clock::time_point received;
    std::function<void(bool stored, std::string ack_payload)> acknowledge;
  };
  void enqueue(pending p);
  void flush_when_quiet();
  void flush();
  void observe_ack(std::chrono::steady_clock::time_point received, const char* route);
  void count_envelope(std::string_view kind, std::string_view status);

  net::event_loop& loop_;
  storage::store& store_;
  slack_workspaces& workspaces_;
  slack_processor& processor_;
  const dialogs::content& content_;
  metrics& metrics_;
  std::string signing_secret_;
  wall_clock_fn now_;
  std::vector<pending> pending_;
  bool flush_scheduled_ = false;
  std::size_t flush_seen_ = 0;  // pending_.size() at the last look
  int flush_turns_ = 0;         // loop turns this batch has waited
  int flush_quiet_ = 0;         // of them, in a row with nothing new
};

}  // namespace mlpath

#pragma once
// Slack ingress over HTTP (POST /slack/events): verify the signature, parse, answer the
// handshakes, pick the id that deduplicates retries, store the event in the inbox and only
// then acknowledge it. Requests read in one loop turn share one inbox commit (group
// commit). Accepted events go on to slack_processor.
//
// Threading: the event loop's thread.

#include <chrono>
#include <string>
#include <vector>

#include "adapters/slack/inbound.hpp"
#include "bot/net/event_loop.hpp"
#include "bot/net/http_types.hpp"
#include "bot/observe/metrics.hpp"
#include "bot/slack/processing.hpp"
#include "bot/slack/workspaces.hpp"

namespace mlpath {

class slack_ingress {
 public:
  slack_ingress(net::event_loop& loop, storage::store& store, slack_workspaces& workspaces, slack_processor& processor,
                metrics& m, std::string signing_secret, wall_clock_fn now);

  void handle_events(net::http_request&& req, net::http_reply reply);

 private:
  struct pending_ack {
    storage::inbox_event event;
    slack::inbound parsed;
    net::http_response response;
    net::http_reply reply;
    std::chrono::steady_clock::time_point received;
  };

  void answer(net::http_reply& reply, net::http_response res, std::chrono::steady_clock::time_point received,
              std::string_view kind);
  void flush_acks();

  net::event_loop& loop_;
  storage::store& store_;
  slack_workspaces& workspaces_;
  slack_processor& processor_;
  metrics& metrics_;
  std::string signing_secret_;
  wall_clock_fn now_;
  std::vector<pending_ack> acks_;
  bool flush_scheduled_ = false;
};

}  // namespace mlpath

#include "bot/slack/ingress.hpp"

#include <spdlog/spdlog.h>

#include <boost/json.hpp>

#include "adapters/slack/blocks.hpp"
#include "adapters/slack/signature.hpp"
#include "bot/net/crypto.hpp"
#include "bot/observe/log.hpp"
#include "bot/turns/community.hpp"

namespace mlpath {

namespace json = boost::json;

slack_ingress::slack_ingress(net::event_loop& loop, storage::store& store, slack_workspaces& workspaces,
                             slack_processor& processor, const dialogs::content& content, metrics& m,
                             std::string signing_secret, wall_clock_fn now)
    : loop_(loop),
      store_(store),
      workspaces_(workspaces),
      processor_(processor),
      content_(content),
      metrics_(m),
      signing_secret_(std::move(signing_secret)),
      now_(std::move(now)) {}

void slack_ingress::observe_ack(std::chrono::steady_clock::time_point received, const char* route) {
  auto elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - received).count();
  metrics_.observe("mlpath_ack_latency_seconds", std::string("route=\"") + route + "\"", elapsed);
}

void slack_ingress::count_envelope(std::string_view kind, std::string_view status) {
  metrics_.count("mlpath_inbound_requests_total",
                 "route=\"socket_mode\",kind=\"" + std::string(kind) + "\",status=\"" + std::string(status) + "\"");
}

slack_ingress::decision slack_ingress::decide(const slack::inbound& in, const std::string& kind) {
  decision d;
  switch (in.kind) {
    case slack::inbound_kind::url_verification:
    case slack::inbound_kind::ssl_check:
    case slack::inbound_kind::unsupported:
    case slack::inbound_kind::view_closed:
      return d;
    case slack::inbound_kind::app_rate_limited: {
      logs::log_scope context{{"platform", "slack"}, {"team", in.team_id}};
      spdlog::warn("slack: Slack reports it is rate-limiting events for this workspace (app_rate_limited)");
      metrics_.count("mlpath_slack_app_rate_limited_total");
      return d;
    }
    case slack::inbound_kind::event_callback:
    case slack::inbound_kind::slash_command:
    case slack::inbound_kind::block_actions:
    case slack::inbound_kind::view_submission:
      break;
  }
  // Lifecycle events name a workspace that may just have lost its installation: they are
  // always let through so the clean-up happens.
  bool lifecycle = in.kind == slack::inbound_kind::event_callback &&
                   (in.event_type == "app_uninstalled" || in.event_type == "tokens_revoked" ||
                    in.event_type == "team_access_revoked");
  if (!lifecycle && !workspaces_.knows(in.team_id, in.enterprise_id, in.enterprise_install)) {
    logs::log_scope context{{"platform", "slack"}, {"team", in.team_id}};
    spdlog::warn("slack: a {} from a workspace mlpath is not installed in; acknowledged and ignored", kind);
    metrics_.count("mlpath_slack_unknown_workspace_total", "");
    return d;
  }
  d.store = true;
  switch (in.kind) {
    case slack::inbound_kind::event_callback: d.dedupe_id = in.event_id; break;
    case slack::inbound_kind::slash_command: {
      d.dedupe_id = in.trigger_id.empty() ? "" : "cmd:" + in.trigger_id;
      auto m = slack::map_inbound(in, workspaces_.identity(in.team_id));
      json::object ack;
      if (m.action == slack::mapped_action::share) {
        ack = slack::render_share_card();
        ack["response_type"] = "in_channel";
      } else if (m.action == slack::mapped_action::stats) {
        try {
          ack = slack::render_stats(community_numbers(store_, content_, "slack", in.team_id));
        } catch (const std::exception& e) {
          spdlog::error("slack: cannot read the workspace's numbers: {}", e.what());
          ack = json::object{{"text", "I cannot read the numbers right now; try again in a minute."}};
        }
        ack["response_type"] = "ephemeral";
      } else {
        ack = json::object{{"response_type", "ephemeral"}, {"text", m.ack_text.empty() ? "On it." : m.ack_text}};
      }
      d.ack_payload = json::serialize(ack);
      break;
    }
    case slack::inbound_kind::block_actions:
    case slack::inbound_kind::view_submission:
      d.dedupe_id = in.trigger_id.empty() ? "" : "act:" + in.trigger_id;
      break;
    default: break;
  }
  return d;
}

void slack_ingress::handle_events(net::http_request&& req, net::http_reply reply) {
  auto received = req.received;
  auto answer = [&](net::http_response res, std::string_view kind) {
    observe_ack(received, "/slack/events");
    res.metric_kind = kind;
    reply(std::move(res));
  };
  if (signing_secret_.empty()) {
    // Socket Mode only: there is no secret to verify HTTP requests with.
    answer(net::text_response(404, "not found"), "disabled");
    return;
  }
  std::string_view content_type = req.header("Content-Type");
  // Slack's certificate check carries no event and changes nothing: answered first.
  if (slack::is_ssl_check(content_type, req.body)) {
    answer(net::text_response(200, ""), "ssl_check");
    return;
  }
  auto verdict = slack::verify_request(net::crypto_primitives(), signing_secret_, req.header("X-Slack-Request-Timestamp"),
                                       req.header("X-Slack-Signature"), req.body, now_());
  if (verdict != slack::verify_result::ok) {
    logs::log_scope context{{"platform", "slack"}};
    spdlog::warn("slack: rejected a request: {}", slack::to_string(verdict));
    answer(net::text_response(401, "invalid signature"), "unverified");
    return;
  }
  auto parsed = slack::parse_inbound(content_type, req.body);
  if (auto* failure = std::get_if<slack::parse_failure>(&parsed)) {
    auto res = net::text_response(failure->status, failure->reason);
    res.headers.emplace_back("x-slack-no-retry", "1");
    answer(std::move(res), "malformed");
    return;
  }
  slack::inbound in = std::move(std::get<slack::inbound>(parsed));
  std::string kind = slack::to_string(in.kind);
  if (in.kind == slack::inbound_kind::url_verification) {
    net::http_response challenge;
    challenge.content_type = "application/json";
    challenge.body = json::serialize(json::object{{"challenge", in.challenge}});
    answer(std::move(challenge), kind);
    return;
  }
  decision d = decide(in, kind);
  if (!d.store) {
    answer(net::text_response(200, ""), kind);
    return;
  }
  // No id to deduplicate by: the signature is unique per body and timestamp.
  if (d.dedupe_id.empty()) d.dedupe_id = "sig:" + std::string(req.header("X-Slack-Signature"));
  pending p;
  p.event = storage::inbox_event{"slack", std::move(d.dedupe_id), std::string(content_type), std::move(req.body), now_()};
  p.parsed = std::move(in);
  p.ack_payload = std::move(d.ack_payload);
  p.kind = kind;
  p.received = received;
  p.acknowledge = [this, reply = std::move(reply), received, kind](bool stored, std::string payload) mutable {
    observe_ack(received, "/slack/events");
    net::http_response res = net::text_response(stored ? 200 : 500, stored ? "" : "storage unavailable");
    if (stored && !payload.empty()) {
      res.content_type = "application/json";
      res.body = std::move(payload);
    }
    res.metric_kind = kind;
    reply(std::move(res));
  };
  enqueue(std::move(p));
}

void slack_ingress::handle_envelope(slack::socket_frame frame, socket_ack ack) {
  auto received = std::chrono::steady_clock::now();
  auto parsed = slack::parse_inbound("application/json", frame.payload);
  if (auto* failure = std::get_if<slack::parse_failure>(&parsed)) {
    // Acknowledged all the same: a payload we cannot read would come back forever.
    logs::log_scope context{{"platform", "slack"}};
    spdlog::warn("slack: a Socket Mode {} envelope could not be read: {}", frame.type, failure->reason);
    observe_ack(received, "socket_mode");
    count_envelope("malformed", "ack");
    ack("");
    return;
  }
  slack::inbound in = std::move(std::get<slack::inbound>(parsed));
  std::string kind = slack::to_string(in.kind);
  decision d = decide(in, kind);
  if (!d.store) {
    observe_ack(received, "socket_mode");
    count_envelope(kind, "ack");
    ack("");
    return;
  }
  // Redeliveries: events by event_id, the rest by envelope id.
  if (in.kind != slack::inbound_kind::event_callback || d.dedupe_id.empty()) d.dedupe_id = "env:" + frame.envelope_id;
  pending p;
  p.event = storage::inbox_event{"slack", std::move(d.dedupe_id), "application/json", std::move(frame.payload), now_()};
  p.parsed = std::move(in);
  p.ack_payload = frame.accepts_response_payload ? std::move(d.ack_payload) : std::string();
  p.kind = kind;
  p.received = received;
  p.acknowledge = [this, ack = std::move(ack), received, kind](bool stored, std::string payload) {
    count_envelope(kind, stored ? "ack" : "unacknowledged");
    if (!stored) return;  // unacknowledged: Slack redelivers it
    observe_ack(received, "socket_mode");
    ack(payload);
  };
  enqueue(std::move(p));
}

void slack_ingress::enqueue(pending p) {
  pending_.push_back(std::move(p));
  if (!flush_scheduled_) {
    flush_scheduled_ = true;
    flush_seen_ = 0;
    flush_turns_ = 0;
    flush_quiet_ = 0;
    loop_.post([this] { flush_when_quiet(); });
  }
}

// Group commit, waiting for a quiet moment. Socket Mode frames read back to back from one
// socket each complete in a loop turn of their own (Beast reads at most 1.5 KB at a time),
// so "what this loop turn read" is one envelope per commit, and each commit costs its WAL
// writes and locks again. So the commit waits while payloads keep arriving: it happens once
// `quiet_turns` turns in a row brought nothing new, or after `max_turns` turns, or at
// `max_batch` payloads. A lone payload waits a few idle turns (microseconds).
void slack_ingress::flush_when_quiet() {
  constexpr int max_turns = 16;
  constexpr int quiet_turns = 3;
  constexpr std::size_t max_batch = 256;
  if (pending_.size() > flush_seen_) flush_quiet_ = 0;
  else ++flush_quiet_;
  flush_seen_ = pending_.size();
  if (flush_quiet_ < quiet_turns && ++flush_turns_ < max_turns && pending_.size() < max_batch) {
    loop_.post([this] { flush_when_quiet(); });
    return;
  }
  flush();
}

// Every payload gathered by flush_when_quiet is stored in one transaction, then all of them
// are acknowledged.
void slack_ingress::flush() {
  flush_scheduled_ = false;
  std::vector<pending> batch;
  batch.swap(pending_);
  std::vector<char> fresh(batch.size(), 0);
  bool stored = true;
  try {
    storage::batch_guard g(store_);
    for (std::size_t i = 0; i < batch.size(); ++i) fresh[i] = store_.inbox_add(batch[i].event) ? 1 : 0;
    g.commit();
  } catch (const std::exception& e) {
    stored = false;
    logs::log_scope context{{"platform", "slack"}};
    spdlog::error("slack: cannot store {} inbound events (not acknowledged, Slack retries): {}", batch.size(), e.what());
  }
  for (std::size_t i = 0; i < batch.size(); ++i) {
    auto& p = batch[i];
    if (!stored) {
      p.acknowledge(false, {});
      continue;
    }
    if (!fresh[i]) metrics_.count("mlpath_inbound_duplicates_total", "platform=\"slack\"");
    p.acknowledge(true, std::move(p.ack_payload));
    if (spdlog::should_log(spdlog::level::debug)) {
      auto ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - p.received).count();
      std::string latency = std::to_string(static_cast<long long>(ms + 0.5));
      logs::log_scope context{
          {"platform", "slack"}, {"team", p.parsed.team_id}, {"event_id", p.event.event_id}, {"latency_ms", latency}};
      spdlog::debug("slack: acknowledged {}{}", p.kind, fresh[i] ? "" : " (a duplicate, dropped)");
    }
    if (fresh[i]) processor_.accept(std::move(p.event), std::move(p.parsed));
  }
}

}  // namespace mlpath

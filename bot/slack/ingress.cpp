#include "bot/slack/ingress.hpp"

#include <spdlog/spdlog.h>

#include <boost/json.hpp>

#include "adapters/slack/signature.hpp"
#include "bot/net/crypto.hpp"
#include "bot/observe/log.hpp"

namespace mlpath {

namespace json = boost::json;

slack_ingress::slack_ingress(net::event_loop& loop, storage::store& store, slack_workspaces& workspaces,
                             slack_processor& processor, metrics& m, std::string signing_secret, wall_clock_fn now)
    : loop_(loop),
      store_(store),
      workspaces_(workspaces),
      processor_(processor),
      metrics_(m),
      signing_secret_(std::move(signing_secret)),
      now_(std::move(now)) {
}

void slack_ingress::answer(net::http_reply& reply, net::http_response res, std::chrono::steady_clock::time_point received,
                           std::string_view kind) {
  auto elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - received).count();
  metrics_.observe("mlpath_ack_latency_seconds", "route=\"/slack/events\"", elapsed);
  res.metric_kind = kind;
  reply(std::move(res));
}

void slack_ingress::handle_events(net::http_request&& req, net::http_reply reply) {
  auto received = req.received;
  std::string_view content_type = req.header("Content-Type");
  // Slack's certificate check carries no event and changes nothing: answered first.
  if (slack::is_ssl_check(content_type, req.body)) {
    answer(reply, net::text_response(200, ""), received, "ssl_check");
    return;
  }
  auto verdict = slack::verify_request(net::crypto_primitives(), signing_secret_, req.header("X-Slack-Request-Timestamp"),
                                       req.header("X-Slack-Signature"), req.body, now_());
  if (verdict != slack::verify_result::ok) {
    logs::log_scope context{{"platform", "slack"}};
    spdlog::warn("slack: rejected a request: {}", slack::to_string(verdict));
    answer(reply, net::text_response(401, "invalid signature"), received, "unverified");
    return;
  }
  auto parsed = slack::parse_inbound(content_type, req.body);
  if (auto* failure = std::get_if<slack::parse_failure>(&parsed)) {
    auto res = net::text_response(failure->status, failure->reason);
    res.headers.emplace_back("x-slack-no-retry", "1");
    answer(reply, std::move(res), received, "malformed");
    return;
  }
  slack::inbound in = std::move(std::get<slack::inbound>(parsed));
  std::string kind = slack::to_string(in.kind);
  net::http_response ack = net::text_response(200, "");
  std::string dedupe_id;
  switch (in.kind) {
    case slack::inbound_kind::url_verification: {
      net::http_response challenge;
      challenge.content_type = "application/json";
      challenge.body = json::serialize(json::object{{"challenge", in.challenge}});
      answer(reply, std::move(challenge), received, kind);
      return;
    }
    case slack::inbound_kind::ssl_check:
      answer(reply, std::move(ack), received, kind);
      return;
    case slack::inbound_kind::app_rate_limited:
      spdlog::warn("slack: Slack reports it is rate-limiting events for team {}", in.team_id);
      answer(reply, std::move(ack), received, kind);
      return;
    case slack::inbound_kind::unsupported:
    case slack::inbound_kind::view_closed:
      answer(reply, std::move(ack), received, kind);
      return;
    case slack::inbound_kind::event_callback:
      dedupe_id = in.event_id;
      break;
    case slack::inbound_kind::slash_command: {
      dedupe_id = "cmd:" + in.trigger_id;
      auto m = slack::map_inbound(in, workspaces_.identity(in.team_id));
      ack.content_type = "application/json";
      ack.body = json::serialize(json::object{{"response_type", "ephemeral"},
                                              {"text", m.ack_text.empty() ? "On it." : m.ack_text}});
      break;
    }
    case slack::inbound_kind::block_actions:
    case slack::inbound_kind::view_submission:
      dedupe_id = "act:" + in.trigger_id;
      break;
  }
  if (dedupe_id.empty() || dedupe_id == "cmd:" || dedupe_id == "act:") {
    // No id to deduplicate by: fall back to the signature, unique per body and timestamp.
    dedupe_id = "sig:" + std::string(req.header("X-Slack-Signature"));
  }
  ack.metric_kind = kind;
  storage::inbox_event ev{"slack", std::move(dedupe_id), std::string(content_type), std::move(req.body), now_()};
  acks_.push_back({std::move(ev), std::move(in), std::move(ack), std::move(reply), received});
  if (!flush_scheduled_) {
    flush_scheduled_ = true;
    loop_.post([this] { flush_acks(); });
  }
}

// Group commit: every request read in this loop turn is stored in one transaction, then
// all of them are acknowledged.
void slack_ingress::flush_acks() {
  flush_scheduled_ = false;
  std::vector<pending_ack> batch;
  batch.swap(acks_);
  std::vector<char> fresh(batch.size(), 0);
  bool stored = true;
  try {
    storage::batch_guard g(store_);
    for (std::size_t i = 0; i < batch.size(); ++i) fresh[i] = store_.inbox_add(batch[i].event) ? 1 : 0;
    g.commit();
  } catch (const std::exception& e) {
    stored = false;
    logs::log_scope context{{"platform", "slack"}};
    spdlog::error("slack: cannot store {} inbound events (answered 500, Slack retries): {}", batch.size(), e.what());
  }
  for (std::size_t i = 0; i < batch.size(); ++i) {
    auto& p = batch[i];
    if (!stored) {
      // Not stored, so not acknowledged: Slack will retry.
      answer(p.reply, net::text_response(500, "storage unavailable"), p.received, p.response.metric_kind);
      continue;
    }
    if (!fresh[i]) metrics_.count("mlpath_inbound_duplicates_total", "platform=\"slack\"");
    std::string kind = p.response.metric_kind;
    answer(p.reply, std::move(p.response), p.received, kind);
    if (spdlog::should_log(spdlog::level::debug)) {
      auto ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - p.received).count();
      std::string latency = std::to_string(static_cast<long long>(ms + 0.5));
      logs::log_scope context{
          {"platform", "slack"}, {"team", p.parsed.team_id}, {"event_id", p.event.event_id}, {"latency_ms", latency}};
      spdlog::debug("slack: acknowledged {}{}", kind, fresh[i] ? "" : " (a duplicate, dropped)");
    }
    if (fresh[i]) processor_.accept(std::move(p.event), std::move(p.parsed));
  }
}

}  // namespace mlpath

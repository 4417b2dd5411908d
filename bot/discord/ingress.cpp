#include "bot/discord/ingress.hpp"

#include <spdlog/spdlog.h>

#include <boost/json.hpp>

#include "adapters/discord/outbound.hpp"
#include "bot/net/crypto.hpp"
#include "bot/observe/log.hpp"

namespace mlpath {

namespace {

const char* kind_of(discord::interaction_type t) {
  switch (t) {
    case discord::interaction_type::ping: return "ping";
    case discord::interaction_type::application_command: return "command";
    case discord::interaction_type::message_component: return "component";
    case discord::interaction_type::autocomplete: return "autocomplete";
    case discord::interaction_type::modal_submit: return "modal_submit";
  }
  return "other";
}

}  // namespace

discord_ingress::discord_ingress(net::event_loop& loop, storage::store& store, discord_processor& processor,
                                 discord_sender& sender, outbox_dispatcher& outbox, metrics& m, std::string public_key)
    : loop_(loop),
      store_(store),
      processor_(processor),
      sender_(sender),
      outbox_(outbox),
      metrics_(m),
      public_key_(std::move(public_key)) {}

void discord_ingress::handle_interactions(net::http_request&& req, net::http_reply reply) {
  auto verdict = discord::verify_interaction(net::crypto_primitives(), public_key_, req.header("X-Signature-Ed25519"),
                                             req.header("X-Signature-Timestamp"), req.body);
  if (verdict != discord::verify_result::ok) {
    // Discord deliberately sends bad signatures and drops endpoints that accept them.
    auto res = net::text_response(401, "invalid request signature");
    res.metric_kind = "unverified";
    reply(std::move(res));
    return;
  }
  auto parsed = discord::parse_interaction(req.body);
  if (auto* failure = std::get_if<discord::parse_failure>(&parsed)) {
    // 204: a signed webhook event (not an interaction), acknowledged with an empty body.
    net::http_response res = net::text_response(failure->status, failure->status == 204 ? "" : failure->reason);
    if (failure->status == 204) res.content_type.clear();
    res.metric_kind = failure->status == 204 ? "webhook_event" : "malformed";
    reply(std::move(res));
    return;
  }
  auto& in = std::get<discord::interaction>(parsed);
  if (in.type == discord::interaction_type::ping) {
    net::http_response res;
    res.content_type = "application/json";
    res.body = R"({"type":1})";
    res.metric_kind = "ping";
    reply(std::move(res));
    return;
  }
  if (interactions_.size() + retry_interactions_.size() >= max_waiting) {
    auto res = net::text_response(500, "busy");
    res.metric_kind = kind_of(in.type);
    reply(std::move(res));
    return;
  }
  interactions_.push_back({{std::move(in), false, false}, std::move(reply), req.received});
  schedule_flush();
}

void discord_ingress::on_dispatch(const std::string& event, std::string_view d_json) {
  if (event == "MESSAGE_CREATE") {
    discord::dm_message m;
    if (!discord::parse_message_create(d_json, m, processor_.bot_user_id())) return;
    // Most DMs on the gateway are our own replies echoing back, and guild messages or
    // bots never drive a dialog: those are dropped here, before anything is stored.
    if (discord::map_dm(m, processor_.bot_user_id()).action != discord::mapped_action::dialog) return;
    messages_.push_back(std::move(m));
  } else if (event == "INTERACTION_CREATE" && public_key_.empty()) {
    // Without an HTTP endpoint Discord delivers interactions here; they are answered via REST.
    auto parsed = discord::parse_interaction(d_json);
    if (auto* in = std::get_if<discord::interaction>(&parsed))
      interactions_.push_back({{std::move(*in), true, false}, nullptr, std::chrono::steady_clock::now()});
  } else {
    return;
  }
  schedule_flush();
}

void discord_ingress::schedule_flush() {
  if (flush_scheduled_) return;
  flush_scheduled_ = true;
  loop_.post([this] { flush(); });
}

void discord_ingress::answer_deferred(waiting& w) {
  const auto& in = w.work.in;
  auto m = discord::map_interaction(in);
  net::http_response res;
  res.content_type = "application/json";
  res.body = boost::json::serialize(discord::deferred_callback(in, m));
  res.metric_kind = kind_of(in.type);
  auto ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - w.received).count();
  metrics_.observe("mlpath_ack_latency_seconds", "route=\"/discord/interactions\"", ms / 1000);
  metrics_.count("mlpath_discord_deferred_total");
  std::string latency = std::to_string(static_cast<long long>(ms + 0.5));
  logs::log_scope context{
      {"platform", "discord"}, {"guild", in.guild_id}, {"interaction_id", in.id}, {"latency_ms", latency}};
  spdlog::info("discord: the database is busy; answered with a deferred response, the answer follows as an edit");
  w.reply(std::move(res));
  w.reply = nullptr;
  w.work.deferred = true;
}

void discord_ingress::flush() {
  flush_scheduled_ = false;
  retry_scheduled_ = false;
  bool retrying = !retry_interactions_.empty() || !retry_messages_.empty();
  std::vector<waiting> batch = std::move(retry_interactions_);
  retry_interactions_.clear();
  for (auto& w : interactions_) batch.push_back(std::move(w));
  interactions_.clear();
  std::vector<discord::dm_message> dms = std::move(retry_messages_);
  retry_messages_.clear();
  for (auto& m : messages_) dms.push_back(std::move(m));
  messages_.clear();
  if (batch.empty() && dms.empty()) return;

  // Waiting for the lock may not eat the time an HTTP answer has left.
  std::optional<std::chrono::steady_clock::time_point> oldest;
  for (const auto& w : batch)
    if (w.reply && (!oldest || w.received < *oldest)) oldest = w.received;
  std::optional<std::chrono::milliseconds> before;
  if (oldest) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(*oldest + answer_within -
                                                                      std::chrono::steady_clock::now());
    before = store_.set_lock_wait(std::max(left, std::chrono::milliseconds(50)));
  } else if (retrying) {
    // A retry while the database is busy must not hold the loop (and the HTTP answers
    // waiting behind it) for a whole lock wait.
    before = store_.set_lock_wait(retry_lock_wait);
  }
  std::vector<discord_processor::incoming> work;
  work.reserve(batch.size());
  for (auto& w : batch) work.push_back(w.work);
  auto outcome = processor_.process(work, dms);
  if (before) store_.set_lock_wait(*before);

  if (!outcome.committed) {
    // Nothing was stored: answer what must be answered now, keep everything, try again.
    for (auto& w : batch)
      if (w.reply) answer_deferred(w);
    retry_interactions_ = std::move(batch);
    retry_messages_ = std::move(dms);
    if (!retry_scheduled_) {
      retry_scheduled_ = true;
      loop_.after(retry_every, [this] {
        if (retry_scheduled_) flush();
      });
    }
    return;
  }
  for (std::size_t i = 0; i < batch.size(); ++i) {
    if (!batch[i].reply) continue;
    const auto& in = work[i].in;
    auto ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - batch[i].received).count();
    metrics_.observe("mlpath_ack_latency_seconds", "route=\"/discord/interactions\"", ms / 1000);
    if (spdlog::should_log(spdlog::level::debug)) {
      std::string latency = std::to_string(static_cast<long long>(ms + 0.5));
      logs::log_scope context{
          {"platform", "discord"}, {"guild", in.guild_id}, {"interaction_id", in.id}, {"latency_ms", latency}};
      spdlog::debug("discord: answered {}", kind_of(in.type));
    }
    net::http_response res;
    res.content_type = "application/json";
    res.body = std::move(outcome.answers[i].callback);
    res.metric_kind = kind_of(in.type);
    if (outcome.answers[i].followups) {
      const std::string& token = in.token;
      sender_.hold(token);
      res.on_written = [this, token] {
        sender_.release(token);
        outbox_.kick();
      };
    }
    batch[i].reply(std::move(res));
  }
  outbox_.kick();
}

}  // namespace mlpath

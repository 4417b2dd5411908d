#include "bot/discord/ingress.hpp"

#include "bot/net/crypto.hpp"

namespace mlpath {

discord_ingress::discord_ingress(net::event_loop& loop, discord_processor& processor, discord_sender& sender,
                                 outbox_dispatcher& outbox, metrics& m, std::string public_key)
    : loop_(loop), processor_(processor), sender_(sender), outbox_(outbox), metrics_(m), public_key_(std::move(public_key)) {}

void discord_ingress::handle_interactions(net::http_request&& req, net::http_reply reply) {
  auto verdict = discord::verify_interaction(net::crypto_primitives(), public_key_, req.header("X-Signature-Ed25519"),
                                             req.header("X-Signature-Timestamp"), req.body);
  if (verdict != discord::verify_result::ok) {
    // Discord deliberately sends bad signatures and drops endpoints that accept them.
    metrics_.count("mlpath_discord_interactions_total", "outcome=\"unauthorized\"");
    reply(net::text_response(401, "invalid request signature"));
    return;
  }
  auto parsed = discord::parse_interaction(req.body);
  if (auto* failure = std::get_if<discord::parse_failure>(&parsed)) {
    // 204: a signed webhook event (not an interaction), acknowledged with an empty body.
    metrics_.count("mlpath_discord_interactions_total",
                   failure->status == 204 ? "outcome=\"webhook_event\"" : "outcome=\"rejected\"");
    net::http_response res = net::text_response(failure->status, failure->status == 204 ? "" : failure->reason);
    if (failure->status == 204) res.content_type.clear();
    reply(std::move(res));
    return;
  }
  auto& in = std::get<discord::interaction>(parsed);
  if (in.type == discord::interaction_type::ping) {
    metrics_.count("mlpath_discord_interactions_total", "outcome=\"ping\"");
    net::http_response res;
    res.content_type = "application/json";
    res.body = R"({"type":1})";
    reply(std::move(res));
    return;
  }
  interactions_.push_back({{std::move(in), false}, std::move(reply), req.received});
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
      interactions_.push_back({{std::move(*in), true}, nullptr, std::chrono::steady_clock::now()});
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

void discord_ingress::flush() {
  flush_scheduled_ = false;
  std::vector<waiting> batch;
  batch.swap(interactions_);
  std::vector<discord::dm_message> dms;
  dms.swap(messages_);
  std::vector<discord_processor::incoming> work;
  work.reserve(batch.size());
  for (auto& w : batch) work.push_back(std::move(w.work));
  auto outcome = processor_.process(work, dms);
  for (std::size_t i = 0; i < batch.size(); ++i) {
    if (!batch[i].reply) continue;
    if (!outcome.committed) {
      batch[i].reply(net::text_response(500, "storage unavailable"));
      continue;
    }
    metrics_.count("mlpath_discord_interactions_total", "outcome=\"answered\"");
    metrics_.observe("mlpath_ack_seconds", "route=\"/discord/interactions\"",
                     std::chrono::duration<double>(std::chrono::steady_clock::now() - batch[i].received).count());
    net::http_response res;
    res.content_type = "application/json";
    res.body = std::move(outcome.answers[i].callback);
    if (outcome.answers[i].followups) {
      const std::string& token = work[i].in.token;
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

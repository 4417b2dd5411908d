#include "bot/discord/sender.hpp"

#include <boost/json.hpp>
#include <cmath>

#include "adapters/common/json_fields.hpp"
#include "adapters/common/overloaded.hpp"

namespace mlpath {

namespace json = boost::json;

namespace {

// The token expired (10062), was already used (40060) or the webhook is gone (10015):
// the person has moved on; nothing to retry.
bool quiet_interaction_error(int code) { return code == 10062 || code == 40060 || code == 10015; }

send_result result_of(const discord_result& r) {
  if (r.ok()) return send_result::ok();
  std::string why = r.status == 0 ? r.transport_error
                                  : "HTTP " + std::to_string(r.status) +
                                        (r.error.code ? " code " + std::to_string(r.error.code) : std::string()) +
                                        (r.error.message.empty() ? std::string() : ": " + r.error.message);
  if (r.transient())
    return send_result::again(why, std::chrono::seconds(static_cast<long>(std::ceil(r.error.retry_after.value_or(0)))))
        .because(r.retry_reason());
  return send_result::give_up(why);
}

send_result interaction_result(const discord_result& r) {
  if (!r.ok() && quiet_interaction_error(r.error.code))
    return send_result::give_up("interaction expired (" + std::to_string(r.error.code) + ")");
  return result_of(r);
}

}  // namespace

discord_sender::discord_sender(net::event_loop& loop, storage::store& store, discord_rest* rest,
                               std::string application_id)
    : loop_(loop), store_(store), rest_(rest), application_id_(std::move(application_id)) {}

void discord_sender::hold(const std::string& token) {
  held_.try_emplace(token);
  loop_.after(hold_timeout, [this, token] { release(token); });
}

void discord_sender::release(const std::string& token) {
  auto it = held_.find(token);
  if (it == held_.end()) return;
  auto parked = std::move(it->second);
  held_.erase(it);
  for (auto& fn : parked) fn();
}

void discord_sender::send(const storage::outbox_message& record, const discord::outbound& what, send_done done) {
  if (!rest_) {
    done(send_result::give_up("DISCORD_BOT_TOKEN is not set"));
    return;
  }
  std::visit(adapters::overloaded{
                 [&](const discord::followup& m) {
                   auto held = held_.find(m.token);
                   if (held != held_.end()) {
                     held->second.push_back([this, m, done] { send_followup(m, done); });
                     return;
                   }
                   send_followup(m, std::move(done));
                 },
                 [&](const discord::edit_original& m) {
                   rest_->call("PATCH", "/webhooks/" + application_id_ + "/" + m.token + "/messages/@original",
                               json::serialize(m.payload),
                               [done](const discord_result& r) { done(interaction_result(r)); });
                 },
                 [&](const discord::interaction_callback& m) {
                   rest_->call("POST", "/interactions/" + m.interaction_id + "/" + m.token + "/callback",
                               json::serialize(m.payload),
                               [done](const discord_result& r) { done(interaction_result(r)); });
                 },
                 [&](const discord::create_message& m) {
                   if (!m.channel.empty()) {
                     create_message(record, m, m.channel, std::move(done));
                     return;
                   }
                   if (auto dm = record.user_id ? store_.dm_channel(record.user_id) : std::nullopt) {
                     create_message(record, m, *dm, std::move(done));
                     return;
                   }
                   auto who = record.user_id ? store_.user_by_id(record.user_id) : std::nullopt;
                   if (!who) {
                     done(send_result::give_up("no channel and no person to message"));
                     return;
                   }
                   rest_->call("POST", "/users/@me/channels",
                               json::serialize(json::object{{"recipient_id", who->user}}),
                               [this, record, m, done](const discord_result& r) {
                                 if (!r.ok()) {
                                   done(result_of(r));
                                   return;
                                 }
                                 std::error_code ec;
                                 json::value v = json::parse(r.body, ec);
                                 std::string channel =
                                     !ec && v.is_object() ? adapters::string_field(v.as_object(), "id") : std::string();
                                 if (channel.empty()) {
                                   done(send_result::again("unexpected DM channel response", std::chrono::seconds(5)));
                                   return;
                                 }
                                 store_.set_dm_channel(record.user_id, channel);
                                 create_message(record, m, channel, done);
                               });
                 },
             },
             what);
}

void discord_sender::send_followup(const discord::followup& m, send_done done) {
  rest_->call("POST", "/webhooks/" + application_id_ + "/" + m.token, json::serialize(m.payload),
              [done](const discord_result& r) { done(interaction_result(r)); });
}

void discord_sender::create_message(const storage::outbox_message& record, const discord::create_message& m,
                                    const std::string& channel, send_done done) {
  // The nonce makes a retried send idempotent: Discord drops a second message with it.
  json::object body = m.payload;
  body["nonce"] = "mlp" + std::to_string(record.id);
  body["enforce_nonce"] = true;
  rest_->call("POST", "/channels/" + channel + "/messages", json::serialize(body),
              [this, user_id = record.user_id, done](const discord_result& r) {
                if (!r.ok() && (r.error.code == 50007 || r.error.code == 50278)) {
                  // The person cannot be messaged (DMs closed, no shared server): stop trying.
                  if (user_id) store_.pause_checkins(user_id, "cannot be messaged (" + std::to_string(r.error.code) + ")");
                  done(send_result::give_up("cannot message this user"));
                  return;
                }
                done(result_of(r));
              });
}

}  // namespace mlpath

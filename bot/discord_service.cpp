#include "bot/discord_service.hpp"

#include <spdlog/spdlog.h>

#include <boost/json.hpp>

#include "adapters/discord/components.hpp"
#include "bot/discord_gateway.hpp"

namespace mlpath {

namespace json = boost::json;

namespace {

enum callback_type { pong = 1, channel_message = 4, update_message = 7, modal = 9 };

std::string callback(int type, json::object data) {
  return json::serialize(json::object{{"type", type}, {"data", std::move(data)}});
}

std::string private_note(const std::string& text) {
  return callback(channel_message, json::object{{"content", text}, {"flags", discord::flag_ephemeral}});
}

std::size_t text_size(const json::value& v) {
  // Discord's 6000-character budget counts the text of every embed in a message.
  if (v.is_string()) return v.as_string().size();
  std::size_t n = 0;
  if (v.is_object())
    for (const auto& [k, x] : v.as_object())
      if (k != "url" && k != "color" && k != "type") n += text_size(x);
  if (v.is_array())
    for (const auto& x : v.as_array()) n += text_size(x);
  return n;
}

// Fewer, fuller messages: consecutive payloads are combined while Discord's limits
// allow (content ≤2000, ≤10 embeds, ≤6000 embed characters); only the last part may
// carry components, so a message with buttons ends a merge.
std::vector<json::object> merge(std::vector<json::object> parts) {
  std::vector<json::object> out;
  for (auto& p : parts) {
    if (!out.empty()) {
      json::object& a = out.back();
      bool a_has_components = a.contains("components") && !a.at("components").as_array().empty();
      std::string ca = a.contains("content") ? std::string(a.at("content").as_string()) : "";
      std::string cb = p.contains("content") ? std::string(p.at("content").as_string()) : "";
      json::array ea = a.contains("embeds") ? a.at("embeds").as_array() : json::array{};
      json::array eb = p.contains("embeds") ? p.at("embeds").as_array() : json::array{};
      std::string content = ca.empty() ? cb : cb.empty() ? ca : ca + "\n\n" + cb;
      json::array embeds = ea;
      for (auto& e : eb) embeds.push_back(e);
      bool same_flags = (a.contains("flags") ? a.at("flags").to_number<std::int64_t>() : 0) ==
                        (p.contains("flags") ? p.at("flags").to_number<std::int64_t>() : 0);
      if (!a_has_components && same_flags && content.size() <= 2000 && embeds.size() <= 10 && text_size(embeds) <= 6000) {
        if (!content.empty()) a["content"] = content;
        if (!embeds.empty()) a["embeds"] = embeds;
        if (p.contains("components")) a["components"] = p.at("components");
        continue;
      }
    }
    out.push_back(std::move(p));
  }
  return out;
}

bool quiet_interaction_error(int code) {
  // The token expired (10062), was already used (40060) or the webhook is gone (10015):
  // the person has moved on; nothing to retry.
  return code == 10062 || code == 40060 || code == 10015;
}

send_result result_of(const discord_result& r) {
  if (r.ok()) return {send_result::status::sent, std::chrono::seconds(0), {}};
  std::string why = r.status == 0 ? r.transport_error
                                  : "HTTP " + std::to_string(r.status) +
                                        (r.error.code ? " code " + std::to_string(r.error.code) : std::string()) +
                                        (r.error.message.empty() ? std::string() : ": " + r.error.message);
  if (r.transient()) {
    auto wait = std::chrono::seconds(static_cast<long>(std::ceil(r.error.retry_after.value_or(0))));
    return {send_result::status::retry, wait, why};
  }
  return {send_result::status::failed, std::chrono::seconds(0), why};
}

}  // namespace

discord_service::discord_service(net::event_loop& loop, storage::store& store, conversation_service& conversations,
                                 discord_rest* rest, outbox_dispatcher& outbox, metrics& m, settings s, wall_clock_fn now)
    : loop_(loop),
      store_(store),
      conversations_(conversations),
      rest_(rest),
      outbox_(outbox),
      metrics_(m),
      settings_(std::move(s)),
      now_(std::move(now)) {
  metrics_.describe("mlpath_discord_interactions_total", "counter", "Discord interactions by outcome");
}

discord_service::~discord_service() = default;

void discord_service::start() {
  if (rest_ && !settings_.bot_token.empty()) {
    gateway_ = std::make_unique<discord_gateway>(
        loop_, *rest_, discord_gateway::settings{settings_.bot_token, settings_.shards, settings_.ca_file},
        [this](const std::string& event, std::string_view d) { on_dispatch(event, d); },
        [this](const std::string& user_id) { set_bot_user_id(user_id); });
    gateway_->start();
  }
}

bool discord_service::ready() const { return !gateway_ || gateway_->ready(); }

void discord_service::handle_interactions(net::http_request&& req, net::http_reply reply) {
  auto verdict = discord::verify_interaction(settings_.public_key, req.header("X-Signature-Ed25519"),
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
    reply(failure->status == 204 ? net::http_response{204, "", "", {}} : net::text_response(failure->status, failure->reason));
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
  interactions_.push_back({std::move(in), std::move(reply), req.received});
  schedule_flush();
}

void discord_service::on_dispatch(const std::string& event, std::string_view d_json) {
  if (event == "MESSAGE_CREATE") {
    discord::dm_message m;
    if (!discord::parse_message_create(d_json, m, bot_user_id_)) return;
    // Most DMs on the gateway are our own replies echoing back, and guild messages or
    // bots never drive a dialog: those are dropped here, before anything is stored.
    if (discord::map_dm(m, bot_user_id_).action != discord::mapped_action::dialog) return;
    messages_.push_back({std::move(m)});
  } else if (event == "INTERACTION_CREATE" && settings_.public_key.empty()) {
    // Without an HTTP endpoint Discord delivers interactions here; they are answered via REST.
    auto parsed = discord::parse_interaction(d_json);
    if (auto* in = std::get_if<discord::interaction>(&parsed))
      interactions_.push_back({std::move(*in), nullptr, std::chrono::steady_clock::now()});
  } else {
    return;
  }
  schedule_flush();
}

void discord_service::schedule_flush() {
  if (flush_scheduled_) return;
  flush_scheduled_ = true;
  loop_.post([this] { flush(); });
}

void discord_service::flush() {
  flush_scheduled_ = false;
  std::vector<pending_interaction> batch;
  batch.swap(interactions_);
  std::vector<pending_message> dms;
  dms.swap(messages_);
  std::vector<std::string> answers(batch.size());
  bool stored = true;
  try {
    storage::batch_guard g(store_);
    auto now = now_();
    for (std::size_t i = 0; i < batch.size(); ++i) {
      const auto& in = batch[i].in;
      bool via_gateway = !batch[i].reply;
      if (!store_.inbox_add({"discord", in.id, "application/json", {}, now})) {
        metrics_.count("mlpath_discord_interactions_total", "outcome=\"duplicate\"");
        answers[i] = private_note("Already handled.");
        continue;
      }
      try {
        answers[i] = process_interaction(in, via_gateway, nullptr);
      } catch (const std::exception& e) {
        spdlog::error("discord: interaction {} failed: {}", in.id, e.what());
        answers[i] = private_note("Sorry, something went wrong on my side. Please try again.");
        store_.inbox_done("discord", in.id, now);
      }
    }
    for (const auto& p : dms) {
      if (!store_.inbox_add({"discord", "msg:" + p.msg.id, "application/json", {}, now})) continue;
      try {
        process_dm(p.msg);
      } catch (const std::exception& e) {
        spdlog::error("discord: DM {} failed: {}", p.msg.id, e.what());
        store_.inbox_done("discord", "msg:" + p.msg.id, now);
      }
    }
    g.commit();
  } catch (const std::exception& e) {
    stored = false;
    attributed_.clear();  // the rolled-back batch may have held new attributions
    spdlog::error("discord: cannot store {} interactions: {}", batch.size(), e.what());
  }
  for (std::size_t i = 0; i < batch.size(); ++i) {
    if (!batch[i].reply) continue;
    if (!stored) {
      batch[i].reply(net::text_response(500, "storage unavailable"));
      continue;
    }
    metrics_.count("mlpath_discord_interactions_total", "outcome=\"answered\"");
    metrics_.observe("mlpath_ack_seconds", "route=\"/discord/interactions\"",
                     std::chrono::duration<double>(std::chrono::steady_clock::now() - batch[i].received).count());
    net::http_response res;
    res.content_type = "application/json";
    res.body = std::move(answers[i]);
    batch[i].reply(std::move(res));
  }
  outbox_.kick();
}

void discord_service::attribute(const discord::mapped& m, std::int64_t user_id) {
  if (m.guild_id.empty() || !user_id) return;
  if (!attributed_.insert({m.guild_id, user_id}).second) return;
  store_.note_community_member("discord", m.guild_id, user_id, now_());
}

std::string discord_service::stats_callback(const std::string& guild_id) {
  auto counts = store_.community_stats("discord", guild_id);
  discord::community_stats s;
  s.started = counts.started;
  s.finished = counts.finished;
  s.active_checkins = counts.active_checkins;
  const auto& c = conversations_.engine().material();
  for (const auto& [role, n] : counts.primary_roles) {
    const dialogs::role* r = c.find_role(role);
    s.primary_roles.emplace_back(r ? r->name : role, n);
  }
  return callback(channel_message, discord::render_stats(s, true));
}

std::string discord_service::process_interaction(const discord::interaction& in, bool via_gateway,
                                                 storage::turn_record*) {
  discord::mapped m = discord::map_interaction(in);
  auto now = now_();
  std::string answer;
  auto finish_plain = [&](std::string cb) {
    store_.inbox_done("discord", in.id, now);
    if (via_gateway) {
      storage::outbox_message o;
      o.platform = "discord";
      o.kind = "discord.callback";
      o.ref = in.id + "/" + in.token;
      o.body = std::move(cb);
      o.next_attempt_at = now;
      store_.outbox_add(o);
      return std::string();
    }
    return cb;
  };
  switch (m.action) {
    case discord::mapped_action::pong:
      return R"({"type":1})";
    case discord::mapped_action::ignore:
      return finish_plain(private_note("I can't do anything with that. Try /mlpath help."));
    case discord::mapped_action::forbidden:
      return finish_plain(private_note(m.guild_id.empty()
                                           ? "Community stats only exist inside a server."
                                           : "Community stats are for people with the Manage Server permission."));
    case discord::mapped_action::share: {
      std::int64_t id = store_.ensure_user(m.user, now);
      attribute(m, id);
      return finish_plain(callback(channel_message, discord::render_share_card()));
    }
    case discord::mapped_action::stats:
      return finish_plain(stats_callback(m.guild_id));
    case discord::mapped_action::open_modal:
    case discord::mapped_action::dialog:
      break;
  }
  bool update_in_place = m.component || (in.type == discord::interaction_type::modal_submit && !in.message_id.empty());
  conversations_.handle(m.user, m.input, now, [&](const std::vector<dialogs::reply>& replies, storage::turn_record& turn) {
    attribute(m, turn.user_id);
    bool changed = false;
    for (const auto& r : replies)
      if (!std::holds_alternative<dialogs::text_reply>(r) && !std::holds_alternative<dialogs::error_reply>(r)) changed = true;
    std::vector<json::object> parts;
    std::optional<std::string> cb;
    for (const auto& r : replies) {
      if (const auto* a = std::get_if<dialogs::answered_reply>(&r)) {
        // A pressed message becomes the record of its answer followed by what comes next.
        if (update_in_place) parts.push_back(discord::render_answered(*a, m.ephemeral));
        continue;
      }
      if (const auto* q = std::get_if<dialogs::question_reply>(&r);
          q && m.action == discord::mapped_action::open_modal && q->question == m.question) {
        cb = callback(modal, discord::render_text_modal(*q));
        continue;
      }
      for (auto& p : discord::render_reply(r, m.ephemeral)) parts.push_back(std::move(p));
    }
    parts = merge(std::move(parts));
    if (!cb) {
      if (parts.empty()) parts.push_back(json::object{{"content", "Okay."}});
      json::object first = std::move(parts.front());
      parts.erase(parts.begin());
      int type = update_in_place && changed ? update_message : channel_message;
      if (type == channel_message && (m.ephemeral || (m.component && !changed))) first["flags"] = discord::flag_ephemeral;
      cb = callback(type, std::move(first));
    }
    auto add = [&](std::string kind, std::string ref, std::string body, dialogs::timestamp when) {
      storage::outbox_message o;
      o.user_id = turn.user_id;
      o.platform = "discord";
      o.kind = std::move(kind);
      o.ref = std::move(ref);
      o.body = std::move(body);
      o.next_attempt_at = when;
      turn.outbox.push_back(std::move(o));
    };
    if (via_gateway) add("discord.callback", in.id + "/" + in.token, *cb, now);
    else answer = *cb;
    // Follow-ups need the callback to have reached Discord first: the HTTP answer leaves
    // after this commit, so they wait a second.
    for (auto& p : parts)
      add("discord.followup", in.token, json::serialize(p), via_gateway ? now : now + std::chrono::seconds(1));
    turn.inbox_done = std::make_pair(std::string("discord"), in.id);
  });
  return answer;
}

void discord_service::process_dm(const discord::dm_message& msg) {
  discord::mapped m = discord::map_dm(msg, bot_user_id_);
  auto now = now_();
  if (m.action != discord::mapped_action::dialog) {
    store_.inbox_done("discord", "msg:" + msg.id, now);
    return;
  }
  conversations_.handle(m.user, m.input, now, [&](const std::vector<dialogs::reply>& replies, storage::turn_record& turn) {
    std::vector<json::object> parts;
    for (const auto& r : replies) {
      if (std::holds_alternative<dialogs::answered_reply>(r)) continue;
      for (auto& p : discord::render_reply(r, false)) parts.push_back(std::move(p));
    }
    for (auto& p : merge(std::move(parts))) {
      storage::outbox_message o;
      o.user_id = turn.user_id;
      o.platform = "discord";
      o.channel = msg.channel_id;
      o.kind = "discord.post";
      o.body = json::serialize(p);
      o.next_attempt_at = now;
      turn.outbox.push_back(std::move(o));
    }
    if (!turn.erase_user) store_.set_dm_channel(turn.user_id, msg.channel_id);
    turn.inbox_done = std::make_pair(std::string("discord"), "msg:" + msg.id);
  });
}

void discord_service::render_unsolicited(const std::vector<dialogs::reply>& replies, storage::turn_record& turn) {
  std::vector<json::object> parts;
  for (const auto& r : replies)
    for (auto& p : discord::render_reply(r, false)) parts.push_back(std::move(p));
  for (auto& p : merge(std::move(parts))) {
    storage::outbox_message o;
    o.user_id = turn.user_id;
    o.platform = "discord";
    o.kind = "discord.post";  // no channel: the person's DM, opened on demand
    o.body = json::serialize(p);
    o.next_attempt_at = turn.now;
    turn.outbox.push_back(std::move(o));
  }
}

void discord_service::send(const storage::outbox_message& m, send_done done) {
  if (!rest_) {
    done({send_result::status::failed, std::chrono::seconds(0), "DISCORD_BOT_TOKEN is not set"});
    return;
  }
  auto quiet = [done](const discord_result& r) {
    if (!r.ok() && quiet_interaction_error(r.error.code)) {
      done({send_result::status::failed, std::chrono::seconds(0), "interaction expired (" + std::to_string(r.error.code) + ")"});
      return;
    }
    done(result_of(r));
  };
  if (m.kind == "discord.followup") {
    rest_->call("POST", "/webhooks/" + settings_.application_id + "/" + m.ref, m.body, quiet);
    return;
  }
  if (m.kind == "discord.callback") {
    rest_->call("POST", "/interactions/" + m.ref + "/callback", m.body, quiet);
    return;
  }
  if (m.kind == "discord.post") {
    auto post = [this, m, done](const std::string& channel) {
      // The nonce makes a retried send idempotent: Discord drops a second message with it.
      json::value body = json::parse(m.body);
      body.as_object()["nonce"] = "mlp" + std::to_string(m.id);
      body.as_object()["enforce_nonce"] = true;
      rest_->call("POST", "/channels/" + channel + "/messages", json::serialize(body), [this, m, done](const discord_result& r) {
        if (!r.ok() && (r.error.code == 50007 || r.error.code == 50278)) {
          // The person cannot be messaged (DMs closed, no shared server): stop trying.
          if (m.user_id) store_.pause_checkins(m.user_id, "cannot be messaged (" + std::to_string(r.error.code) + ")");
          done({send_result::status::failed, std::chrono::seconds(0), "cannot message this user"});
          return;
        }
        done(result_of(r));
      });
    };
    if (!m.channel.empty()) {
      post(m.channel);
      return;
    }
    if (auto dm = m.user_id ? store_.dm_channel(m.user_id) : std::nullopt) {
      post(*dm);
      return;
    }
    auto who = m.user_id ? store_.user_by_id(m.user_id) : std::nullopt;
    if (!who) {
      done({send_result::status::failed, std::chrono::seconds(0), "no channel and no person to message"});
      return;
    }
    rest_->call("POST", "/users/@me/channels", json::serialize(json::object{{"recipient_id", who->user}}),
                [this, m, done, post](const discord_result& r) {
                  if (!r.ok()) {
                    done(result_of(r));
                    return;
                  }
                  std::error_code ec;
                  json::value v = json::parse(r.body, ec);
                  if (ec || !v.is_object() || !v.as_object().contains("id") || !v.at("id").is_string()) {
                    done({send_result::status::retry, std::chrono::seconds(5), "unexpected DM channel response"});
                    return;
                  }
                  std::string channel(v.at("id").as_string());
                  store_.set_dm_channel(m.user_id, channel);
                  post(channel);
                });
    return;
  }
  done({send_result::status::failed, std::chrono::seconds(0), "unknown outbox kind " + m.kind});
}

}  // namespace mlpath

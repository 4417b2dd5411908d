#include "bot/slack_service.hpp"

#include <spdlog/spdlog.h>

#include <boost/json.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/decode_view.hpp>
#include <boost/url/parse_query.hpp>
#include <boost/url/url.hpp>
#include <functional>

#include "adapters/slack/blocks.hpp"
#include "adapters/slack/signature.hpp"
#include "bot/net/crypto.hpp"
#include "dialogs/action_token.hpp"

namespace mlpath {

namespace json = boost::json;

namespace {

constexpr std::size_t max_batch = 256;
// Events waiting to be processed are held in memory up to this many; beyond it they stay
// only in the inbox (where they are anyway) and are read back when the queue drains.
constexpr std::size_t max_queued = 10000;
constexpr const char* install_scopes = "chat:write,im:history,im:write,commands,users:read,app_mentions:read";

// Adds fields to a serialized JSON object without re-parsing it.
std::string with_fields(const std::string& body, std::initializer_list<std::pair<const char*, std::string_view>> fields) {
  std::string head = "{";
  for (const auto& [k, v] : fields) {
    head += json::serialize(json::string(k)) + ":" + json::serialize(json::string(v)) + ",";
  }
  if (body.size() < 2 || body.front() != '{') return head.substr(0, head.size() - 1) + "}";
  std::string rest = body.substr(1);
  if (!rest.empty() && rest.front() == '}') head.pop_back();  // the body was {}
  return head + rest;
}

std::string question_ref(std::string_view question, int round) {
  return "q:" + std::string(question) + ":r" + std::to_string(round);
}

send_result result_of(const slack::api_response& r) {
  if (r.ok) return {send_result::status::sent, std::chrono::seconds(0), {}};
  std::string why = r.error;
  if (!r.needed.empty()) why += " (needs scope " + r.needed + ")";
  for (const auto& msg : r.messages) why += "; " + msg;
  if (r.transient()) return {send_result::status::retry, r.retry_after.value_or(std::chrono::seconds(0)), why};
  return {send_result::status::failed, std::chrono::seconds(0), why};
}

net::http_response json_response(int status, std::string body) {
  net::http_response r;
  r.status = status;
  r.content_type = "application/json";
  r.body = std::move(body);
  return r;
}

net::http_response html_response(int status, const std::string& title, const std::string& text) {
  net::http_response r;
  r.status = status;
  r.content_type = "text/html; charset=utf-8";
  r.body = "<!doctype html><html><head><meta charset=\"utf-8\"><title>" + title + "</title></head><body><h1>" + title +
           "</h1><p>" + text + "</p></body></html>\n";
  return r;
}

std::string query_param(std::string_view query, std::string_view name) {
  auto parsed = boost::urls::parse_query(query);
  if (!parsed) return {};
  for (auto p : *parsed) {
    auto key = *p.key;
    if (std::string(key.begin(), key.end()) != name) continue;
    auto value = *p.value;
    return std::string(value.begin(), value.end());
  }
  return {};
}

std::string cookie_value(std::string_view header, std::string_view name) {
  while (!header.empty()) {
    auto semi = header.find(';');
    std::string_view part = header.substr(0, semi);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    if (part.size() > name.size() && part.substr(0, name.size()) == name && part[name.size()] == '=')
      return std::string(part.substr(name.size() + 1));
    if (semi == std::string_view::npos) break;
    header.remove_prefix(semi + 1);
  }
  return {};
}

}  // namespace

slack_service::slack_service(net::event_loop& loop, storage::store& store, conversation_service& conversations,
                             slack_web_client& api, outbox_dispatcher& outbox, metrics& m, settings s,
                             wall_clock_fn now)
    : loop_(loop),
      store_(store),
      conversations_(conversations),
      api_(api),
      outbox_(outbox),
      metrics_(m),
      settings_(std::move(s)),
      now_(std::move(now)) {
  metrics_.describe("mlpath_slack_events_total", "counter", "Slack requests by kind and outcome");
  metrics_.describe("mlpath_ack_seconds", "histogram", "Time from a whole request read to its acknowledgement");
}

void slack_service::start() {
  for (const auto& i : store_.installations("slack")) {
    tokens_[i.tenant] = i.bot_token;
    identities_[i.tenant] = {i.bot_user_id, i.bot_id, {}};
  }
  // Resume what was acknowledged but not processed before the last stop.
  reload_backlog();
  if (settings_.bot_token.empty()) {
    ready_ = true;  // OAuth installs: identities come from the installations table
    schedule_processing();
    return;
  }
  check_identity();
}

void slack_service::check_identity() {
  api_.call_json("", settings_.bot_token, "auth.test", "{}", [this](const slack::api_response& r) {
    if (!r.ok) {
      spdlog::error("slack: auth.test failed ({}); retrying in 5 s", r.error);
      loop_.after(std::chrono::seconds(5), [this] { check_identity(); });
      return;
    }
    storage::installation inst{"slack", r.team_id, settings_.bot_token, r.user_id, r.bot_id, {}, now_()};
    try {
      store_.save_installation(inst);
    } catch (const std::exception& e) {
      spdlog::error("slack: cannot store the installation: {}", e.what());
    }
    tokens_[r.team_id] = settings_.bot_token;
    tokens_[""] = settings_.bot_token;
    identities_[r.team_id] = {r.user_id, r.bot_id, {}};
    spdlog::info("slack: connected to workspace {} as bot user {} ({})", r.team_id, r.user_id, r.bot_id);
    ready_ = true;
    schedule_processing();
  });
}

slack::bot_identity slack_service::identity(const std::string& team) {
  auto it = identities_.find(team);
  if (it != identities_.end()) return it->second;
  // Single-workspace mode: one identity serves whatever team id a payload carries.
  if (!settings_.bot_token.empty() && !identities_.empty()) return identities_.begin()->second;
  return {};
}

std::string slack_service::token_for(const std::string& team) {
  auto it = tokens_.find(team);
  if (it != tokens_.end()) return it->second;
  return settings_.bot_token;
}

void slack_service::answer(net::http_reply& reply, net::http_response res,
                           std::chrono::steady_clock::time_point received) {
  auto elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - received).count();
  metrics_.observe("mlpath_ack_seconds", "route=\"/slack/events\"", elapsed);
  reply(std::move(res));
}

void slack_service::handle_events(net::http_request&& req, net::http_reply reply) {
  auto received = req.received;
  std::string_view content_type = req.header("Content-Type");
  // Slack's certificate check carries no event and changes nothing: answered first.
  if (slack::is_ssl_check(content_type, req.body)) {
    metrics_.count("mlpath_slack_events_total", "kind=\"ssl_check\",outcome=\"ok\"");
    answer(reply, net::text_response(200, ""), received);
    return;
  }
  auto verdict = slack::verify_request(settings_.signing_secret, req.header("X-Slack-Request-Timestamp"),
                                       req.header("X-Slack-Signature"), req.body, now_());
  if (verdict != slack::verify_result::ok) {
    metrics_.count("mlpath_slack_events_total", "kind=\"unknown\",outcome=\"unauthorized\"");
    spdlog::warn("slack: rejected a request: {}", slack::to_string(verdict));
    answer(reply, net::text_response(401, "invalid signature"), received);
    return;
  }
  auto parsed = slack::parse_inbound(content_type, req.body);
  if (auto* failure = std::get_if<slack::parse_failure>(&parsed)) {
    metrics_.count("mlpath_slack_events_total", "kind=\"unknown\",outcome=\"rejected\"");
    auto res = net::text_response(failure->status, failure->reason);
    res.headers.emplace_back("x-slack-no-retry", "1");
    answer(reply, std::move(res), received);
    return;
  }
  slack::inbound in = std::move(std::get<slack::inbound>(parsed));
  std::string kind = slack::to_string(in.kind);
  net::http_response ack = net::text_response(200, "");
  ack.body.clear();
  std::string dedupe_id;
  switch (in.kind) {
    case slack::inbound_kind::url_verification:
      metrics_.count("mlpath_slack_events_total", "kind=\"url_verification\",outcome=\"ok\"");
      answer(reply, json_response(200, json::serialize(json::object{{"challenge", in.challenge}})), received);
      return;
    case slack::inbound_kind::ssl_check:
      answer(reply, std::move(ack), received);
      return;
    case slack::inbound_kind::app_rate_limited:
      spdlog::warn("slack: Slack reports it is rate-limiting events for team {}", in.team_id);
      metrics_.count("mlpath_slack_events_total", "kind=\"app_rate_limited\",outcome=\"ok\"");
      answer(reply, std::move(ack), received);
      return;
    case slack::inbound_kind::unsupported:
    case slack::inbound_kind::view_closed:
      metrics_.count("mlpath_slack_events_total", "kind=\"" + kind + "\",outcome=\"ignored\"");
      answer(reply, std::move(ack), received);
      return;
    case slack::inbound_kind::event_callback:
      dedupe_id = in.event_id;
      break;
    case slack::inbound_kind::slash_command: {
      dedupe_id = "cmd:" + in.trigger_id;
      auto m = slack::map_inbound(in, identity(in.team_id));
      ack = json_response(200, json::serialize(json::object{{"response_type", "ephemeral"},
                                                            {"text", m.ack_text.empty() ? "On it." : m.ack_text}}));
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
  metrics_.count("mlpath_slack_events_total", "kind=\"" + kind + "\",outcome=\"accepted\"");
  storage::inbox_event ev{"slack", std::move(dedupe_id), std::string(content_type), std::move(req.body), now_()};
  acks_.push_back({std::move(ev), std::move(in), std::move(ack), std::move(reply), received});
  if (!flush_scheduled_) {
    flush_scheduled_ = true;
    loop_.post([this] { flush_acks(); });
  }
}

// Group commit: every request read in this loop turn is stored in one transaction, then
// all of them are acknowledged.
void slack_service::flush_acks() {
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
    spdlog::error("slack: cannot store {} inbound events: {}", batch.size(), e.what());
  }
  bool queued = false;
  for (std::size_t i = 0; i < batch.size(); ++i) {
    auto& p = batch[i];
    if (!stored) {
      // Not stored, so not acknowledged: Slack will retry.
      answer(p.reply, net::text_response(500, "storage unavailable"), p.received);
      continue;
    }
    if (!fresh[i]) metrics_.count("mlpath_slack_events_total", "kind=\"duplicate\",outcome=\"dropped\"");
    answer(p.reply, std::move(p.response), p.received);
    if (fresh[i]) {
      queued = true;
      if (spilled_ || work_.size() >= max_queued) spilled_ = true;
      else work_.push_back({std::move(p.event), std::move(p.parsed)});
    }
  }
  if (queued) schedule_processing();
}

void slack_service::reload_backlog() {
  spilled_ = false;
  std::size_t loaded = 0;
  for (auto& e : store_.inbox_pending(max_queued)) {
    ++loaded;
    if (e.source == "slack") work_.push_back({std::move(e), std::nullopt});
  }
  if (loaded == max_queued) spilled_ = true;
}

void slack_service::schedule_processing() {
  if (processing_scheduled_ || (work_.empty() && !spilled_)) return;
  processing_scheduled_ = true;
  loop_.post([this] { process_batch(); });
}

void slack_service::process_batch() {
  processing_scheduled_ = false;
  if (!ready_) return;  // resumed by check_identity()
  if (work_.empty() && spilled_) {
    try {
      reload_backlog();
    } catch (const std::exception& e) {
      spdlog::error("slack: cannot read the inbox backlog: {}", e.what());
      loop_.after(std::chrono::seconds(1), [this] { schedule_processing(); });
      return;
    }
  }
  std::size_t n = std::min(work_.size(), max_batch);
  try {
    storage::batch_guard g(store_);
    for (std::size_t i = 0; i < n; ++i) {
      try {
        process(work_[i]);
      } catch (const std::exception& e) {
        // A poison event must not be retried forever: record it and move on.
        spdlog::error("slack: event {} could not be processed: {}", work_[i].event.event_id, e.what());
        metrics_.count("mlpath_slack_events_total", "kind=\"event\",outcome=\"failed\"");
        store_.inbox_done("slack", work_[i].event.event_id, now_());
      }
    }
    g.commit();
    work_.erase(work_.begin(), work_.begin() + static_cast<std::ptrdiff_t>(n));
  } catch (const std::exception& e) {
    spdlog::error("slack: cannot commit processed events ({}); retrying in 1 s", e.what());
    loop_.after(std::chrono::seconds(1), [this] { schedule_processing(); });
    return;
  }
  outbox_.kick();
  schedule_processing();
}

void slack_service::process(const work_item& w) {
  std::optional<slack::inbound> reparsed;
  if (!w.parsed) {
    // Read back from the inbox after a restart or a spill.
    auto parsed = slack::parse_inbound(w.event.content_type, w.event.payload);
    if (!std::holds_alternative<slack::inbound>(parsed)) {
      store_.inbox_done("slack", w.event.event_id, now_());
      return;
    }
    reparsed = std::move(std::get<slack::inbound>(parsed));
  }
  const slack::inbound& in = w.parsed ? *w.parsed : *reparsed;
  slack::mapped m = slack::map_inbound(in, identity(in.team_id));
  auto done_here = [&] { store_.inbox_done("slack", w.event.event_id, now_()); };
  switch (m.action) {
    case slack::mapped_action::ignore:
      spdlog::debug("slack: ignored {}: {}", w.event.event_id, m.reason);
      done_here();
      return;
    case slack::mapped_action::uninstall:
      spdlog::info("slack: uninstalled from workspace {}: forgetting its tokens", in.team_id);
      store_.delete_installation("slack", in.team_id);
      tokens_.erase(in.team_id);
      identities_.erase(in.team_id);
      done_here();
      return;
    case slack::mapped_action::open_modal:
      // The input is the pressed cmd:answer token (with its round): the engine re-asks the
      // question if it is still open, and the question becomes a modal below.
      break;
    case slack::mapped_action::dialog:
      break;
  }
  conversations_.handle(m.where.user, m.input, now_(), [&](const std::vector<dialogs::reply>& replies, storage::turn_record& turn) {
    render_outbox(m, in.team_id, replies, turn);
    turn.inbox_done = std::make_pair(std::string("slack"), w.event.event_id);
    if (in.channel_type == "im" && !in.channel.empty() && !turn.erase_user) {
      auto known = known_dm_.find(turn.user_id);
      if (known == known_dm_.end() || known->second != in.channel) {
        store_.set_dm_channel(turn.user_id, in.channel);
        known_dm_[turn.user_id] = in.channel;
      }
    }
  });
}

void slack_service::render_outbox(const slack::mapped& m, std::string_view team,
                                  const std::vector<dialogs::reply>& replies, storage::turn_record& turn) {
  bool changed = false;
  for (const auto& r : replies)
    if (!std::holds_alternative<dialogs::text_reply>(r) && !std::holds_alternative<dialogs::error_reply>(r)) changed = true;
  // A press that changed nothing (a stale or repeated button) gets a note only its presser sees.
  bool ephemeral = m.input.from_button && !changed && !m.where.channel.empty();
  auto add = [&](std::string kind, std::string channel, std::string ref, std::string body) {
    storage::outbox_message o;
    o.user_id = turn.user_id;
    o.platform = "slack";
    o.tenant = std::string(team);
    o.channel = std::move(channel);
    o.kind = std::move(kind);
    o.ref = std::move(ref);
    o.body = std::move(body);
    o.next_attempt_at = turn.now;
    turn.outbox.push_back(std::move(o));
  };
  for (const auto& r : replies) {
    if (const auto* a = std::get_if<dialogs::answered_reply>(&r)) {
      std::string body = json::serialize(slack::render_answered(*a));
      if (!m.where.message_ts.empty() && !m.where.ephemeral)
        add("slack.update", m.where.channel, "", with_fields(body, {{"channel", m.where.channel}, {"ts", m.where.message_ts}}));
      else
        add("slack.update_ref", "", question_ref(a->question, a->round), std::move(body));
      continue;
    }
    if (const auto* q = std::get_if<dialogs::question_reply>(&r)) {
      if (m.action == slack::mapped_action::open_modal && q->question == m.question && !m.where.trigger_id.empty()) {
        json::object view = slack::render_text_modal(*q);
        add("slack.views_open", "", "",
            json::serialize(json::object{{"trigger_id", m.where.trigger_id}, {"view", std::move(view)}}));
        continue;
      }
      for (auto& msg : slack::render_reply(r))
        add("slack.post", m.where.channel, question_ref(q->question, q->round), json::serialize(msg));
      continue;
    }
    for (auto& msg : slack::render_reply(r)) {
      if (ephemeral) add("slack.ephemeral", m.where.channel, "", json::serialize(msg));
      else add("slack.post", m.where.channel, "", json::serialize(msg));
    }
  }
}

void slack_service::render_unsolicited(const std::vector<dialogs::reply>& replies, storage::turn_record& turn) {
  auto who = store_.user_by_id(turn.user_id);
  if (!who) return;
  for (const auto& r : replies)
    for (auto& msg : slack::render_reply(r)) {
      storage::outbox_message o;
      o.user_id = turn.user_id;
      o.platform = "slack";
      o.tenant = who->tenant;
      o.kind = "slack.post";  // no channel: the person's DM, opened on demand
      o.body = json::serialize(msg);
      o.next_attempt_at = turn.now;
      turn.outbox.push_back(std::move(o));
    }
}

void slack_service::send(const storage::outbox_message& m, send_done done) {
  std::string token = token_for(m.tenant);
  if (token.empty()) {
    done({send_result::status::failed, std::chrono::seconds(0), "no Slack token for workspace " + m.tenant});
    return;
  }
  auto finish = [done](const slack::api_response& r) { done(result_of(r)); };
  if (m.kind == "slack.post") {
    if (!m.channel.empty()) {
      post_message(m, m.channel, std::move(done));
      return;
    }
    if (auto dm = m.user_id ? store_.dm_channel(m.user_id) : std::nullopt) {
      post_message(m, *dm, std::move(done));
      return;
    }
    auto who = m.user_id ? store_.user_by_id(m.user_id) : std::nullopt;
    if (!who) {
      done({send_result::status::failed, std::chrono::seconds(0), "no channel and no person to open a DM with"});
      return;
    }
    api_.call_json(m.tenant, token, "conversations.open", json::serialize(json::object{{"users", who->user}}),
                   [this, m, done](const slack::api_response& r) {
                     if (!r.ok || r.channel_id.empty()) {
                       done(result_of(r));
                       return;
                     }
                     try {
                       store_.set_dm_channel(m.user_id, r.channel_id);
                       known_dm_[m.user_id] = r.channel_id;
                     } catch (const std::exception& e) {
                       spdlog::warn("slack: cannot remember a DM channel: {}", e.what());
                     }
                     post_message(m, r.channel_id, done);
                   });
    return;
  }
  if (m.kind == "slack.update") {
    api_.call_json(m.tenant, token, "chat.update", m.body, [done](const slack::api_response& r) {
      // The message may be gone or too old to edit; the record of the answer is a nicety.
      if (!r.ok && (r.error == "message_not_found" || r.error == "cant_update_message" || r.error == "edit_window_closed"))
        done({send_result::status::sent, std::chrono::seconds(0), {}});
      else
        done(result_of(r));
    });
    return;
  }
  if (m.kind == "slack.update_ref") {
    auto where = store_.find_message(m.user_id, m.ref);
    if (!where) {
      done({send_result::status::sent, std::chrono::seconds(0), {}});  // never posted: nothing to update
      return;
    }
    api_.call_json(m.tenant, token, "chat.update",
                   with_fields(m.body, {{"channel", where->first}, {"ts", where->second}}),
                   [done](const slack::api_response& r) {
                     if (!r.ok && (r.error == "message_not_found" || r.error == "cant_update_message" ||
                                   r.error == "edit_window_closed"))
                       done({send_result::status::sent, std::chrono::seconds(0), {}});
                     else
                       done(result_of(r));
                   });
    return;
  }
  if (m.kind == "slack.ephemeral") {
    auto who = m.user_id ? store_.user_by_id(m.user_id) : std::nullopt;
    if (!who) {
      done({send_result::status::failed, std::chrono::seconds(0), "the person is gone"});
      return;
    }
    api_.call_json(m.tenant, token, "chat.postEphemeral",
                   with_fields(m.body, {{"channel", m.channel}, {"user", who->user}}), finish);
    return;
  }
  if (m.kind == "slack.views_open") {
    api_.call_json(m.tenant, token, "views.open", m.body, finish);
    return;
  }
  done({send_result::status::failed, std::chrono::seconds(0), "unknown outbox kind " + m.kind});
}

void slack_service::post_message(const storage::outbox_message& m, std::string channel, send_done done) {
  std::string token = token_for(m.tenant);
  std::string body = with_fields(m.body, {{"channel", channel}});
  api_.call_json(
      m.tenant, token, "chat.postMessage", std::move(body),
      [this, m, channel, done](const slack::api_response& r) {
        if (r.ok && !m.ref.empty() && m.user_id) {
          try {
            store_.remember_message(m.user_id, m.ref, r.channel_id.empty() ? channel : r.channel_id, r.ts);
          } catch (const std::exception& e) {
            spdlog::warn("slack: cannot remember a posted message: {}", e.what());
          }
        }
        if (!r.warning.empty()) spdlog::warn("slack: chat.postMessage warning: {}", r.warning);
        done(result_of(r));
      },
      channel);
}

void slack_service::handle_install(net::http_request&& req, net::http_reply reply) {
  if (settings_.client_id.empty()) {
    reply(net::text_response(404, "not found"));
    return;
  }
  auto now = std::chrono::steady_clock::now();
  std::erase_if(oauth_states_, [&](const auto& kv) { return kv.second < now; });
  std::string state = net::random_hex(16);
  oauth_states_[state] = now + std::chrono::minutes(10);
  boost::urls::url u(settings_.oauth_authorize_url);
  u.params().append({"client_id", settings_.client_id});
  u.params().append({"scope", install_scopes});
  u.params().append({"state", state});
  net::http_response res = html_response(302, "Redirecting to Slack", "Continue to <a href=\"" + std::string(u.buffer()) + "\">Slack</a>.");
  res.headers.emplace_back("Location", std::string(u.buffer()));
  // Binds the state to this browser, as Bolt's install provider does.
  res.headers.emplace_back("Set-Cookie", "mlpath_oauth_state=" + state + "; Path=/slack; Max-Age=600; HttpOnly; Secure; SameSite=Lax");
  reply(std::move(res));
}

void slack_service::handle_oauth_redirect(net::http_request&& req, net::http_reply reply) {
  if (settings_.client_id.empty()) {
    reply(net::text_response(404, "not found"));
    return;
  }
  std::string error = query_param(req.query(), "error");
  std::string code = query_param(req.query(), "code");
  std::string state = query_param(req.query(), "state");
  auto it = oauth_states_.find(state);
  bool valid_state = !state.empty() && it != oauth_states_.end() && it->second >= std::chrono::steady_clock::now() &&
                     cookie_value(req.header("Cookie"), "mlpath_oauth_state") == state;
  if (it != oauth_states_.end()) oauth_states_.erase(it);
  if (!error.empty()) {
    reply(html_response(200, "Installation cancelled", "Slack says: " + slack::escape_mrkdwn(error) + ". Nothing was installed."));
    return;
  }
  if (!valid_state || code.empty()) {
    reply(html_response(400, "Installation link expired", "Please start again from the install link."));
    return;
  }
  api_.call_form("", "", "oauth.v2.access",
                 {{"client_id", settings_.client_id}, {"client_secret", settings_.client_secret}, {"code", code}},
                 [this, reply](const slack::api_response& r) mutable {
                   if (!r.ok || r.access_token.empty()) {
                     spdlog::warn("slack: OAuth exchange failed: {}", r.error);
                     reply(html_response(502, "Installation failed", "Slack did not accept the installation (" +
                                                                         slack::escape_mrkdwn(r.error) + ")."));
                     return;
                   }
                   // oauth.v2.access has no bot_id; auth.test with the new token has.
                   std::string token = r.access_token, team = r.team_id, bot_user = r.bot_user_id, scopes = r.scope;
                   api_.call_json(team, token, "auth.test", "{}",
                                  [this, reply, token, team, bot_user, scopes](const slack::api_response& t) mutable {
                                    storage::installation inst{"slack", team, token, bot_user.empty() ? t.user_id : bot_user,
                                                               t.bot_id, scopes, now_()};
                                    try {
                                      store_.save_installation(inst);
                                    } catch (const std::exception& e) {
                                      reply(html_response(500, "Installation failed", "mlpath could not store it."));
                                      return;
                                    }
                                    tokens_[team] = token;
                                    identities_[team] = {inst.bot_user_id, inst.bot_id, {}};
                                    spdlog::info("slack: installed in workspace {}", team);
                                    reply(html_response(200, "mlpath is installed",
                                                        "Open Slack and send mlpath a direct message, or type /mlpath."));
                                  });
                 });
}

}  // namespace mlpath

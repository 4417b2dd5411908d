#include "adapters/discord/gateway_session.hpp"

#include <simdjson.h>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <cmath>

#include "adapters/common/json_util.hpp"
#include "adapters/discord/json_read.hpp"

namespace mlpath::discord {
namespace {

namespace json = boost::json;
namespace od = simdjson::ondemand;
using std::chrono::milliseconds;

constexpr std::size_t max_payload = 4096;   // larger sends are closed with 4002
constexpr std::chrono::seconds send_window{60};
constexpr std::size_t budget_all = 120;      // Discord's limit per connection and window
constexpr std::size_t budget_requested = 110;  // answers to op 1: never crowd out our own beats
constexpr std::size_t budget_app = 100;      // send_event()
constexpr milliseconds max_heartbeat_interval{10 * 60 * 1000};

gateway_action make(gateway_action::kind k) {
  gateway_action a;
  a.what = k;
  return a;
}

gateway_action fatal_action(std::string why) {
  gateway_action a = make(gateway_action::kind::fatal);
  a.text = std::move(why);
  return a;
}

// One clear line per close code Discord says must not be retried.
std::optional<std::string> fatal_reason(int code, const gateway_settings& s) {
  switch (code) {
    case 4004: return std::string("Discord closed the gateway with 4004 (authentication failed): DISCORD_BOT_TOKEN is wrong or was reset");
    case 4010:
      return "Discord closed the gateway with 4010 (invalid shard): shard " + std::to_string(s.shard_id) + " of " +
             std::to_string(s.shard_count) + " is not valid; check DISCORD_SHARDS";
    case 4011:
      return "Discord closed the gateway with 4011 (sharding required): the bot is in too many servers for " +
             std::to_string(s.shard_count) + " shard(s); set DISCORD_SHARDS to more shards";
    case 4012: return std::string("Discord closed the gateway with 4012 (invalid API version): this build speaks v10");
    case 4013:
      return "Discord closed the gateway with 4013 (invalid intents): " + std::to_string(s.intents) +
             " is not a valid intents value";
    case 4014:
      return "Discord closed the gateway with 4014 (disallowed intents): the intents " + std::to_string(s.intents) +
             " include a privileged intent that is not enabled for this application in the Developer Portal";
    default: return std::nullopt;
  }
}

// Close codes after which the session is gone: reconnect with a fresh Identify.
bool session_lost(int code) {
  return code == 4003   // not authenticated / session invalidated
         || code == 4005  // already authenticated
         || code == 4007  // invalid seq: "start a new session"
         || code == 4009;  // session timed out
}

struct frame {
  int op = -1;
  std::optional<std::int64_t> s;
  std::string_view t;
  std::string_view d;  // raw JSON text, "" when absent
};

}  // namespace

gateway_session::gateway_session(gateway_settings s, random_fn random) : settings_(std::move(s)), random_(std::move(random)) {}

double gateway_session::jitter() {
  double r = random_ ? random_() : 0.5;
  if (!(r >= 0.0)) r = 0.0;  // NaN too
  return std::min(r, 0.999999);
}

// Consecutive attempts without READY/RESUMED: the first reconnect waits under a second
// (Discord asks for jitter, not haste), then 1, 2, 4 ... seconds, half of it random,
// capped at a minute.
milliseconds gateway_session::backoff() {
  if (attempts_ <= 1) return milliseconds(static_cast<long>(1000 * jitter()));
  int exp = std::min(attempts_ - 2, 10);
  milliseconds cap = std::min<milliseconds>(milliseconds(1000L << exp), max_backoff);
  return milliseconds(static_cast<long>(static_cast<double>(cap.count()) * (0.5 + 0.5 * jitter())));
}

std::string gateway_session::url_for(const std::string& base) const {
  std::string u = base.substr(0, base.find_first_of("?#"));
  while (!u.empty() && u.back() == '/') u.pop_back();
  return u + "/?v=10&encoding=json";
}

void gateway_session::forget_session() {
  session_id_.clear();
  resume_url_.clear();
  seq_.reset();
}

void gateway_session::restore(resume_state saved) {
  if (phase_ != phase::idle || saved.session_id.empty()) return;
  session_id_ = std::move(saved.session_id);
  seq_ = saved.sequence;
  resume_url_ = std::move(saved.resume_url);
}

std::optional<gateway_session::resume_state> gateway_session::resumable_state() const {
  if (!resumable()) return std::nullopt;
  return resume_state{session_id_, *seq_, resume_url_};
}

std::vector<gateway_action> gateway_session::suspend(clock::time_point now) {
  bool open = phase_ == phase::hello_wait || phase_ == phase::identify_wait || phase_ == phase::identifying ||
              phase_ == phase::resuming || phase_ == phase::ready || phase_ == phase::closing;
  if (phase_ == phase::stopped || phase_ == phase::fatal) return {};
  phase_ = phase::stopped;  // frames still arriving are not processed: a resume replays them
  ready_ = false;
  next_heartbeat_.reset();
  hello_deadline_.reset();
  ready_deadline_.reset();
  if (!open) return {};
  gateway_action a = make(gateway_action::kind::close);
  a.code = resume_close_code;
  return {a};
}

std::vector<gateway_action> gateway_session::start(clock::time_point now) {
  if (phase_ != phase::idle) return {};
  if (settings_.gateway_url.empty()) {
    phase_ = phase::fatal;
    return {fatal_action("no gateway URL (GET /gateway/bot returned none)")};
  }
  if (settings_.shard_count < 1 || settings_.shard_id < 0 || settings_.shard_id >= settings_.shard_count) {
    phase_ = phase::fatal;
    return {fatal_action("shard " + std::to_string(settings_.shard_id) + " of " + std::to_string(settings_.shard_count) +
                         " is not a valid shard; check DISCORD_SHARDS")};
  }
  phase_ = phase::connecting;
  // A session restored from before a restart is resumed where Discord said to resume it.
  resume_on_hello_ = resumable();
  attempts_ = 1;
  gateway_action a = make(gateway_action::kind::connect);
  a.url = url_for(resume_on_hello_ && !resume_url_.empty() ? resume_url_ : settings_.gateway_url);
  return {a};
}

std::vector<gateway_action> gateway_session::on_open(clock::time_point now) {
  if (phase_ != phase::connecting) return {};
  phase_ = phase::hello_wait;
  hello_deadline_ = now + hello_timeout;
  next_heartbeat_.reset();
  ready_deadline_.reset();
  awaiting_ack_ = false;
  resume_sent_ = false;
  sent_.clear();  // the send budget is per connection
  return {};
}

bool gateway_session::emit(std::string text, clock::time_point now, std::size_t budget, std::vector<gateway_action>& out) {
  if (text.size() > max_payload) return false;
  auto horizon = now - send_window;
  sent_.erase(sent_.begin(), std::find_if(sent_.begin(), sent_.end(), [&](clock::time_point t) { return t > horizon; }));
  if (sent_.size() >= std::min(budget, budget_all)) return false;
  sent_.push_back(now);
  gateway_action a = make(gateway_action::kind::send);
  a.text = std::move(text);
  out.push_back(std::move(a));
  return true;
}

void gateway_session::send_heartbeat(clock::time_point now, std::vector<gateway_action>& out, std::size_t budget) {
  json::object p{{"op", 1}, {"d", seq_ ? json::value(*seq_) : json::value(nullptr)}};
  if (emit(json::serialize(p), now, budget, out)) awaiting_ack_ = true;
}

void gateway_session::send_identify(clock::time_point now, std::vector<gateway_action>& out) {
  json::object d{{"token", settings_.token},
                 {"intents", settings_.intents},
                 {"properties", json::object{{"os", "linux"}, {"browser", "mlpath"}, {"device", "mlpath"}}},
                 {"shard", json::array{settings_.shard_id, settings_.shard_count}}};
  json::object p{{"op", 2}, {"d", std::move(d)}};
  identify_permit_ = false;
  forget_session();
  if (emit(json::serialize(p), now, budget_all, out)) {
    out.back().event = "IDENTIFY";
  } else {
    phase_ = phase::fatal;
    out.push_back(fatal_action("the Identify payload is over Discord's 4096-byte limit (is DISCORD_BOT_TOKEN right?)"));
    return;
  }
  phase_ = phase::identifying;
  ready_deadline_ = now + ready_timeout;
}

void gateway_session::send_resume(clock::time_point now, std::vector<gateway_action>& out) {
  json::object p{{"op", 6},
                 {"d", json::object{{"token", settings_.token}, {"session_id", session_id_}, {"seq", seq_.value_or(0)}}}};
  if (emit(json::serialize(p), now, budget_all, out)) {
    out.back().event = "RESUME";
  } else {
    // Only an absurd session id makes a Resume too large: start afresh instead.
    forget_session();
    phase_ = phase::identify_wait;
    if (identify_permit_) send_identify(now, out);
    return;
  }
  resume_sent_ = true;
  phase_ = phase::resuming;
  ready_deadline_ = now + ready_timeout;
}

std::vector<gateway_action> gateway_session::close_and(reconnect_plan plan, clock::time_point now) {
  after_close_ = plan;
  phase_ = phase::closing;
  ready_ = false;
  next_heartbeat_.reset();
  hello_deadline_.reset();
  ready_deadline_.reset();
  gateway_action a = make(gateway_action::kind::close);
  a.code = zombie_close_code;
  return {a};
}

std::vector<gateway_action> gateway_session::reconnect(reconnect_plan plan, clock::time_point now) {
  if (plan.resume && !resumable()) plan.resume = false;
  if (plan.resume && failed_resumes_ >= max_failed_resumes) {
    // Resuming keeps failing: the session is most likely gone. A fresh session costs one
    // of the 1000 daily identifies, which is why this comes only after several tries.
    plan.resume = false;
  }
  if (!plan.resume) {
    forget_session();
    failed_resumes_ = 0;
  }
  ++attempts_;
  milliseconds delay = std::max(plan.min_delay, backoff());
  resume_on_hello_ = plan.resume;
  phase_ = phase::connecting;
  ready_ = false;
  gateway_action a = make(gateway_action::kind::connect);
  a.url = url_for(plan.resume && !resume_url_.empty() ? resume_url_ : settings_.gateway_url);
  a.delay = delay;
  return {a};
}

std::vector<gateway_action> gateway_session::on_closed(int code, clock::time_point now) {
  if (phase_ == phase::stopped || phase_ == phase::fatal || phase_ == phase::idle) return {};
  bool was_resuming = resume_sent_ && !ready_;
  resume_sent_ = false;
  next_heartbeat_.reset();
  hello_deadline_.reset();
  ready_deadline_.reset();
  awaiting_ack_ = false;
  if (was_resuming) ++failed_resumes_;

  reconnect_plan plan;
  if (phase_ == phase::closing) {
    plan = after_close_;
  } else if (auto why = fatal_reason(code, settings_)) {
    phase_ = phase::fatal;
    ready_ = false;
    return {fatal_action(*why)};
  } else if (phase_ == phase::connecting || phase_ == phase::hello_wait) {
    // The connection failed before the session said anything: same intent, later.
    plan.resume = resume_on_hello_;
  } else if (session_lost(code)) {
    plan.resume = false;
  } else {
    // 4000-4002, 4008, 1000/1001 from the server, 1006, 0 (no close frame) and anything
    // undocumented: Discord keeps the session for a while, so resume.
    plan.resume = true;
    if (code == 4008) plan.min_delay = milliseconds(5000);  // we sent too fast: slow down
  }
  ready_ = false;
  return reconnect(plan, now);
}

void gateway_session::on_hello(std::string_view d, clock::time_point now, std::vector<gateway_action>& out) {
  if (phase_ != phase::hello_wait) return;
  std::int64_t interval = 0;
  try {
    detail::json_reader r;
    (void)adapters::read_json_object(d, [&](od::object obj) -> std::optional<std::string> {
      (void)r.fields(obj, [&](std::string_view k, od::value& v) {
        return k == "heartbeat_interval" ? r.integer(v, interval) : true;
      });
      return std::nullopt;
    });
  } catch (...) {
  }
  if (interval <= 0 || milliseconds(interval) > max_heartbeat_interval) {
    // Without a usable interval the connection cannot be kept: try again.
    auto c = close_and({resume_on_hello_, milliseconds(0)}, now);
    out.insert(out.end(), c.begin(), c.end());
    return;
  }
  heartbeat_interval_ = milliseconds(interval);
  hello_deadline_.reset();
  awaiting_ack_ = false;
  // The first beat at interval × jitter, so shards reconnecting together do not beat together.
  next_heartbeat_ = now + milliseconds(static_cast<long>(static_cast<double>(interval) * jitter()));
  if (resume_on_hello_ && resumable()) {
    send_resume(now, out);
    return;
  }
  forget_session();
  phase_ = phase::identify_wait;
  if (identify_permit_) send_identify(now, out);
}

void gateway_session::on_dispatch(std::string_view event, std::string_view d, clock::time_point now,
                                  std::vector<gateway_action>& out) {
  if (event == "READY" || event == "RESUMED") {
    if (event == "READY") {
      try {
        detail::json_reader r;
        (void)adapters::read_json_object(d, [&](od::object obj) -> std::optional<std::string> {
          std::string session, resume_url, user;
          (void)r.fields(obj, [&](std::string_view k, od::value& v) {
            if (k == "session_id") return r.id(v, session);
            if (k == "resume_gateway_url") return r.id(v, resume_url);
            if (k == "user") return r.fields(v, [&](std::string_view uk, od::value& u) { return uk == "id" ? r.id(u, user) : true; });
            return true;
          });
          session_id_ = session;
          resume_url_ = resume_url;
          if (!user.empty()) user_id_ = user;
          return std::nullopt;
        });
      } catch (...) {
      }
    }
    ready_ = true;
    phase_ = phase::ready;
    ready_deadline_.reset();
    failed_resumes_ = 0;
    attempts_ = 0;
    resume_sent_ = false;
  } else if (ready_deadline_) {
    // Replayed events after a Resume: the session is alive, RESUMED is on its way.
    ready_deadline_ = now + ready_timeout;
  }
  if (event.empty()) return;
  gateway_action a = make(gateway_action::kind::dispatch);
  a.event = std::string(event);
  a.raw = d.empty() ? std::string_view("null") : d;
  out.push_back(std::move(a));
}

void gateway_session::on_invalid_session(bool may_resume, clock::time_point now, std::vector<gateway_action>& out) {
  reconnect_plan plan;
  if (may_resume && resumable()) {
    plan.resume = true;
  } else {
    // The session is gone. Discord's older docs ask for a random 1-5 s wait before the
    // fresh Identify; it also spaces identifies that hit max_concurrency.
    forget_session();
    plan.min_delay = milliseconds(1000 + static_cast<long>(4000 * jitter()));
  }
  auto c = close_and(plan, now);
  out.insert(out.end(), c.begin(), c.end());
}

std::vector<gateway_action> gateway_session::on_message(std::string_view text, clock::time_point now) {
  std::vector<gateway_action> out;
  if (phase_ != phase::hello_wait && phase_ != phase::identify_wait && phase_ != phase::identifying &&
      phase_ != phase::resuming && phase_ != phase::ready)
    return out;
  frame f;
  try {
    // Reused buffer with simdjson's padding: no allocation per frame once warm.
    if (frame_.capacity() < text.size() + simdjson::SIMDJSON_PADDING) frame_.reserve(text.size() + simdjson::SIMDJSON_PADDING);
    frame_.assign(text);
    simdjson::padded_string_view padded(frame_.data(), frame_.size(), frame_.capacity());
    thread_local od::parser parser;
    od::document doc;
    od::object obj;
    if (parser.iterate(padded).get(doc) || doc.get_object().get(obj)) return out;
    detail::json_reader r;
    bool ok = r.fields(obj, [&](std::string_view k, od::value& v) {
      if (k == "op") return r.integer(v, f.op);
      if (k == "s") {
        std::int64_t s = 0;
        bool present = false;
        if (!r.integer(v, s, &present)) return false;
        if (present) f.s = s;
        return true;
      }
      if (k == "t") {
        std::optional<std::string_view> t;
        if (!r.string(v, t)) return false;
        if (t && t->size() <= 128) f.t = *t;
        return true;
      }
      if (k == "d") return r.raw(v, f.d);
      return true;
    });
    // A frame we cannot read is dropped; the heartbeat keeps judging the connection.
    if (!ok) return out;

    switch (f.op) {
      case 0:
        if (f.s) seq_ = *f.s;
        on_dispatch(f.t, f.d, now, out);
        break;
      case 1:
        // "Immediately send back another Heartbeat"; the regular schedule stays as it is.
        send_heartbeat(now, out, budget_requested);
        break;
      case 7: {
        auto c = close_and({true, milliseconds(0)}, now);
        out.insert(out.end(), c.begin(), c.end());
        break;
      }
      case 9: on_invalid_session(f.d == "true", now, out); break;
      case 10: on_hello(f.d, now, out); break;
      case 11: awaiting_ack_ = false; break;
      default: break;  // opcodes we do not use
    }
  } catch (const std::exception&) {
    // Allocation failure only: drop the frame.
  }
  return out;
}

std::vector<gateway_action> gateway_session::on_timer(clock::time_point now) {
  std::vector<gateway_action> out;
  if (phase_ == phase::hello_wait && hello_deadline_ && now >= *hello_deadline_) {
    return close_and({resume_on_hello_, milliseconds(0)}, now);
  }
  bool connected = phase_ == phase::identify_wait || phase_ == phase::identifying || phase_ == phase::resuming ||
                   phase_ == phase::ready;
  if (!connected) return out;
  if (next_heartbeat_ && now >= *next_heartbeat_) {
    if (awaiting_ack_) {
      // No ACK between two beats: a zombie connection. Close without 1000/1001 so the
      // session survives, and resume on a new connection.
      return close_and({true, milliseconds(0)}, now);
    }
    send_heartbeat(now, out, budget_all);
    next_heartbeat_ = now + heartbeat_interval_;
  }
  if (ready_deadline_ && now >= *ready_deadline_) {
    auto c = close_and({phase_ == phase::resuming, milliseconds(0)}, now);
    out.insert(out.end(), c.begin(), c.end());
    return out;
  }
  if (phase_ == phase::identify_wait && identify_permit_) send_identify(now, out);
  return out;
}

std::optional<gateway_session::clock::time_point> gateway_session::next_deadline() const {
  std::optional<clock::time_point> next;
  auto consider = [&](const std::optional<clock::time_point>& t) {
    if (t && (!next || *t < *next)) next = t;
  };
  switch (phase_) {
    case phase::hello_wait: consider(hello_deadline_); break;
    case phase::identify_wait:
      if (identify_permit_) consider(clock::time_point{});  // due now
      consider(next_heartbeat_);
      break;
    case phase::identifying:
    case phase::resuming:
      consider(ready_deadline_);
      consider(next_heartbeat_);
      break;
    case phase::ready: consider(next_heartbeat_); break;
    default: break;
  }
  return next;
}

void gateway_session::allow_identify(bool allowed) { identify_permit_ = allowed; }

bool gateway_session::wants_identify() const { return phase_ == phase::identify_wait && !identify_permit_; }

std::vector<gateway_action> gateway_session::stop(clock::time_point now) {
  bool open = phase_ == phase::hello_wait || phase_ == phase::identify_wait || phase_ == phase::identifying ||
              phase_ == phase::resuming || phase_ == phase::ready;
  phase_ = phase::stopped;
  ready_ = false;
  forget_session();  // 1000 ends it on Discord's side too
  next_heartbeat_.reset();
  hello_deadline_.reset();
  ready_deadline_.reset();
  if (!open) return {};
  gateway_action a = make(gateway_action::kind::close);
  a.code = 1000;
  return {a};
}

std::vector<gateway_action> gateway_session::send_event(std::string payload, clock::time_point now) {
  std::vector<gateway_action> out;
  if (phase_ != phase::ready) return out;
  emit(std::move(payload), now, budget_app, out);
  return out;
}

}  // namespace mlpath::discord

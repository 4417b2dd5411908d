#include "adapters/slack/socket_mode.hpp"

#include <simdjson.h>

#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>

#include "adapters/common/backoff.hpp"
#include "adapters/common/json_reader.hpp"
#include "adapters/common/json_util.hpp"

namespace mlpath::slack {
namespace {

namespace od = simdjson::ondemand;
using std::chrono::milliseconds;

constexpr adapters::json_limits limits{"Slack", 256, 256};
constexpr std::size_t max_frame = 1 << 20;  // Slack's payloads are far smaller

socket_action make(socket_action::kind k, int connection = 0) {
  socket_action a;
  a.what = k;
  a.connection = connection;
  return a;
}

socket_action log_line(std::string event, std::string text) {
  socket_action a = make(socket_action::kind::log);
  a.event = std::move(event);
  a.text = std::move(text);
  return a;
}

std::string seconds_text(milliseconds d) {
  auto tenths = (d.count() + 50) / 100;
  return std::to_string(tenths / 10) + "." + std::to_string(tenths % 10) + " s";
}

}  // namespace

std::variant<socket_frame, std::string> parse_socket_frame(std::string_view text) {
  if (text.size() > max_frame) return std::string("a frame larger than 1 MiB");
  try {
    socket_frame f;
    adapters::json_reader r(limits);
    bool has_payload = false;
    auto field = [&](std::string_view key, od::value& v) {
      if (key == "type") return r.id(v, f.type);
      if (key == "reason") return r.id(v, f.reason);
      if (key == "envelope_id") return r.id(v, f.envelope_id);
      if (key == "accepts_response_payload") return r.boolean(v, f.accepts_response_payload);
      if (key == "retry_attempt") return r.integer(v, f.retry_attempt);
      if (key == "retry_reason") return r.id(v, f.retry_reason);
      if (key != "payload") return true;
      od::json_type t{};
      if (!r.type_of(v, t)) return false;
      if (t != od::json_type::object) return true;
      std::string_view raw;
      if (!r.raw(v, raw)) return false;
      f.payload.assign(raw);
      has_payload = true;
      return true;
    };
    auto failed = adapters::read_json_object(text, [&](od::object obj) -> std::optional<std::string> {
      if (!r.fields(obj, field)) return r.error_;
      return std::nullopt;
    });
    if (failed) return *failed;
    if (f.type == "hello") f.what = socket_frame::kind::hello;
    else if (f.type == "disconnect") f.what = socket_frame::kind::disconnect;
    else if (!f.envelope_id.empty()) f.what = socket_frame::kind::envelope;
    else if (f.type == "events_api" || f.type == "slash_commands" || f.type == "interactive")
      return "a " + f.type + " envelope without an envelope_id";
    if (f.what == socket_frame::kind::envelope && !has_payload) f.payload = "{}";
    return f;
  } catch (const std::exception& e) {
    return std::string("could not read the frame: ") + e.what();
  }
}

std::string socket_ack(std::string_view envelope_id, std::string_view payload_json) {
  std::string out = "{\"envelope_id\":";
  out += boost::json::serialize(boost::json::string(envelope_id));
  if (!payload_json.empty()) {
    out += ",\"payload\":";
    out += payload_json;
  }
  out += '}';
  return out;
}

bool is_fatal_open_error(std::string_view error) {
  return error == "invalid_auth" || error == "not_authed" || error == "account_inactive" ||
         error == "token_revoked" || error == "not_allowed_token_type" || error == "missing_scope" ||
         error == "invalid_token";
}

socket_mode_session::socket_mode_session(random_fn random, timings t) : random_(std::move(random)), t_(t) {}

std::vector<socket_action> socket_mode_session::start(clock::time_point now) {
  std::vector<socket_action> out;
  if (phase_ != phase::idle) return out;
  phase_ = phase::running;
  open_at_ = now;
  auto more = on_timer(now);
  out.insert(out.end(), more.begin(), more.end());
  return out;
}

bool socket_mode_session::ready() const {
  for (const auto& [id, c] : conns_)
    if (c.st == state::live || c.st == state::draining) return true;
  return false;
}

bool socket_mode_session::replacement_under_way(int except) const {
  if (opening_ || open_at_) return true;
  for (const auto& [id, c] : conns_) {
    if (id == except) continue;
    if (c.st == state::connecting || c.st == state::hello_wait || c.st == state::live) return true;
  }
  return false;
}

void socket_mode_session::schedule_open(clock::time_point now, milliseconds at_least, bool after_failure) {
  milliseconds delay{0};
  if (after_failure) {
    ++failures_;
    adapters::backoff_policy policy{t_.first_backoff, t_.max_backoff, adapters::backoff_policy::jitter::full};
    delay = policy.delay(failures_, random_ ? random_() : 0.0);
  }
  delay = std::max(delay, at_least);
  open_at_ = now + delay;
}

void socket_mode_session::note_alive(connection& c, clock::time_point) { c.ping_sent.reset(); }

void socket_mode_session::close_connection(int id, connection& c, std::vector<socket_action>& out) {
  if (c.st == state::closing) return;
  c.st = state::closing;
  out.push_back(make(socket_action::kind::close, id));
}

void socket_mode_session::fail(std::string why, std::vector<socket_action>& out) {
  phase_ = phase::fatal;
  fatal_reason_ = why;
  open_at_.reset();
  for (auto& [id, c] : conns_) close_connection(id, c, out);
  socket_action a = make(socket_action::kind::fatal);
  a.text = std::move(why);
  out.push_back(std::move(a));
}

std::vector<socket_action> socket_mode_session::on_open_result(const socket_open_result& r, clock::time_point now) {
  std::vector<socket_action> out;
  if (phase_ != phase::running) return out;
  opening_ = false;
  switch (r.what) {
    case socket_open_result::kind::ok: {
      if (r.url.empty()) {
        schedule_open(now, milliseconds{0}, true);
        out.push_back(log_line("open_failed", "Socket Mode: apps.connections.open gave no URL; retrying"));
        break;
      }
      // A connection that said hello meanwhile makes this one unneeded.
      for (const auto& [id, c] : conns_)
        if (c.st == state::live) return out;
      int id = next_id_++;
      conns_[id] = connection{state::connecting, now, {}, {}, std::nullopt};
      socket_action a = make(socket_action::kind::connect, id);
      a.url = r.url;
      out.push_back(std::move(a));
      break;
    }
    case socket_open_result::kind::rate_limited:
      schedule_open(now, r.retry_after, true);
      out.push_back(log_line("rate_limited", "Socket Mode: apps.connections.open is rate-limited; retrying in " +
                             seconds_text(std::chrono::duration_cast<milliseconds>(*open_at_ - now))));
      break;
    case socket_open_result::kind::fatal:
      fail("Socket Mode stopped: apps.connections.open answered " + r.error +
               "; check SLACK_APP_TOKEN (an app-level xapp- token with the connections:write scope)",
           out);
      break;
    case socket_open_result::kind::transient:
      schedule_open(now, milliseconds{0}, true);
      out.push_back(log_line("open_failed", "Socket Mode: apps.connections.open failed (" + r.error + "); retrying in " +
                             seconds_text(std::chrono::duration_cast<milliseconds>(*open_at_ - now))));
      break;
  }
  return out;
}

std::vector<socket_action> socket_mode_session::on_connected(int id, clock::time_point now) {
  auto it = conns_.find(id);
  if (it == conns_.end() || it->second.st != state::connecting) return {};
  it->second.st = state::hello_wait;
  it->second.since = now;
  return {};
}

std::vector<socket_action> socket_mode_session::on_message(int id, std::string_view text, clock::time_point now) {
  std::vector<socket_action> out;
  auto it = conns_.find(id);
  if (it == conns_.end() || phase_ != phase::running) return out;
  connection& c = it->second;
  note_alive(c, now);
  auto parsed = parse_socket_frame(text);
  if (auto* error = std::get_if<std::string>(&parsed)) {
    out.push_back(log_line("bad_frame", "Socket Mode: ignored a frame: " + *error));
    return out;
  }
  socket_frame& f = std::get<socket_frame>(parsed);
  switch (f.what) {
    case socket_frame::kind::hello: {
      if (c.st != state::hello_wait && c.st != state::connecting) break;
      c.st = state::live;
      c.since = c.live_since = now;
      c.next_ping = now + t_.ping_interval;
      c.ping_sent.reset();
      open_at_.reset();
      out.push_back(log_line("hello", "Socket Mode: connected"));
      // The new connection is up: the ones it replaces close now.
      for (auto& [other, oc] : conns_)
        if (other != id && oc.st != state::closing) close_connection(other, oc, out);
      break;
    }
    case socket_frame::kind::disconnect: {
      if (f.reason == "link_disabled") {
        fail("Socket Mode stopped: Slack disabled this app's Socket Mode connection (link_disabled); turn Socket Mode "
             "back on in the app's settings",
             out);
        break;
      }
      out.push_back(log_line("disconnect", "Socket Mode: Slack asked to reconnect (" + (f.reason.empty() ? "no reason" : f.reason) +
                             "); the new connection takes over after its hello"));
      if (c.st == state::live) c.st = state::draining;
      else if (c.st != state::draining) close_connection(id, c, out);  // never said hello: of no use
      if (!replacement_under_way(id)) open_at_ = now;
      break;
    }
    case socket_frame::kind::envelope: {
      socket_action a = make(socket_action::kind::envelope, id);
      a.frame = std::move(f);
      out.push_back(std::move(a));
      break;
    }
    case socket_frame::kind::other: break;
  }
  auto more = on_timer(now);
  out.insert(out.end(), std::make_move_iterator(more.begin()), std::make_move_iterator(more.end()));
  return out;
}

void socket_mode_session::on_control_frame(int id, clock::time_point now) {
  auto it = conns_.find(id);
  if (it != conns_.end()) note_alive(it->second, now);
}

std::vector<socket_action> socket_mode_session::on_closed(int id, clock::time_point now) {
  auto it = conns_.find(id);
  if (it == conns_.end()) return {};
  connection c = it->second;
  conns_.erase(it);
  if (phase_ != phase::running) return {};
  bool had_hello = c.live_since != clock::time_point{};
  if (had_hello && now - c.live_since >= t_.stable_after) failures_ = 0;
  if (!replacement_under_way(0)) schedule_open(now, milliseconds{0}, true);
  return on_timer(now);
}

std::vector<socket_action> socket_mode_session::on_timer(clock::time_point now) {
  std::vector<socket_action> out;
  if (phase_ != phase::running) return out;
  for (auto& [id, c] : conns_) {
    switch (c.st) {
      case state::connecting:
      case state::hello_wait:
        if (now >= c.since + t_.hello_timeout) {
          out.push_back(log_line("no_hello", "Socket Mode: no hello within " + seconds_text(t_.hello_timeout) + "; reconnecting"));
          close_connection(id, c, out);
          if (!replacement_under_way(id)) schedule_open(now, milliseconds{0}, true);
        }
        break;
      case state::live:
      case state::draining:
        if (c.ping_sent && now >= *c.ping_sent + t_.pong_timeout) {
          out.push_back(
              log_line("half_open", "Socket Mode: no frame within " + seconds_text(t_.pong_timeout) +
                                    " of a ping (a half-open socket); reconnecting"));
          bool was_live = c.st == state::live;
          if (now - c.live_since >= t_.stable_after) failures_ = 0;
          close_connection(id, c, out);
          if (was_live && !replacement_under_way(id)) schedule_open(now, milliseconds{0}, true);
        } else if (!c.ping_sent && now >= c.next_ping) {
          out.push_back(make(socket_action::kind::ping, id));
          c.ping_sent = now;
          c.next_ping = now + t_.ping_interval;
        }
        break;
      case state::closing: break;
    }
  }
  if (open_at_ && now >= *open_at_ && !opening_) {
    open_at_.reset();
    opening_ = true;
    out.push_back(make(socket_action::kind::open));
  }
  return out;
}

std::optional<socket_mode_session::clock::time_point> socket_mode_session::next_deadline() const {
  if (phase_ != phase::running) return std::nullopt;
  std::optional<clock::time_point> at;
  auto consider = [&](clock::time_point t) {
    if (!at || t < *at) at = t;
  };
  if (open_at_ && !opening_) consider(*open_at_);
  for (const auto& [id, c] : conns_) {
    switch (c.st) {
      case state::connecting:
      case state::hello_wait: consider(c.since + t_.hello_timeout); break;
      case state::live:
      case state::draining: consider(c.ping_sent ? *c.ping_sent + t_.pong_timeout : c.next_ping); break;
      case state::closing: break;
    }
  }
  return at;
}

std::vector<socket_action> socket_mode_session::ack(int id, std::string_view envelope_id, std::string_view payload_json) {
  auto it = conns_.find(id);
  if (it == conns_.end()) return {};
  state st = it->second.st;
  if (st == state::closing || st == state::connecting) return {};
  socket_action a = make(socket_action::kind::send, id);
  a.text = socket_ack(envelope_id, payload_json);
  return {std::move(a)};
}

std::vector<socket_action> socket_mode_session::stop(clock::time_point) {
  std::vector<socket_action> out;
  if (phase_ == phase::running) phase_ = phase::stopped;
  open_at_.reset();
  for (auto& [id, c] : conns_) close_connection(id, c, out);
  return out;
}

}  // namespace mlpath::slack

#include "adapters/slack/web_api.hpp"

#include <simdjson.h>

#include <boost/json.hpp>

#include <algorithm>
#include <array>
#include <charconv>

#include "adapters/common/json_reader.hpp"
#include "adapters/common/json_util.hpp"

namespace mlpath::slack {
namespace {

namespace od = simdjson::ondemand;

constexpr std::size_t max_field = 8192;
constexpr std::size_t max_messages = 32;
constexpr std::size_t max_history = 1000;  // conversations.history pages hold at most 999
// A Retry-After beyond this is treated as this: a misbehaving server must not park a
// workspace's sends for days.
constexpr std::chrono::seconds max_retry_after{3600};

std::optional<std::chrono::seconds> parse_retry_after(std::string_view h) {
  while (!h.empty() && (h.front() == ' ' || h.front() == '\t')) h.remove_prefix(1);
  while (!h.empty() && (h.back() == ' ' || h.back() == '\t')) h.remove_suffix(1);
  if (h.empty()) return std::nullopt;
  long long v = 0;
  auto [ptr, ec] = std::from_chars(h.data(), h.data() + h.size(), v);
  // Slack sends whole seconds; an HTTP date or garbage is not something to wait for.
  if (ec == std::errc::result_out_of_range) return max_retry_after;
  if (ec != std::errc() || ptr != h.data() + h.size() || v < 0) return std::nullopt;
  return std::min(std::chrono::seconds(v), max_retry_after);
}

// A response is Slack's answer to our own call, so nothing in it is refused for length:
// str() clips to max_field instead (id() and text() are not used here).
constexpr adapters::json_limits limits{"Slack", max_field, max_field};

class response_reader : public adapters::json_reader {
 public:
  explicit response_reader(api_response& r) : adapters::json_reader(limits), r_(r) {}
  bool has_ok_ = false;

  bool top(od::object obj) {
    return fields(obj, [&](std::string_view key, od::value& v) {
      bool ok = true;
      if (key == "ok") ok = boolean(v, r_.ok, &has_ok_);
      else if (key == "error") ok = str(v, r_.error);
      else if (key == "needed") ok = str(v, r_.needed);
      else if (key == "provided") ok = str(v, r_.provided);
      else if (key == "warning") ok = str(v, r_.warning);
      else if (key == "response_metadata") ok = fields(v, [&](std::string_view k, od::value& m) { return metadata(k, m); });
      else if (key == "ts") ok = str(v, r_.ts);
      // chat.postMessage: "channel": "C1"; conversations.open: "channel": {"id": "D1"}
      else if (key == "channel") ok = bare_or_object_id(v, [&](od::value& c) { return str(c, r_.channel_id); });
      else if (key == "user_id") ok = str(v, r_.user_id);
      else if (key == "bot_id") ok = str(v, r_.bot_id);
      // auth.test: "team_id"; oauth.v2.access: "team": {"id": ...} (auth.test's "team" is a name)
      else if (key == "team_id") ok = str(v, r_.team_id);
      else if (key == "team") ok = field_of(v, "id", r_.team_id);  // null for an org-wide install
      // auth.test: "enterprise_id"; oauth.v2.access: "enterprise": {"id": ...} or null
      else if (key == "enterprise_id") ok = str(v, r_.enterprise_id);
      else if (key == "enterprise") ok = field_of(v, "id", r_.enterprise_id);
      else if (key == "is_enterprise_install") ok = boolean(v, r_.is_enterprise_install);
      else if (key == "app_id") ok = str(v, r_.app_id);
      else if (key == "bot_user_id") ok = str(v, r_.bot_user_id);
      else if (key == "access_token") ok = str(v, r_.access_token);
      else if (key == "refresh_token") ok = str(v, r_.refresh_token);
      else if (key == "expires_in") ok = integer(v, r_.expires_in);
      else if (key == "token_type") ok = str(v, r_.token_type);
      else if (key == "scope") ok = str(v, r_.scope);
      else if (key == "authed_user") ok = field_of(v, "id", r_.user_id);
      else if (key == "user") ok = field_of(v, "tz", r_.tz);
      else if (key == "url") ok = str(v, r_.url);
      else if (key == "messages") ok = history(v);
      return ok;
    });
  }

 private:
  api_response& r_;

  bool str(od::value& v, std::string& out) {
    std::optional<std::string_view> s;
    if (!string(v, s)) return false;
    if (s) out.assign(s->substr(0, max_field));
    return true;
  }

  // One string member of an object value; skipped when `v` is not an object.
  bool field_of(od::value& v, std::string_view name, std::string& out) {
    return fields(v, [&](std::string_view key, od::value& child) { return key == name ? str(child, out) : true; });
  }

  // conversations.history: each message's ts and, for ours, the outbox id in its metadata.
  bool history(od::value& v) {
    return items(v, [&](od::value& item) {
      if (r_.history.size() >= max_history) return true;
      history_message m;
      bool ok = fields(item, [&](std::string_view k, od::value& f) {
        if (k == "ts") return str(f, m.ts);
        if (k != "metadata") return true;
        return fields(f, [&](std::string_view mk, od::value& mv) {
          if (mk == "event_type") return str(mv, m.event_type);
          if (mk != "event_payload") return true;
          return fields(mv, [&](std::string_view pk, od::value& pv) {
            if (pk != "id") return true;
            std::int64_t n = 0;
            bool number = false;
            if (!integer(pv, n, &number)) return false;
            if (number) {
              m.outbox_id = std::to_string(n);
              return true;
            }
            return str(pv, m.outbox_id);
          });
        });
      });
      if (ok) r_.history.push_back(std::move(m));
      return ok;
    });
  }

  bool metadata(std::string_view key, od::value& v) {
    if (key == "next_cursor") return str(v, r_.next_cursor);
    bool is_messages = key == "messages";
    if (!is_messages && key != "warnings") return true;
    return items(v, [&](od::value& item) {
      std::string s;
      if (!str(item, s)) return false;
      if (s.empty()) return true;
      if (is_messages) {
        if (r_.messages.size() < max_messages) r_.messages.push_back(std::move(s));
      } else if (r_.warning.find(s) == std::string::npos && r_.warning.size() < max_field) {
        // Warnings come as "warning" (comma-separated) and response_metadata.warnings.
        r_.warning += (r_.warning.empty() ? "" : ",") + s;
      }
      return true;
    });
  }
};

struct method_tier {
  std::string_view method;
  int tier;
};

// From Slack's published tiers (java-slack-sdk metadata/web-api/rate_limit_tiers.json) for
// the methods mlpath calls or may call. 0 = chat.postMessage's special per-channel limit.
constexpr std::array<method_tier, 31> tiers{{
    {"apps.connections.open", 1},
    {"auth.test", 4},  // "special": far more generous than tier 4; tier 4 is safe
    {"bots.info", 3},
    {"chat.delete", 3},
    {"chat.getPermalink", 4},
    {"chat.postEphemeral", 4},
    {"chat.postMessage", 0},
    {"chat.scheduleMessage", 3},
    {"chat.update", 3},
    {"conversations.history", 3},
    {"conversations.info", 3},
    {"conversations.list", 2},
    {"conversations.members", 4},
    {"conversations.open", 3},
    {"conversations.replies", 3},
    {"oauth.v2.access", 4},
    {"oauth.v2.exchange", 3},
    {"reactions.add", 3},
    {"team.info", 3},
    {"users.conversations", 2},
    {"users.info", 4},
    {"users.list", 2},
    {"users.lookupByEmail", 3},
    {"users.profile.get", 4},
    {"views.open", 4},
    {"views.publish", 4},
    {"views.push", 4},
    {"views.update", 4},
    {"auth.revoke", 3},
    {"apps.uninstall", 1},
    {"team.profile.get", 3},
}};

// A method we have not classified gets tier 2 (20+/min): slow, but never a 429 storm.
constexpr int default_tier = 2;
// Calls that may go back to back before the spacing applies ("bursts are allowed").
constexpr int burst = 3;

std::chrono::milliseconds spacing_of(int tier) {
  switch (tier) {
    case 0: return std::chrono::milliseconds(1000);  // chat.postMessage: 1 per second per channel
    case 1: return std::chrono::milliseconds(60000);
    case 2: return std::chrono::milliseconds(60000 / 20);
    case 3: return std::chrono::milliseconds(60000 / 50);
    default: return std::chrono::milliseconds(60000 / 100);
  }
}

// Idle buckets are forgotten once there are this many, so per-channel keys stay bounded.
constexpr std::size_t prune_above = 4096;

}  // namespace

bool api_response::transient() const {
  if (http_status == 0) return true;  // no answer: refused, reset, timed out or cut short
  if (http_status == 429 || (http_status >= 500 && http_status <= 599)) return true;
  static constexpr std::string_view retry_errors[] = {"ratelimited", "rate_limited", "internal_error", "fatal_error",
                                                      "service_unavailable", "request_timeout"};
  return std::find(std::begin(retry_errors), std::end(retry_errors), error) != std::end(retry_errors);
}

std::string api_response::retry_reason() const {
  if (http_status == 0) return transport_failure.empty() ? "closed" : transport_failure;
  if (http_status == 429 || error == "ratelimited" || error == "rate_limited") return "rate_limited";
  return "server_error";
}

boost::json::object outbox_metadata(std::int64_t outbox_id) {
  return boost::json::object{{"event_type", outbox_event_type},
                             {"event_payload", boost::json::object{{"id", std::to_string(outbox_id)}}}};
}

std::optional<std::string> find_outbox_post(const api_response& history, std::int64_t outbox_id) {
  std::string id = std::to_string(outbox_id);
  for (const auto& m : history.history)
    if (m.event_type == outbox_event_type && m.outbox_id == id) return m.ts;
  return std::nullopt;
}

api_response parse_api_response(int http_status, std::string_view retry_after_header, std::string_view body) {
  api_response r;
  r.http_status = http_status;
  r.retry_after = parse_retry_after(retry_after_header);
  bool parsed = false;
  try {
    thread_local od::parser parser;
    simdjson::padded_string padded(body);
    od::document doc;
    od::object obj;
    if (!parser.iterate(padded).get(doc) && !doc.get_object().get(obj)) {
      response_reader reader(r);
      parsed = reader.top(obj) && reader.has_ok_ && adapters::at_document_end(doc);
    }
  } catch (...) {
    parsed = false;
  }
  if (!parsed) {
    api_response bad;
    bad.http_status = http_status;
    bad.retry_after = r.retry_after;
    bad.ok = false;
    bad.error = http_status == 429 ? "ratelimited" : "invalid_response";
    return bad;
  }
  // ok:true with a failing status is not success (a proxy's page, a half-applied call).
  if (http_status < 200 || http_status > 299) r.ok = false;
  if (!r.ok && r.error.empty()) {
    if (http_status == 429) r.error = "ratelimited";
    else if (http_status >= 200 && http_status <= 299) r.error = "unknown_error";
    else r.error = "http_" + std::to_string(http_status);
  }
  return r;
}

int tier_of(std::string_view method) {
  for (const auto& t : tiers)
    if (t.method == method) return t.tier;
  return default_tier;
}

rate_limiter::clock::time_point rate_limiter::reserve(std::string_view team, std::string_view method,
                                                      std::string_view channel, clock::time_point now) {
  // Idle buckets are dropped now and then; the next sweep waits until the map has doubled,
  // so many busy channels cost one pass per doubling rather than one per call.
  if (buckets_.size() > prune_at_) {
    for (auto it = buckets_.begin(); it != buckets_.end();) {
      if (it->second.next <= now && it->second.blocked_until <= now) it = buckets_.erase(it);
      else ++it;
    }
    prune_at_ = std::max(prune_above, 2 * buckets_.size());
  }
  int tier = tier_of(method);
  auto spacing = spacing_of(tier);
  // A 429 blocks the whole method for the workspace; per-channel buckets live beside it.
  clock::time_point blocked_until{};
  if (auto it = buckets_.find(std::make_tuple(std::string(team), std::string(method), std::string()));
      it != buckets_.end())
    blocked_until = it->second.blocked_until;
  bucket& b = buckets_[std::make_tuple(std::string(team), std::string(method),
                                       tier == 0 ? std::string(channel) : std::string())];
  // Generic cell rate: `next` is when the bucket would be empty again; up to `burst` calls
  // may be ahead of it.
  auto tolerance = spacing * (burst - 1);
  clock::time_point at = now;
  if (b.next - tolerance > at) at = b.next - tolerance;
  at = std::max({at, blocked_until, b.blocked_until});
  b.next = std::max(b.next, at) + spacing;
  return at;
}

void rate_limiter::blocked(std::string_view team, std::string_view method, std::chrono::seconds retry_after,
                           clock::time_point now) {
  bucket& b = buckets_[std::make_tuple(std::string(team), std::string(method), std::string())];
  b.blocked_until = std::max(b.blocked_until, now + retry_after);
}

}  // namespace mlpath::slack

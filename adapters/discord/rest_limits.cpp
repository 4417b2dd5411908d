#include "adapters/discord/rest_limits.hpp"

#include <simdjson.h>

#include <algorithm>
#include <charconv>
#include <cmath>

#include "adapters/discord/json_read.hpp"
#include "dialogs/text_input.hpp"

namespace mlpath::discord {
namespace {

using namespace std::chrono;

constexpr double max_wait_seconds = 24 * 3600.0;  // a longer Retry-After is not believed
constexpr auto sweep_every = minutes(5);
constexpr auto idle_bucket = hours(1);

using dialogs::trim;

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::optional<int> to_int(std::string_view s) {
  s = trim(s);
  int v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

// Fractional seconds ("64.57"): parsed as such, never truncated to whole seconds.
std::optional<double> to_seconds(std::string_view s) {
  s = trim(s);
  double v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || p != s.data() + s.size() || !std::isfinite(v) || v < 0) return std::nullopt;
  return std::min(v, max_wait_seconds);
}

rest_limiter::clock::duration seconds_to_duration(double s) {
  // Rounded up: 64.57 is 64.569999... in binary, and a nanosecond early is early.
  return ceil<rest_limiter::clock::duration>(duration<double>(std::clamp(s, 0.0, max_wait_seconds)));
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
           return lower(x) == lower(y);
         });
}

// FNV-1a: distinct webhook tokens get distinct keys without the token being in the key.
std::string token_tag(std::string_view token) {
  std::uint64_t h = 1469598103934665603ull;
  for (char c : token) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ull;
  }
  static const char* digits = "0123456789abcdef";
  std::string out = "~";
  for (int i = 15; i >= 0; --i) out += digits[(h >> (4 * i)) & 0xF];
  return out;
}

std::vector<std::string_view> segments(std::string_view path) {
  std::vector<std::string_view> out;
  while (!path.empty()) {
    auto slash = path.find('/');
    std::string_view seg = path.substr(0, slash);
    if (!seg.empty()) out.push_back(seg);
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return out;
}

struct route_parts {
  std::string tmpl;   // "POST /channels/:major/messages"
  std::string major;  // "123" ("" when the route has none)
};

route_parts split_route(std::string_view route) {
  auto space = route.find(' ');
  std::string_view method = route.substr(0, space);
  std::string_view path = space == std::string_view::npos ? std::string_view() : route.substr(space + 1);
  auto segs = segments(path);
  route_parts out;
  out.tmpl = std::string(method) + " ";
  for (std::size_t i = 0; i < segs.size(); ++i) {
    bool major = false;
    if (!segs.empty() && (segs[0] == "channels" || segs[0] == "guilds") && i == 1) major = true;
    if (!segs.empty() && segs[0] == "webhooks" && (i == 1 || i == 2)) major = true;
    out.tmpl += "/";
    if (major) {
      out.tmpl += ":major";
      out.major += (out.major.empty() ? "" : "/") + std::string(segs[i]);
    } else {
      out.tmpl += segs[i];
    }
  }
  return out;
}

}  // namespace

rest_error parse_rest_error(std::string_view body) {
  rest_error out;
  if (body.empty() || body.size() > (1u << 20)) return out;
  try {
    namespace od = simdjson::ondemand;
    thread_local od::parser parser;
    simdjson::padded_string padded(body);
    od::document doc;
    od::object obj;
    if (parser.iterate(padded).get(doc) || doc.get_object().get(obj)) return out;
    detail::json_reader r;
    rest_error e;
    bool ok = r.fields(obj, [&](std::string_view k, od::value& v) {
      if (k == "code") return r.integer(v, e.code);
      if (k == "message") return r.text(v, e.message, 2000);
      if (k == "retry_after") {
        std::optional<double> d;
        if (!r.number(v, d)) return false;
        if (d && std::isfinite(*d) && *d >= 0) e.retry_after = std::min(*d, max_wait_seconds);
        return true;
      }
      if (k == "global") return r.boolean(v, e.global);
      return true;
    });
    if (ok) out = std::move(e);
  } catch (...) {
  }
  return out;
}

std::string route_key(std::string_view method, std::string_view path) {
  std::string m(method);
  for (char& c : m)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  if (auto scheme = path.find("://"); scheme != std::string_view::npos) {
    auto slash = path.find('/', scheme + 3);
    path = slash == std::string_view::npos ? std::string_view("/") : path.substr(slash);
  }
  path = path.substr(0, path.find_first_of("?#"));
  auto segs = segments(path);
  std::size_t start = 0;
  if (start < segs.size() && segs[start] == "api") {
    ++start;
    if (start < segs.size() && segs[start].size() > 1 && segs[start][0] == 'v' && all_digits(segs[start].substr(1))) ++start;
  }
  segs.erase(segs.begin(), segs.begin() + static_cast<std::ptrdiff_t>(start));

  if (!segs.empty() && segs[0] == "interactions") {
    std::string key = m + " /interactions/:id/:token";
    for (std::size_t i = 3; i < segs.size(); ++i) key += "/" + std::string(all_digits(segs[i]) ? ":id" : segs[i]);
    return key;
  }
  std::string key = m + " ";
  bool top_major = !segs.empty() && (segs[0] == "channels" || segs[0] == "guilds");
  bool webhook = !segs.empty() && segs[0] == "webhooks";
  for (std::size_t i = 0; i < segs.size(); ++i) {
    key += "/";
    if (top_major && i == 1) key += segs[i];
    else if (webhook && i == 1) key += segs[i];
    else if (webhook && i == 2) key += token_tag(segs[i]);
    else if (all_digits(segs[i])) key += ":id";
    else key += segs[i];
    if (segs[i] == "reactions" && i + 1 < segs.size()) {
      // Every emoji (and @me / user ids after it) shares one bucket.
      key += "/:reaction";
      break;
    }
  }
  if (segs.empty()) key += "/";
  return key;
}

bool is_interaction_callback(std::string_view route) {
  return route.substr(0, 19) == "POST /interactions/";
}

std::string rest_limiter::bucket_of(const std::string& route) const {
  route_parts p = split_route(route);
  auto it = route_bucket_.find(p.tmpl);
  if (it == route_bucket_.end()) return "route:" + route;
  return "hash:" + it->second + "/" + p.major;
}

rest_limiter::bucket_state& rest_limiter::state_for(const std::string& key, clock::time_point now) {
  bucket_state& st = buckets_[key];
  st.last_used = now;
  return st;
}

// Requests still waiting for their update(); one whose response never came (and was never
// reported) stops counting after inflight_timeout, so a lost update cannot starve a bucket.
int rest_limiter::inflight_count(bucket_state& st, clock::time_point now) {
  auto horizon = now - duration_cast<clock::duration>(inflight_timeout);
  st.inflight.erase(st.inflight.begin(), std::upper_bound(st.inflight.begin(), st.inflight.end(), horizon));
  return static_cast<int>(st.inflight.size());
}

// The earliest time at or after `t` that keeps every global send `global_spacing` away
// from every other; reserved slots in the future do not hold back earlier ones.
rest_limiter::clock::time_point rest_limiter::global_slot(clock::time_point t) {
  const auto gap = duration_cast<clock::duration>(global_spacing);
  auto it = std::upper_bound(global_slots_.begin(), global_slots_.end(), t - gap);
  clock::time_point s = t;
  while (it != global_slots_.end() && *it < s + gap) {
    s = std::max(s, *it + gap);
    ++it;
  }
  global_slots_.insert(it, s);
  return s;
}

rest_limiter::clock::time_point rest_limiter::reserve(const std::string& route, clock::time_point now) {
  if (is_interaction_callback(route)) return now;
  sweep(now);
  bucket_state& st = state_for(bucket_of(route), now);
  clock::time_point t = std::max(now, st.blocked_until);
  if (st.limit >= 0) {
    if (t >= st.reset_at) {
      // The window Discord told us about is over by then: assume a fresh one.
      st.remaining = st.limit;
      st.reset_at = t + st.window + reset_margin;
    }
    if (st.remaining > 0) {
      --st.remaining;
    } else {
      // Exhausted: this request opens the next window.
      t = st.reset_at;
      st.reset_at = t + st.window + reset_margin;
      st.remaining = std::max(st.limit - 1, 0);
    }
  }
  t = global_slot(std::max(t, global_blocked_until_));
  st.inflight.insert(std::upper_bound(st.inflight.begin(), st.inflight.end(), t), t);
  return t;
}

void rest_limiter::update(const std::string& route, const rest_response_info& r, clock::time_point now) {
  bool invalid = r.status == 401 || r.status == 403 || (r.status == 429 && !iequals(trim(r.scope), "shared"));
  if (invalid) {
    invalid_.erase(invalid_.begin(), std::upper_bound(invalid_.begin(), invalid_.end(), now - invalid_window));
    invalid_.insert(std::upper_bound(invalid_.begin(), invalid_.end(), now), now);
  }
  if (r.status == 401) unauthorized_ = true;
  if (is_interaction_callback(route)) return;

  std::string old_key = bucket_of(route);
  std::string_view hash = trim(r.bucket);
  if (!hash.empty() && hash.size() <= 128) route_bucket_[split_route(route).tmpl] = std::string(hash);
  std::string key = bucket_of(route);
  if (key != old_key) {
    // The route's bucket became known (or changed): its requests in flight go along.
    auto old = buckets_.find(old_key);
    if (old != buckets_.end()) {
      std::vector<clock::time_point> moving = std::move(old->second.inflight);
      old->second.inflight.clear();
      if (old_key.rfind("route:", 0) == 0) buckets_.erase(old);
      auto& into = state_for(key, now).inflight;
      into.insert(into.end(), moving.begin(), moving.end());
      std::sort(into.begin(), into.end());
    }
  }
  bucket_state& st = state_for(key, now);
  // Responses come back roughly in the order the requests went out.
  if (inflight_count(st, now) > 0) st.inflight.erase(st.inflight.begin());
  if (r.status == 0) return;  // no response: nothing learned

  if (auto reset_after = to_seconds(r.reset_after)) {
    // Reset-After, not Reset: a duration needs no agreement between clocks.
    st.window = seconds_to_duration(*reset_after);
    st.reset_at = now + st.window + reset_margin;
  }
  if (auto limit = to_int(r.limit); limit && *limit >= 0) st.limit = *limit;
  if (auto remaining = to_int(r.remaining); remaining && st.limit >= 0)
    st.remaining = std::max(*remaining - inflight_count(st, now), 0);

  if (r.status == 429) {
    rest_error e = parse_rest_error(r.body);
    // The body's retry_after keeps its fraction; Retry-After is rounded up to whole seconds.
    std::optional<double> wait = e.retry_after;
    if (!wait) wait = to_seconds(r.retry_after_header);
    if (!wait) wait = to_seconds(r.reset_after);
    if (!wait) wait = 1.0;
    clock::time_point until = now + seconds_to_duration(*wait);
    bool global = e.global || iequals(trim(r.global), "true") || iequals(trim(r.scope), "global");
    if (global) {
      global_blocked_until_ = std::max(global_blocked_until_, until);
    } else {
      // A 429 can come with Remaining > 0 (shared and sub-limits): the wait is what counts.
      st.blocked_until = std::max(st.blocked_until, until);
      st.remaining = 0;
      st.reset_at = std::max(st.reset_at, until);
    }
  }
}

int rest_limiter::invalid_recent(clock::time_point now) const {
  auto from = std::upper_bound(invalid_.begin(), invalid_.end(), now - invalid_window);
  return static_cast<int>(std::distance(from, invalid_.end()));
}

void rest_limiter::sweep(clock::time_point now) {
  const auto gap = duration_cast<clock::duration>(global_spacing);
  global_slots_.erase(global_slots_.begin(), std::upper_bound(global_slots_.begin(), global_slots_.end(), now - gap));
  if (now - last_sweep_ < sweep_every) return;
  last_sweep_ = now;
  // One bucket per DM channel adds up; idle ones go (Discord refills them anyway).
  for (auto it = buckets_.begin(); it != buckets_.end();) {
    const bucket_state& st = it->second;
    if (inflight_count(it->second, now) == 0 && st.blocked_until <= now && st.reset_at <= now && now - st.last_used > idle_bucket)
      it = buckets_.erase(it);
    else
      ++it;
  }
  invalid_.erase(invalid_.begin(), std::upper_bound(invalid_.begin(), invalid_.end(), now - invalid_window));
}

}  // namespace mlpath::discord

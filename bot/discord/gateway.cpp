#include "bot/discord/gateway.hpp"

#include <spdlog/spdlog.h>

#include <boost/json.hpp>
#include <charconv>
#include <optional>
#include <random>
#include <stdexcept>

#include "adapters/discord/gateway_session.hpp"
#include "adapters/discord/identify_gate.hpp"
#include "bot/net/ws_client.hpp"

namespace mlpath {

shard_range parse_shards(const std::string& spec) {
  auto bad = [&] { return std::invalid_argument("DISCORD_SHARDS must look like 0-3/8 or 2/8, not \"" + spec + "\""); };
  auto num = [&](std::string_view s) {
    int v = -1;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size() || v < 0) throw bad();
    return v;
  };
  auto slash = spec.find('/');
  if (slash == std::string::npos) throw bad();
  std::string_view range(spec.data(), slash);
  shard_range r;
  r.count = num(std::string_view(spec).substr(slash + 1));
  auto dash = range.find('-');
  r.first = num(range.substr(0, dash));
  r.last = dash == std::string_view::npos ? r.first : num(range.substr(dash + 1));
  if (r.count < 1 || r.first > r.last || r.last >= r.count) throw bad();
  return r;
}

namespace {

struct shard {
  int id = 0;
  std::unique_ptr<discord::gateway_session> session;
  std::unique_ptr<net::ws_client> ws;
  std::uint64_t timer = 0;
  bool timer_set = false;
  std::chrono::steady_clock::time_point timer_at{};  // what the armed timer is for
  int count = 1;
  bool connected_once = false;
};

std::string state_key(int shard_id, int count) {
  return "discord.gateway/" + std::to_string(shard_id) + "/" + std::to_string(count);
}

}  // namespace

struct discord_gateway::impl {
  net::event_loop& loop;
  discord_rest& rest;
  storage::store& store;
  metrics& stats;
  wall_clock_fn wall;
  settings cfg;
  dispatch_fn dispatch;
  ready_fn on_ready;
  std::optional<discord::identify_gate> gate;
  std::vector<std::unique_ptr<shard>> shards;
  std::mt19937_64 rng{std::random_device{}()};

  bool suspending = false;
  int closing = 0;                  // sockets still closing during suspend
  std::function<void()> suspended;  // runs once they all have

  impl(net::event_loop& l, discord_rest& r, storage::store& st, metrics& m, wall_clock_fn w, settings s, dispatch_fn d,
       ready_fn ro)
      : loop(l), rest(r), store(st), stats(m), wall(std::move(w)), cfg(std::move(s)), dispatch(std::move(d)),
        on_ready(std::move(ro)) {}

  // The session a shard can resume, in the store (or nothing to resume).
  void save(shard& s) {
    auto state = s.session->resumable_state();
    if (!state) return;
    boost::json::object v{{"session_id", state->session_id}, {"seq", state->sequence}, {"resume_url", state->resume_url}};
    try {
      store.put_state(state_key(s.id, s.count), boost::json::serialize(v), wall());
    } catch (const std::exception& e) {
      spdlog::warn("discord: cannot store shard {}'s session for resuming: {}", s.id, e.what());
    }
  }

  void restore(shard& s) {
    try {
      auto text = store.get_state(state_key(s.id, s.count));
      if (!text) return;
      std::error_code ec;
      auto v = boost::json::parse(*text, ec);
      if (ec || !v.is_object()) return;
      const auto& o = v.as_object();
      discord::gateway_session::resume_state r;
      if (auto* p = o.if_contains("session_id"); p && p->is_string()) r.session_id = std::string(p->as_string());
      if (auto* p = o.if_contains("seq"); p && p->is_int64()) r.sequence = p->as_int64();
      if (auto* p = o.if_contains("resume_url"); p && p->is_string()) r.resume_url = std::string(p->as_string());
      if (r.session_id.empty()) return;
      spdlog::info("discord: shard {} resumes session {} at sequence {}", s.id, r.session_id, r.sequence);
      s.session->restore(std::move(r));
    } catch (const std::exception& e) {
      spdlog::warn("discord: cannot read shard {}'s saved session: {}", s.id, e.what());
    }
  }

  void closed_while_suspending() {
    if (!suspending || closing == 0) return;
    if (--closing == 0 && suspended) {
      auto fn = std::move(suspended);
      suspended = nullptr;
      fn();
    }
  }

  void suspend(std::function<void()> done) {
    suspending = true;
    suspended = std::move(done);
    // Dispatches already read are committed by the ingress flush queued before this;
    // only then is the sequence stored (posted behind it).
    loop.post([this] {
      for (auto& s : shards) {
        bool open = s->ws->is_open();
        auto actions = s->session->suspend(now());
        save(*s);
        if (open && !actions.empty()) {
          ++closing;
          apply(*s, std::move(actions));
        }
        if (s->timer_set) loop.cancel(s->timer);
        s->timer_set = false;
      }
      if (closing == 0 && suspended) {
        auto fn = std::move(suspended);
        suspended = nullptr;
        fn();
      }
    });
  }

  static discord::gateway_session::clock::time_point now() { return std::chrono::steady_clock::now(); }

  void start() {
    if (suspending) return;
    shard_range wanted{};
    bool explicit_range = !cfg.shards.empty();
    if (explicit_range) wanted = parse_shards(cfg.shards);
    rest.call("GET", "/gateway/bot", "", [this, wanted, explicit_range](const discord_result& r) {
      auto info = r.ok() ? discord::parse_gateway_bot(r.body) : std::nullopt;
      if (!info) {
        spdlog::error("discord: GET /gateway/bot failed ({}); retrying in 10 s",
                      r.status ? "HTTP " + std::to_string(r.status) + " " + r.error.message : r.transport_error);
        loop.after(std::chrono::seconds(10), [this] { start(); });
        return;
      }
      shard_range range = explicit_range ? wanted : shard_range{0, std::max(1, info->shards) - 1, std::max(1, info->shards)};
      if (gate) gate->refresh(info->limit, now());
      else gate.emplace(info->limit, now());
      spdlog::info("discord: gateway {}, running shards {}-{} of {} ({} identifies left today)", info->url, range.first,
                   range.last, range.count, info->limit.remaining);
      for (int id = range.first; id <= range.last; ++id) {
        auto s = std::make_unique<shard>();
        s->id = id;
        s->count = range.count;
        discord::gateway_settings gs;
        gs.token = cfg.token;
        gs.shard_id = id;
        gs.shard_count = range.count;
        gs.gateway_url = info->url;
        s->session = std::make_unique<discord::gateway_session>(
            gs, [this] { return std::uniform_real_distribution<double>(0.0, 1.0)(rng); });
        shard* sp = s.get();
        net::ws_handlers h;
        h.on_open = [this, sp] { apply(*sp, sp->session->on_open(now())); };
        h.on_message = [this, sp](std::string_view text) { apply(*sp, sp->session->on_message(text, now())); };
        h.on_closed = [this, sp](int code, std::string reason) {
          if (suspending) {
            closed_while_suspending();
            return;
          }
          if (code >= 4000) spdlog::warn("discord: shard {} closed by Discord: {} {}", sp->id, code, reason);
          else spdlog::info("discord: shard {} connection closed ({} {})", sp->id, code, reason);
          apply(*sp, sp->session->on_closed(code, now()));
        };
        s->ws = std::make_unique<net::ws_client>(loop, net::ws_client::options{cfg.ca_file}, std::move(h));
        shards.push_back(std::move(s));
        if (suspending) return;
        restore(*sp);
        apply(*sp, sp->session->start(now()));
      }
    });
  }

  void apply(shard& s, std::vector<discord::gateway_action> actions) {
    using kind = discord::gateway_action::kind;
    for (auto& a : actions) {
      switch (a.what) {
        case kind::connect:
          if (s.connected_once) stats.count("mlpath_gateway_sessions_total", "event=\"reconnect\"");
          s.connected_once = true;
          if (a.delay.count() > 0)
            loop.after(a.delay, [this, &s, url = a.url] {
              if (!suspending && !s.session->stopped()) s.ws->connect(url);
            });
          else s.ws->connect(a.url);
          break;
        case kind::send:
          if (a.event == "IDENTIFY") stats.count("mlpath_gateway_sessions_total", "event=\"identify\"");
          if (a.event == "RESUME") stats.count("mlpath_gateway_sessions_total", "event=\"resume\"");
          s.ws->send(std::move(a.text));
          break;
        case kind::close:
          s.ws->close(a.code);
          break;
        case kind::dispatch:
          if (a.event == "READY" || a.event == "RESUMED") {
            spdlog::info("discord: shard {} {} (session {})", s.id, a.event == "READY" ? "ready" : "resumed",
                         s.session->session_id());
            if (a.event == "READY" && on_ready) on_ready(s.session->user_id());
            // Kept from now on, so even a crash can resume (the inbox drops what is replayed twice).
            save(s);
          }
          if (dispatch) dispatch(a.event, a.raw);
          break;
        case kind::fatal:
          spdlog::error("discord: shard {} stopped: {}", s.id, a.text);
          break;
      }
    }
    if (suspending) return;
    // A session waiting for permission to identify asks the guard.
    if (s.session->wants_identify() && gate && gate->try_acquire(s.id, now())) {
      s.session->allow_identify(true);
      auto more = s.session->on_timer(now());
      if (!more.empty()) {
        apply(s, std::move(more));
        return;
      }
    }
    reschedule(s);
  }

  void reschedule(shard& s) {
    auto deadline = s.session->next_deadline();
    if (s.session->wants_identify() && gate) {
      auto allowed = gate->next_allowed(s.id, now());
      if (!deadline || allowed < *deadline) deadline = allowed;
    }
    // Dispatches rarely move the next deadline (the heartbeat); re-arming the timer for
    // every frame would cost more than handling the frame.
    if (s.timer_set && deadline && *deadline == s.timer_at) return;
    if (s.timer_set) loop.cancel(s.timer);
    s.timer_set = false;
    if (!deadline) return;
    s.timer_at = *deadline;
    auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(*deadline - now());
    if (wait.count() < 0) wait = std::chrono::milliseconds(0);
    s.timer = loop.after(wait + std::chrono::milliseconds(1), [this, &s] {
      s.timer_set = false;
      apply(s, s.session->on_timer(now()));
    });
    s.timer_set = true;
  }
};

discord_gateway::discord_gateway(net::event_loop& loop, discord_rest& rest, storage::store& store, metrics& m,
                                 wall_clock_fn now, settings s, dispatch_fn dispatch, ready_fn on_ready)
    : impl_(std::make_unique<impl>(loop, rest, store, m, std::move(now), std::move(s), std::move(dispatch),
                                   std::move(on_ready))) {}

discord_gateway::~discord_gateway() = default;

void discord_gateway::start() { impl_->start(); }

void discord_gateway::suspend(std::function<void()> done) { impl_->suspend(std::move(done)); }

bool discord_gateway::ready() const {
  for (const auto& s : impl_->shards)
    if (s->id == 0) return s->session->ready();
  return !impl_->shards.empty();  // shard 0 runs elsewhere
}

}  // namespace mlpath

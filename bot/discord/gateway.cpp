#include "bot/discord/gateway.hpp"

#include <spdlog/spdlog.h>

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
};

}  // namespace

struct discord_gateway::impl {
  net::event_loop& loop;
  discord_rest& rest;
  settings cfg;
  dispatch_fn dispatch;
  ready_fn on_ready;
  std::optional<discord::identify_gate> gate;
  std::vector<std::unique_ptr<shard>> shards;
  std::mt19937_64 rng{std::random_device{}()};

  impl(net::event_loop& l, discord_rest& r, settings s, dispatch_fn d, ready_fn ro)
      : loop(l), rest(r), cfg(std::move(s)), dispatch(std::move(d)), on_ready(std::move(ro)) {}

  static discord::gateway_session::clock::time_point now() { return std::chrono::steady_clock::now(); }

  void start() {
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
          if (code >= 4000) spdlog::warn("discord: shard {} closed by Discord: {} {}", sp->id, code, reason);
          else spdlog::info("discord: shard {} connection closed ({} {})", sp->id, code, reason);
          apply(*sp, sp->session->on_closed(code, now()));
        };
        s->ws = std::make_unique<net::ws_client>(loop, net::ws_client::options{cfg.ca_file}, std::move(h));
        shards.push_back(std::move(s));
        apply(*sp, sp->session->start(now()));
      }
    });
  }

  void apply(shard& s, std::vector<discord::gateway_action> actions) {
    using kind = discord::gateway_action::kind;
    for (auto& a : actions) {
      switch (a.what) {
        case kind::connect:
          if (a.delay.count() > 0) loop.after(a.delay, [this, &s, url = a.url] { s.ws->connect(url); });
          else s.ws->connect(a.url);
          break;
        case kind::send:
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
          }
          if (dispatch) dispatch(a.event, a.raw);
          break;
        case kind::fatal:
          spdlog::error("discord: shard {} stopped: {}", s.id, a.text);
          break;
      }
    }
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

discord_gateway::discord_gateway(net::event_loop& loop, discord_rest& rest, settings s, dispatch_fn dispatch,
                                 ready_fn on_ready)
    : impl_(std::make_unique<impl>(loop, rest, std::move(s), std::move(dispatch), std::move(on_ready))) {}

discord_gateway::~discord_gateway() = default;

void discord_gateway::start() { impl_->start(); }

bool discord_gateway::ready() const {
  for (const auto& s : impl_->shards)
    if (s->id == 0) return s->session->ready();
  return !impl_->shards.empty();  // shard 0 runs elsewhere
}

}  // namespace mlpath

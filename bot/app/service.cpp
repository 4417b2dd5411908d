#include "bot/app/service.hpp"

#include <spdlog/spdlog.h>

#include <iostream>
#include <thread>

#include "bot/app/config_check.hpp"
#include "bot/discord/discord_service.hpp"
#include "bot/discord/rest_client.hpp"
#include "bot/net/http_client.hpp"
#include "bot/net/http_server.hpp"
#include "bot/observe/log.hpp"
#include "bot/outbox/dispatcher.hpp"
#include "bot/schedule/scheduler.hpp"
#include "bot/schedule/tz_calendar.hpp"
#include "bot/slack/slack_service.hpp"
#include "bot/slack/web_client.hpp"
#include "dialogs/engine.hpp"
#include "storage/sqlite_store.hpp"

namespace mlpath {
namespace {

dialogs::timestamp wall_now() { return std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()); }

// Label values for /metrics: known routes by name, everything else as "other", so a
// scanner cannot blow up the number of series.
std::string route_label(std::string_view path) {
  static const char* known[] = {"/slack/events", "/slack/install", "/slack/oauth_redirect", "/discord/interactions",
                                "/healthz", "/readyz", "/metrics"};
  for (const char* k : known)
    if (path == k) return k;
  return "other";
}

// Platform requests held while the database opens; more are answered 503 at once.
constexpr std::size_t max_held = 1000;

// The probe's own key in service_state: a tiny write that proves the database takes writes.
constexpr const char* probe_key = "readyz.probe";
// A probe must not hold the event loop for the whole lock wait of a normal write.
constexpr std::chrono::milliseconds probe_lock_wait{250};

}  // namespace

// Everything that exists once the database is open, in construction order (destroyed in
// reverse: platforms before the outbox, the outbox before the store).
struct service::parts {
  std::shared_ptr<const dialogs::content> content;
  std::unique_ptr<dialogs::engine> engine;
  std::unique_ptr<net::http_server> server;
  std::unique_ptr<net::http_client> http;
  std::thread opener;
  std::unique_ptr<storage::store> store;
  std::unique_ptr<conversation_service> conversations;
  std::unique_ptr<outbox_dispatcher> outbox;
  std::unique_ptr<slack_web_client> slack_api;
  std::unique_ptr<slack_service> slack;
  std::unique_ptr<discord_rest> discord_api;
  std::unique_ptr<discord_service> discord;
  std::unique_ptr<scheduler> timed;
  std::uint64_t prune_timer = 0;
  std::uint64_t probe_timer = 0;
  bool running = false;
  bool stopping = false;
  std::function<void()> stopped;
  int stop_steps = 0;  // parallel parts of a stop still under way
  // Platform requests that arrived while the database was opening.
  std::vector<std::pair<net::http_request, net::http_reply>> held;
};

service::service(net::event_loop& loop, config c, options o)
    : loop_(loop), config_(std::move(c)), options_(std::move(o)), parts_(std::make_unique<parts>()) {
  if (!options_.now) options_.now = wall_now;
  describe_families(metrics_);
  metrics_.gauge("mlpath_database_last_write_age_seconds", [this] { return readiness_.last_write_age(); });
  metrics_.gauge("mlpath_ready", [this] { return readiness_.check().ready ? 1.0 : 0.0; });
}

service::~service() {
  if (parts_->opener.joinable()) parts_->opener.join();
}

bool service::running() const { return parts_->running; }

readiness::report service::ready() const { return readiness_.check(); }

std::uint16_t service::start() {
  auto& p = *parts_;
  // Everything that can be checked before serving: a bad setting stops start-up here,
  // with the same line --check-config prints.
  auto checked = check_offline(config_);
  p.content = std::move(checked.content);
  p.engine = std::make_unique<dialogs::engine>(p.content, &system_calendar());
  try {
    p.http = std::make_unique<net::http_client>(loop_, net::client_options{config_.ca_file});
  } catch (const std::exception& e) {
    throw config_error(e.what());  // names MLPATH_CA_FILE
  }

  p.server = std::make_unique<net::http_server>(
      loop_, [this](net::http_request&& req, net::http_reply reply) { handle(std::move(req), std::move(reply)); });
  std::uint16_t port;
  try {
    port = p.server->listen(config_.listen_host, config_.listen_port);
  } catch (const std::exception& e) {
    throw config_error(std::string("MLPATH_LISTEN: ") + e.what());
  }
  if (!config_.slack_enabled() && !config_.discord_enabled())
    spdlog::warn("serve: no Slack or Discord credentials are set: serving health and metrics only");
  open_store();
  return port;
}

// Migrations may take a while on a large database: they run on a thread of their own
// while the loop answers /healthz, and /readyz says why it is not ready yet.
void service::open_store() {
  storage::sqlite_options so;
  so.path = config_.db_path;
  so.fsync = config_.fsync;
  so.background_checkpoints = true;
  so.max_pages = options_.max_db_pages;
  so.on_write = [this](bool committed, std::chrono::duration<double> took, const std::string& error) {
    readiness_.wrote(committed, error);
    if (committed) metrics_.observe("mlpath_sqlite_transaction_seconds", "", took.count());
    else metrics_.count("mlpath_sqlite_write_failures_total");
  };
  parts_->opener = std::thread([this, so] {
    std::string error;
    storage::store* opened = nullptr;
    try {
      opened = storage::open_sqlite_store(so).release();
    } catch (const std::exception& e) {
      error = e.what();
    }
    // std::function needs a copyable callable, so the store crosses as a raw pointer and
    // is owned again on the loop.
    loop_.post([this, error, opened] {
      parts_->store.reset(opened);
      store_opened(error);
    });
  });
}

void service::store_opened(std::string error) {
  auto& p = *parts_;
  if (p.opener.joinable()) p.opener.join();
  if (!error.empty() || !p.store) {
    p.stopping = true;  // nothing will run: held requests get their 503 now
    auto held = std::move(p.held);
    p.held.clear();
    for (auto& [req, reply] : held) handle(std::move(req), std::move(reply));
    spdlog::error("serve: MLPATH_DB: {}", error);
    if (on_fatal) on_fatal("MLPATH_DB: " + error);
    return;
  }
  readiness_.migrations_done();
  if (p.stopping) return;
  start_platforms();
}

void service::start_platforms() {
  auto& p = *parts_;
  auto now = options_.now;
  p.conversations = std::make_unique<conversation_service>(*p.engine, *p.store);
  metrics_.gauge("mlpath_engine_turns_total", [this] {
    return parts_->conversations ? static_cast<double>(parts_->conversations->turns()) : 0.0;
  });
  p.outbox = std::make_unique<outbox_dispatcher>(loop_, *p.store, metrics_, now, outbox_dispatcher::options{});
  if (config_.slack_enabled()) {
    p.slack_api = std::make_unique<slack_web_client>(loop_, *p.http, config_.slack_api_url, metrics_,
                                                     slack_web_client::options{});
    std::string redirect = config_.public_url.empty() ? "" : config_.public_url + "/slack/oauth_redirect";
    p.slack = std::make_unique<slack_service>(
        loop_, *p.store, *p.conversations, *p.slack_api, *p.outbox, metrics_,
        slack_service::settings{config_.slack_signing_secret, config_.slack_bot_token, config_.slack_client_id,
                                config_.slack_client_secret, redirect, config_.slack_app_token, config_.ca_file},
        now);
    readiness_.add("slack", [this] {
      return parts_->slack->not_ready();
    });
  }
  if (config_.discord_enabled()) {
    if (!config_.discord_bot_token.empty())
      p.discord_api = std::make_unique<discord_rest>(loop_, *p.http, config_.discord_api_url, config_.discord_bot_token,
                                                     metrics_);
    p.discord = std::make_unique<discord_service>(
        loop_, *p.store, *p.conversations, p.discord_api.get(), *p.outbox, metrics_,
        discord_service::settings{config_.discord_public_key, config_.discord_bot_token, config_.discord_application_id,
                                  config_.discord_shards, config_.ca_file},
        now);
    readiness_.add("discord", [this] { return parts_->discord->not_ready(); });
  }
  if (p.slack) p.slack->start();
  if (p.discord) p.discord->start();
  p.outbox->start();
  p.timed = std::make_unique<scheduler>(loop_, *p.store, *p.conversations, *p.outbox, metrics_, system_calendar(), now,
                                        scheduler::options{});
  auto dms = [](const char* platform) {
    return [platform](const std::vector<dialogs::reply>& r) { return outbox::direct_messages(platform, r); };
  };
  if (p.slack) p.timed->add_platform("slack", dms("slack"));
  if (p.discord && p.discord_api) p.timed->add_platform("discord", dms("discord"));
  p.timed->start();
  // Processed inbound events only matter for deduplicating retries (Slack retries within
  // the hour); after three days they are dropped so the inbox does not grow without end.
  prune();
  p.running = true;
  probe();
  auto held = std::move(p.held);
  p.held.clear();
  for (auto& [req, reply] : held) handle(std::move(req), std::move(reply));
  std::string running = p.slack && p.discord ? "Slack and Discord" : p.slack ? "Slack" : p.discord ? "Discord" : "no platform";
  spdlog::info("serve: database {} open (schema {}); running {}", printable_database(config_.db_path),
               storage::latest_schema_version(), running);
}

// Readiness needs a write in the last 10 s. When nothing else writes, a tiny one is made
// here, waiting at most a quarter of a second for a lock, so the loop is never held long.
// Processed inbound events only matter for deduplicating retries (Slack retries within
// the hour); after three days they are dropped so the inbox does not grow without end.
void service::prune() {
  auto& p = *parts_;
  if (p.stopping) return;
  try {
    std::size_t n = p.store->inbox_prune(options_.now() - std::chrono::hours(72));
    if (n) spdlog::info("inbox: pruned {} processed events older than 3 days", n);
  } catch (const std::exception& e) {
    spdlog::warn("inbox: pruning failed: {}", e.what());
  }
  p.prune_timer = loop_.after(std::chrono::hours(1), [this] { prune(); });
}

void service::probe() {
  auto& p = *parts_;
  if (p.stopping || !p.store) return;
  if (readiness_.idle_for(options_.probe_every)) {
    auto before = p.store->set_lock_wait(probe_lock_wait);
    try {
      p.store->put_state(probe_key, "ok", options_.now());
    } catch (const std::exception& e) {
      readiness_.wrote(false, e.what());
      spdlog::warn("serve: the database refused the readiness probe: {}", e.what());
    }
    p.store->set_lock_wait(before);
  }
  p.probe_timer = loop_.after(options_.probe_every, [this] { probe(); });
}

void service::handle(net::http_request&& req, net::http_reply reply) {
  auto& p = *parts_;
  std::string_view where = req.path();
  bool for_platform = where == "/slack/events" || where == "/slack/install" || where == "/slack/oauth_redirect" ||
                      where == "/discord/interactions";
  if (for_platform && !p.running && !p.stopping && p.held.size() < max_held) {
    // The database is still opening: held (the HTTP server answers 503 if that takes
    // longer than its handler timeout) and handled as soon as it is open.
    p.held.emplace_back(std::move(req), std::move(reply));
    return;
  }
  std::string route = route_label(req.path());
  net::http_reply counted = [this, route, reply = std::move(reply)](net::http_response r) {
    metrics_.count("mlpath_inbound_requests_total", "route=\"" + route + "\",kind=\"" +
                                                        (r.metric_kind.empty() ? std::string("other") : r.metric_kind) +
                                                        "\",status=\"" + std::to_string(r.status) + "\"");
    reply(std::move(r));
  };
  auto only = [&](const char* method) {
    if (req.method == method) return true;
    auto res = net::text_response(405, "method not allowed");
    res.headers.emplace_back("Allow", method);
    counted(std::move(res));
    return false;
  };
  std::string_view path = req.path();
  bool platform_route = path == "/slack/events" || path == "/slack/install" || path == "/slack/oauth_redirect" ||
                        path == "/discord/interactions";
  if (path == "/healthz") {
    if (only("GET")) counted(net::text_response(200, "ok"));
  } else if (path == "/readyz") {
    if (only("GET")) {
      auto r = readiness_.check();
      net::http_response res;
      res.status = r.ready ? 200 : 503;
      res.content_type = "application/json";
      res.body = readiness::json(r);
      counted(std::move(res));
    }
  } else if (path == "/metrics") {
    if (only("GET")) {
      net::http_response res;
      res.content_type = "text/plain; version=0.0.4; charset=utf-8";
      res.body = metrics_.render();
      counted(std::move(res));
    }
  } else if (platform_route && !p.running) {
    // Not acknowledged, so the platform retries once the database is open.
    auto res = net::text_response(503, "starting");
    res.headers.emplace_back("Retry-After", "1");
    counted(std::move(res));
  } else if (path == "/slack/events" && p.slack) {
    if (only("POST")) p.slack->handle_events(std::move(req), std::move(counted));
  } else if (path == "/slack/install" && p.slack) {
    if (only("GET")) p.slack->handle_install(std::move(req), std::move(counted));
  } else if (path == "/slack/oauth_redirect" && p.slack) {
    if (only("GET")) p.slack->handle_oauth_redirect(std::move(req), std::move(counted));
  } else if (path == "/discord/interactions" && p.discord && !config_.discord_public_key.empty()) {
    if (only("POST")) p.discord->handle_interactions(std::move(req), std::move(counted));
  } else {
    counted(net::text_response(404, "not found"));
  }
}

void service::stop(std::function<void()> done) {
  auto& p = *parts_;
  if (p.stopping) return;
  p.stopping = true;
  p.stopped = std::move(done);
  // Whatever takes too long is safe anyway: acknowledged events sit in the inbox and
  // unsent replies in the outbox, both picked up at the next start.
  loop_.after(options_.stop_deadline, [this] {
    if (!parts_->stopped) return;
    spdlog::warn("serve: still busy after {} s; stopping anyway (nothing acknowledged is lost)",
                 options_.stop_deadline.count());
    finish_stop();
  });
  // Requests held while the database opened will not be served now: 503, the platform retries.
  auto held = std::move(p.held);
  p.held.clear();
  for (auto& [req, reply] : held) handle(std::move(req), std::move(reply));
  if (p.timed) p.timed->stop();
  // Socket Mode stops taking envelopes; any not yet acknowledged are redelivered by Slack.
  if (p.slack) p.slack->stop();
  loop_.cancel(p.prune_timer);
  loop_.cancel(p.probe_timer);
  // Two things in parallel: the HTTP server finishes its requests and then the outbox its
  // sends in flight; the Discord gateway closes resumably and stores its sessions.
  p.stop_steps = 2;
  auto step_done = [this] {
    if (--parts_->stop_steps == 0) finish_stop();
  };
  p.server->shutdown([this, step_done] {
    if (parts_->outbox) parts_->outbox->drain(step_done);
    else step_done();
  });
  if (p.discord) p.discord->suspend(step_done);
  else step_done();
}

void service::finish_stop() {
  auto& p = *parts_;
  if (!p.stopped) return;
  if (p.store) {
    try {
      p.store->checkpoint();
    } catch (const std::exception& e) {
      spdlog::warn("serve: WAL checkpoint at stop failed: {}", e.what());
    }
  }
  auto fn = std::move(p.stopped);
  p.stopped = nullptr;
  fn();
}

int run_service(const config& c) {
  net::event_loop loop;
  service s(loop, c, {});
  int code = 0;
  s.on_fatal = [&](const std::string&) {
    code = 2;
    loop.stop();
  };
  // Before anything is announced: a SIGTERM right after the announcement (a supervisor, a
  // test) must find the handler in place, not the default action that kills the process.
  // The handler itself runs on the loop, after start().
  bool signalled = false;
  loop.on_stop_signal([&](int sig) {
    if (signalled) return;
    signalled = true;
    spdlog::info("serve: signal {}: finishing requests and sends in flight, then stopping", sig);
    s.stop([&loop] { loop.stop(); });
  });
  std::uint16_t port = s.start();
  std::string url = "http://" + c.listen_host + ":" + std::to_string(port);
  // On stdout, for whoever started us (tests, scripts), in the log format: a JSON line
  // when logs are JSON, so a collector reading both streams sees only JSON.
  std::string db = printable_database(c.db_path);
  if (logs::current_format() == logs::format::json)
    std::cout << logs::line("info", "serve: listening on " + url + " (database " + db + ")", {{"listen", url}})
              << std::flush;
  else
    std::cout << "mlpath: listening on " << url << " (database " << db << ")" << std::endl;

  loop.run();
  if (code == 0) spdlog::info("serve: stopped");
  return code;
}

}  // namespace mlpath

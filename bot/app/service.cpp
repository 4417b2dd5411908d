#include "bot/app/service.hpp"

#include <spdlog/spdlog.h>

#include <iostream>

#include "bot/content/content_loader.hpp"
#include "bot/discord/discord_service.hpp"
#include "bot/discord/rest_client.hpp"
#include "bot/net/event_loop.hpp"
#include "bot/net/http_client.hpp"
#include "bot/net/http_server.hpp"
#include "bot/observe/metrics.hpp"
#include "bot/outbox/dispatcher.hpp"
#include "bot/schedule/silence_watch.hpp"
#include "bot/slack/slack_service.hpp"
#include "bot/slack/web_client.hpp"
#include "bot/turns/conversation_service.hpp"
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

}  // namespace

int run_service(const config& c) {
  auto content = loader::load_content_or_throw(c.content_dir);
  dialogs::engine engine(content);
  storage::sqlite_options so;
  so.path = c.db_path;
  so.fsync = c.fsync;
  so.background_checkpoints = true;
  auto store = storage::open_sqlite_store(so);
  net::event_loop loop;
  metrics m;
  describe_families(m);
  conversation_service conversations(engine, *store);
  net::http_client http(loop, {c.ca_file});
  outbox_dispatcher outbox(loop, *store, m, wall_now, {});

  std::unique_ptr<slack_web_client> slack_api;
  std::unique_ptr<slack_service> slack;
  if (c.slack_enabled()) {
    slack_api = std::make_unique<slack_web_client>(loop, http, c.slack_api_url, m, slack_web_client::options{});
    slack = std::make_unique<slack_service>(
        loop, *store, conversations, *slack_api, outbox, m,
        slack_service::settings{c.slack_signing_secret, c.slack_bot_token, c.slack_client_id, c.slack_client_secret},
        wall_now);
  }
  std::unique_ptr<discord_rest> discord_api;
  std::unique_ptr<discord_service> discord;
  if (c.discord_enabled()) {
    if (!c.discord_bot_token.empty())
      discord_api = std::make_unique<discord_rest>(loop, http, c.discord_api_url, c.discord_bot_token, m);
    discord = std::make_unique<discord_service>(
        loop, *store, conversations, discord_api.get(), outbox, m,
        discord_service::settings{c.discord_public_key, c.discord_bot_token, c.discord_application_id, c.discord_shards,
                                  c.ca_file},
        wall_now);
  }
  if (!c.slack_enabled() && !c.discord_enabled())
    spdlog::warn("no Slack or Discord credentials are set: serving health and metrics only");

  auto ready = [&] { return (!slack || slack->ready()) && (!discord || discord->ready()); };
  net::http_handler router = [&](net::http_request&& req, net::http_reply reply) {
    std::string route = route_label(req.path());
    net::http_reply counted = [&m, route, reply = std::move(reply)](net::http_response r) {
      m.count("mlpath_inbound_requests_total", "route=\"" + route + "\",kind=\"" +
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
    if (path == "/healthz") {
      if (only("GET")) counted(net::text_response(200, "ok"));
    } else if (path == "/readyz") {
      if (only("GET")) counted(ready() ? net::text_response(200, "ready") : net::text_response(503, "starting"));
    } else if (path == "/metrics") {
      if (only("GET")) {
        net::http_response res;
        res.content_type = "text/plain; version=0.0.4; charset=utf-8";
        res.body = m.render();
        counted(std::move(res));
      }
    } else if (path == "/slack/events" && slack) {
      if (only("POST")) slack->handle_events(std::move(req), std::move(counted));
    } else if (path == "/slack/install" && slack) {
      if (only("GET")) slack->handle_install(std::move(req), std::move(counted));
    } else if (path == "/slack/oauth_redirect" && slack) {
      if (only("GET")) slack->handle_oauth_redirect(std::move(req), std::move(counted));
    } else if (path == "/discord/interactions" && discord && !c.discord_public_key.empty()) {
      if (only("POST")) discord->handle_interactions(std::move(req), std::move(counted));
    } else {
      counted(net::text_response(404, "not found"));
    }
  };

  net::http_server server(loop, router);
  std::uint16_t port = server.listen(c.listen_host, c.listen_port);
  if (slack) slack->start();
  if (discord) discord->start();
  outbox.start();
  silence_watch quiet(loop, *store, conversations, outbox, wall_now);
  if (slack)
    quiet.add_platform("slack", [&slack](const std::vector<dialogs::reply>& r, storage::turn_record& t) {
      slack->direct_messages(r, t);
    });
  if (discord && discord_api)
    quiet.add_platform("discord", [&discord](const std::vector<dialogs::reply>& r, storage::turn_record& t) {
      discord->direct_messages(r, t);
    });
  quiet.start();
  // Processed inbound events only matter for deduplicating retries (Slack retries within
  // the hour); after three days they are dropped so the inbox does not grow without end.
  std::function<void()> prune = [&] {
    try {
      std::size_t n = store->inbox_prune(wall_now() - std::chrono::hours(72));
      if (n) spdlog::info("inbox: pruned {} processed events older than 3 days", n);
    } catch (const std::exception& e) {
      spdlog::warn("inbox: pruning failed: {}", e.what());
    }
    loop.after(std::chrono::hours(1), prune);
  };
  prune();
  std::cout << "mlpath: listening on http://" << c.listen_host << ":" << port << std::endl;
  spdlog::info("listening on {}:{} (database {})", c.listen_host, port, c.db_path);

  bool stopping = false;
  loop.on_stop_signal([&](int sig) {
    if (stopping) return;
    stopping = true;
    spdlog::info("signal {}: finishing requests in flight, then stopping", sig);
    // Whatever takes too long is safe anyway: acknowledged events sit in the inbox and
    // unsent replies in the outbox, both picked up at the next start.
    loop.after(std::chrono::seconds(10), [&loop] { loop.stop(); });
    server.shutdown([&] { outbox.drain([&loop] { loop.stop(); }); });
  });
  loop.run();
  spdlog::info("stopped");
  return 0;
}

}  // namespace mlpath

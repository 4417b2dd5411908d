#pragma once
// Slack for many workspaces, in process: a real SQLite store, event loop, Web API client,
// workspaces, OAuth pages, processing, sender and outbox, against the fake Web API on
// 127.0.0.1:0. The workspaces and the OAuth pages run on a fake wall clock (`now`), so
// state expiry and token rotation are tested without waiting; processing and the outbox
// run on the real clock (their retries must become due).

#include <boost/json.hpp>
#include <boost/url/url.hpp>

#include <memory>
#include <optional>
#include <string>

#include "bot/net/event_loop.hpp"
#include "bot/net/http_client.hpp"
#include "bot/observe/metrics.hpp"
#include "bot/outbox/dispatcher.hpp"
#include "bot/outbox/message.hpp"
#include "bot/slack/oauth.hpp"
#include "bot/slack/processing.hpp"
#include "bot/slack/sender.hpp"
#include "bot/slack/web_client.hpp"
#include "bot/slack/workspaces.hpp"
#include "bot/schedule/tz_calendar.hpp"
#include "bot/turns/conversation_service.hpp"
#include "fake_slack.hpp"
#include "loop_support.hpp"
#include "slack_support.hpp"
#include "storage/sqlite_store.hpp"
#include "test_support.hpp"

namespace mlpath::test::teams {

namespace json = boost::json;
using namespace std::chrono_literals;

constexpr const char* client_id = "1111.2222";
constexpr const char* client_secret = "client-secret-never-logged";
constexpr const char* redirect_uri = "https://mlpath.example.com/slack/oauth_redirect";

// The engine with the system calendar, so people can set up weekly check-ins.
inline const dialogs::engine& calendar_engine() {
  static const dialogs::engine e(builtin(), &system_calendar());
  return e;
}

inline dialogs::timestamp wall_now() {
  return std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
}

// What oauth.v2.access answers for an install (or a refresh).
struct grant {
  std::string team;            // "" for an org-wide install (team: null)
  std::string token;           // access_token
  std::string bot_user = "UBOT";
  std::string enterprise;      // enterprise.id ("" = enterprise: null)
  bool org_wide = false;
  std::string refresh;         // refresh_token ("" = no rotation)
  long long expires_in = 0;
  std::string installer = "UINSTALLER";
};

inline std::string oauth_answer(const grant& g) {
  json::object o{{"ok", true},
                 {"app_id", "A0MLPATH"},
                 {"authed_user", json::object{{"id", g.installer}}},
                 {"scope", "chat:write,im:history,im:write,commands,users:read,app_mentions:read"},
                 {"token_type", "bot"},
                 {"access_token", g.token},
                 {"bot_user_id", g.bot_user},
                 {"is_enterprise_install", g.org_wide}};
  o["team"] = g.team.empty() ? json::value(nullptr) : json::value(json::object{{"id", g.team}, {"name", "Team"}});
  o["enterprise"] =
      g.enterprise.empty() ? json::value(nullptr) : json::value(json::object{{"id", g.enterprise}, {"name", "Org"}});
  if (!g.refresh.empty()) {
    o["refresh_token"] = g.refresh;
    o["expires_in"] = g.expires_in;
  }
  return json::serialize(o);
}

// A DM event from `team`; with `enterprise`, as an org-wide install delivers it.
inline std::string dm_event(const std::string& event_id, const std::string& team, const std::string& user,
                            const std::string& channel, const std::string& text, const std::string& enterprise = "",
                            bool org_wide = false) {
  json::value v = json::parse(slack_dm_event(event_id, user, text, channel, team));
  auto& o = v.as_object();
  if (!enterprise.empty()) {
    o["enterprise_id"] = enterprise;
    o["authorizations"] = json::array{json::object{{"enterprise_id", enterprise},
                                                   {"team_id", org_wide ? json::value(nullptr) : json::value(team)},
                                                   {"user_id", "UBOT"},
                                                   {"is_bot", true},
                                                   {"is_enterprise_install", org_wide}}};
  }
  return json::serialize(v);
}

// An Events API envelope for `event` (app_uninstalled, tokens_revoked, ...) from `team`.
inline std::string event_envelope(const std::string& event_id, const std::string& team, json::object event,
                                  const std::string& enterprise = "", bool org_wide = false) {
  json::object o{{"token", "x"},      {"team_id", team},          {"api_app_id", "A0MLPATH"}, {"event", std::move(event)},
                 {"type", "event_callback"}, {"event_id", event_id}, {"event_time", 1700000000}};
  if (!enterprise.empty()) {
    o["enterprise_id"] = enterprise;
    o["authorizations"] = json::array{json::object{{"enterprise_id", enterprise},
                                                   {"team_id", org_wide ? json::value(nullptr) : json::value(team)},
                                                   {"user_id", "UBOT"},
                                                   {"is_bot", true},
                                                   {"is_enterprise_install", org_wide}}};
  }
  return json::serialize(o);
}

struct rig {
  temp_dir dir;
  std::string db_path = dir.file("teams.db");
  std::unique_ptr<storage::store> store = storage::open_sqlite_store(db_options(db_path));
  fake_slack fake;
  net::event_loop loop;
  metrics m;
  net::http_client http{loop};
  dialogs::timestamp now = t0();  // the workspaces' and OAuth pages' clock
  wall_clock_fn clock = [this] { return now; };
  slack_web_client api{loop, http, fake.api_url(), m, client_options()};
  std::unique_ptr<slack_workspaces> workspaces;
  std::unique_ptr<slack_oauth> oauth;
  conversation_service conversations{calendar_engine(), *store};
  outbox_dispatcher outbox{loop, *store, m, wall_now, dispatcher_options()};
  std::unique_ptr<slack_processor> processor;
  std::unique_ptr<slack_sender> sender;
  bool ready = false;

  static storage::sqlite_options db_options(const std::string& path) {
    storage::sqlite_options o;
    o.path = path;
    return o;
  }
  static slack_web_client::options client_options() {
    slack_web_client::options o;
    o.max_attempts = 1;  // each call once: what the fake records is what mlpath decided to send
    o.timeout = 2s;
    return o;
  }
  static outbox_dispatcher::options dispatcher_options() {
    outbox_dispatcher::options o;
    o.sweep_every = 5ms;
    o.backoff = {0ms, 0ms};
    return o;
  }
  static slack_workspaces::options workspace_options() {
    slack_workspaces::options o;
    o.client_id = client_id;
    o.client_secret = client_secret;
    o.refresh_backoff = {10ms, 50ms};
    return o;
  }

  explicit rig(std::string single_token = "", slack_workspaces::options wo = workspace_options()) {
    describe_families(m);
    workspaces = std::make_unique<slack_workspaces>(loop, *store, api, single_token, clock, wo);
    oauth = std::make_unique<slack_oauth>(api, *workspaces,
                                          slack_oauth::settings{client_id, client_secret, redirect_uri,
                                                                "https://slack.com/oauth/v2/authorize"},
                                          clock);
    processor = std::make_unique<slack_processor>(loop, *store, conversations, *workspaces, api, outbox, m, wall_now);
    sender = std::make_unique<slack_sender>(*store, api, *workspaces, m);
    outbox.set_sender([this](const storage::outbox_message& r, const mlpath::slack::outbound& w, send_done d) {
      sender->send(r, w, std::move(d));
    });
  }

  void start() {
    workspaces->start([this] {
      ready = true;
      processor->kick();
    });
    outbox.start();
  }

  // Runs `handler` on a request and the loop until it has answered.
  net::http_response call(void (slack_oauth::*handler)(net::http_request&&, net::http_reply), std::string target,
                          std::string cookie = {}) {
    net::http_request req;
    req.method = "GET";
    req.target = std::move(target);
    if (!cookie.empty()) req.headers.emplace_back("Cookie", std::move(cookie));
    std::optional<net::http_response> got;
    ((*oauth).*handler)(std::move(req), [&](net::http_response r) { got = std::move(r); });
    REQUIRE(run_until(loop, [&] { return got.has_value(); }));
    return *got;
  }

  struct started_install {
    std::string state;
    std::string cookie;  // as the browser sends it back: name=value
    net::http_response response;
  };

  started_install begin_install() {
    started_install out;
    out.response = call(&slack_oauth::handle_install, "/slack/install");
    for (const auto& [k, v] : out.response.headers) {
      if (k == "Set-Cookie") out.cookie = v.substr(0, v.find(';'));
      if (k == "Location") {
        auto at = v.find("state=");
        if (at != std::string::npos) out.state = v.substr(at + 6, v.find('&', at) - at - 6);
      }
    }
    return out;
  }

  net::http_response finish_install(const started_install& s, const std::string& code = "code-1") {
    return call(&slack_oauth::handle_redirect, "/slack/oauth_redirect?code=" + code + "&state=" + s.state, s.cookie);
  }

  // Installs through the OAuth pages with oauth.v2.access answering `g`.
  void install(const grant& g) {
    fake.script("oauth.v2.access", {200, oauth_answer(g), {}, {}, false});
    auto s = begin_install();
    auto r = finish_install(s);
    REQUIRE(r.status == 200);
  }

  void deliver(const std::string& event_id, const std::string& body) {
    storage::inbox_event ev{"slack", event_id, mlpath::test::slack::json_type, body, wall_now()};
    REQUIRE(store->inbox_add(ev));
    processor->accept(ev, mlpath::test::slack::parse_ok(mlpath::test::slack::json_type, body));
  }

  bool processed(const std::string& event_id) {
    for (const auto& e : store->inbox_pending(1000))
      if (e.event_id == event_id) return false;
    return true;
  }

  // chat.postMessage calls Slack accepted into `channel`.
  std::vector<recorded_call> posts_to(const std::string& channel) {
    std::vector<recorded_call> out;
    for (const auto& c : fake.calls("chat.postMessage"))
      if (c.json.is_object() && c.json.as_object().contains("channel") && c.json.at("channel") == channel.c_str())
        out.push_back(c);
    return out;
  }
};

// The value of a form field in a recorded call's body.
inline std::string form_field(const recorded_call& c, const std::string& name) {
  boost::urls::url u;
  u.set_encoded_query(c.body);
  for (auto p : u.params())
    if (p.key == name) return p.value;
  return {};
}

}  // namespace mlpath::test::teams

#include "bot/slack/oauth.hpp"

#include <spdlog/spdlog.h>

#include <boost/url/decode_view.hpp>
#include <boost/url/parse_query.hpp>
#include <boost/url/url.hpp>

#include "adapters/slack/blocks.hpp"
#include "bot/net/crypto.hpp"

namespace mlpath {
namespace {

constexpr const char* install_scopes = "chat:write,im:history,im:write,commands,users:read,app_mentions:read";

net::http_response html_response(int status, const std::string& title, const std::string& text) {
  net::http_response r;
  r.status = status;
  r.content_type = "text/html; charset=utf-8";
  r.body = "<!doctype html><html><head><meta charset=\"utf-8\"><title>" + title + "</title></head><body><h1>" + title +
           "</h1><p>" + text + "</p></body></html>\n";
  return r;
}

std::string query_param(std::string_view query, std::string_view name) {
  // A terminated copy: Boost.URL 1.81's parse_query reads its input up to a NUL.
  const std::string terminated(query);
  auto parsed = boost::urls::parse_query(terminated);
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

slack_oauth::slack_oauth(slack_web_client& api, slack_workspaces& workspaces, settings s, wall_clock_fn now)
    : api_(api), workspaces_(workspaces), settings_(std::move(s)), now_(std::move(now)) {}

void slack_oauth::handle_install(net::http_request&& req, net::http_reply reply) {
  if (settings_.client_id.empty()) {
    reply(net::text_response(404, "not found"));
    return;
  }
  auto now = std::chrono::steady_clock::now();
  std::erase_if(states_, [&](const auto& kv) { return kv.second < now; });
  std::string state = net::random_hex(16);
  states_[state] = now + std::chrono::minutes(10);
  boost::urls::url u(settings_.authorize_url);
  u.params().append({"client_id", settings_.client_id});
  u.params().append({"scope", install_scopes});
  u.params().append({"state", state});
  if (!settings_.redirect_uri.empty()) u.params().append({"redirect_uri", settings_.redirect_uri});
  net::http_response res = html_response(302, "Redirecting to Slack", "Continue to <a href=\"" + std::string(u.buffer()) + "\">Slack</a>.");
  res.headers.emplace_back("Location", std::string(u.buffer()));
  // Binds the state to this browser, as Bolt's install provider does.
  res.headers.emplace_back("Set-Cookie", "mlpath_oauth_state=" + state + "; Path=/slack; Max-Age=600; HttpOnly; Secure; SameSite=Lax");
  reply(std::move(res));
}

void slack_oauth::handle_redirect(net::http_request&& req, net::http_reply reply) {
  if (settings_.client_id.empty()) {
    reply(net::text_response(404, "not found"));
    return;
  }
  std::string error = query_param(req.query(), "error");
  std::string code = query_param(req.query(), "code");
  std::string state = query_param(req.query(), "state");
  auto it = states_.find(state);
  bool valid_state = !state.empty() && it != states_.end() && it->second >= std::chrono::steady_clock::now() &&
                     cookie_value(req.header("Cookie"), "mlpath_oauth_state") == state;
  if (it != states_.end()) states_.erase(it);
  if (!error.empty()) {
    reply(html_response(200, "Installation cancelled", "Slack says: " + slack::escape_mrkdwn(error) + ". Nothing was installed."));
    return;
  }
  if (!valid_state || code.empty()) {
    reply(html_response(400, "Installation link expired", "Please start again from the install link."));
    return;
  }
  std::vector<std::pair<std::string, std::string>> exchange{
      {"client_id", settings_.client_id}, {"client_secret", settings_.client_secret}, {"code", code}};
  // Slack requires the same redirect_uri in the exchange as in the authorize request.
  if (!settings_.redirect_uri.empty()) exchange.emplace_back("redirect_uri", settings_.redirect_uri);
  api_.call_form("", "", "oauth.v2.access", std::move(exchange),
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
                                      workspaces_.installed(inst);
                                    } catch (const std::exception& e) {
                                      reply(html_response(500, "Installation failed", "mlpath could not store it."));
                                      return;
                                    }
                                    reply(html_response(200, "mlpath is installed",
                                                        "Open Slack and send mlpath a direct message, or type /mlpath."));
                                  });
                 });
}

}  // namespace mlpath

#include "bot/slack/oauth.hpp"

#include <spdlog/spdlog.h>

#include <boost/url/decode_view.hpp>
#include <boost/url/parse_query.hpp>
#include <boost/url/url.hpp>

#include "bot/net/crypto.hpp"

namespace mlpath {
namespace {

// The bot scopes of deploy/slack-app-manifest.yaml.
constexpr const char* install_scopes = "chat:write,im:history,im:write,commands,users:read,app_mentions:read";

std::string html_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

// `text` is HTML already (callers escape what they did not write).
net::http_response html_response(int status, const std::string& title, const std::string& text) {
  net::http_response r;
  r.status = status;
  r.content_type = "text/html; charset=utf-8";
  r.body = "<!doctype html><html><head><meta charset=\"utf-8\"><title>" + title + "</title></head><body><h1>" + title +
           "</h1><p>" + text + "</p></body></html>\n";
  // Install pages carry one-time values: never cached, never framed.
  r.headers.emplace_back("Cache-Control", "no-store");
  r.headers.emplace_back("X-Frame-Options", "DENY");
  return r;
}

// The state cookie is done with once the redirect has come back, whatever it says.
net::http_response without_cookie(net::http_response r) {
  r.headers.emplace_back("Set-Cookie", std::string(slack_oauth::cookie_name) +
                                           "=; Path=/slack; Max-Age=0; HttpOnly; Secure; SameSite=Lax");
  return r;
}

net::http_response bad_request(const std::string& title, const std::string& text) {
  return without_cookie(html_response(400, title, text));
}

std::string query_param(std::string_view query, std::string_view name) {
  // Boost.URL 1.81 reads past a view that is not NUL-terminated: parse a terminated copy.
  std::string copy(query);
  auto parsed = boost::urls::parse_query(copy);
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

// Compares without stopping at the first difference.
bool same(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

}  // namespace

slack_oauth::slack_oauth(slack_web_client& api, slack_workspaces& workspaces, settings s, wall_clock_fn now)
    : api_(api), workspaces_(workspaces), settings_(std::move(s)), now_(std::move(now)) {}

void slack_oauth::handle_install(net::http_request&& req, net::http_reply reply) {
  if (settings_.client_id.empty()) {
    reply(net::text_response(404, "not found"));
    return;
  }
  auto now = now_();
  std::erase_if(states_, [&](const auto& kv) { return kv.second <= now; });
  // Anyone can ask for install links: the oldest unfinished ones make room.
  while (states_.size() >= max_states) {
    auto oldest = std::min_element(states_.begin(), states_.end(),
                                   [](const auto& a, const auto& b) { return a.second < b.second; });
    states_.erase(oldest);
  }
  std::string state = net::random_hex(16);
  states_[state] = now + state_lifetime;
  boost::urls::url u(settings_.authorize_url);
  u.params().append({"client_id", settings_.client_id});
  u.params().append({"scope", install_scopes});
  u.params().append({"state", state});
  if (!settings_.redirect_uri.empty()) u.params().append({"redirect_uri", settings_.redirect_uri});
  std::string location(u.buffer());
  net::http_response res =
      html_response(302, "Redirecting to Slack", "Continue to <a href=\"" + html_escape(location) + "\">Slack</a>.");
  res.headers.emplace_back("Location", location);
  // Binds the state to this browser, as Bolt's install provider does.
  res.headers.emplace_back("Set-Cookie", std::string(cookie_name) + "=" + state + "; Path=/slack; Max-Age=" +
                                             std::to_string(std::chrono::seconds(state_lifetime).count()) +
                                             "; HttpOnly; Secure; SameSite=Lax");
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
  std::string cookie = cookie_value(req.header("Cookie"), cookie_name);
  // Single use: a state that came back is spent, whatever else is wrong.
  bool known = false, fresh = false;
  if (auto it = states_.find(state); !state.empty() && it != states_.end()) {
    known = true;
    fresh = now_() < it->second;
    states_.erase(it);
  }
  if (!error.empty()) {
    spdlog::info("slack: an install was not completed (Slack says {})", error == "access_denied" ? error : "error");
    reply(bad_request("Installation cancelled", "Slack says: " + html_escape(error) + ". Nothing was installed."));
    return;
  }
  if (!known || !fresh || cookie.empty() || !same(cookie, state)) {
    spdlog::info("slack: install redirect refused ({})", !known   ? "unknown or used state"
                                                         : !fresh ? "expired state"
                                                                  : "state not bound to this browser");
    reply(bad_request("Installation link expired", "Please start again from the install link."));
    return;
  }
  if (code.empty()) {
    reply(bad_request("Installation incomplete", "Slack sent no code. Please start again from the install link."));
    return;
  }
  std::vector<std::pair<std::string, std::string>> exchange{
      {"client_id", settings_.client_id}, {"client_secret", settings_.client_secret}, {"code", code}};
  // Slack requires the same redirect_uri in the exchange as in the authorize request.
  if (!settings_.redirect_uri.empty()) exchange.emplace_back("redirect_uri", settings_.redirect_uri);
  api_.call_form("", "", "oauth.v2.access", std::move(exchange),
                 [this, reply](const slack::api_response& r) mutable { exchanged(r, std::move(reply)); });
}

void slack_oauth::exchanged(const slack::api_response& r, net::http_reply reply) {
  // An org-wide install has no team: the org is the tenant.
  std::string tenant = r.is_enterprise_install ? r.enterprise_id : r.team_id;
  bool usable = r.ok && !r.access_token.empty() && !tenant.empty() && (r.token_type.empty() || r.token_type == "bot");
  if (!usable) {
    std::string why = !r.ok ? r.error : "the answer has no bot token for a workspace";
    spdlog::warn("slack: OAuth exchange failed: {}", why);
    reply(without_cookie(html_response(502, "Installation failed",
                                       "Slack did not accept the installation (" + html_escape(why) +
                                           "). Nothing was installed; please try again.")));
    return;
  }
  auto now = now_();
  storage::installation inst;
  inst.platform = "slack";
  inst.tenant = tenant;
  inst.bot_token = r.access_token;
  inst.bot_user_id = r.bot_user_id;
  inst.scopes = r.scope;
  inst.installed_at = now;
  inst.enterprise_id = r.enterprise_id;
  inst.is_enterprise_install = r.is_enterprise_install;
  inst.app_id = r.app_id;
  inst.installer_user_id = r.user_id;
  inst.refresh_token = r.refresh_token;
  if (!r.refresh_token.empty() && r.expires_in > 0) inst.token_expires_at = now + std::chrono::seconds(r.expires_in);
  inst.updated_at = now;
  // oauth.v2.access has no bot_id; auth.test with the new token has. Without it the
  // installation still works (a message with any bot_id is never taken for a person's).
  api_.call_json(tenant, inst.bot_token, "auth.test", "{}",
                 [this, reply, inst](const slack::api_response& t) mutable {
                   if (t.ok) {
                     inst.bot_id = t.bot_id;
                     if (inst.bot_user_id.empty()) inst.bot_user_id = t.user_id;
                   } else {
                     spdlog::warn("slack: auth.test after installing in {} failed ({}); stored without the bot id",
                                  inst.tenant, t.error);
                   }
                   try {
                     workspaces_.installed(inst);
                   } catch (const std::exception& e) {
                     spdlog::error("slack: cannot store the installation of {}: {}", inst.tenant, e.what());
                     reply(without_cookie(html_response(500, "Installation failed", "mlpath could not store it.")));
                     return;
                   }
                   reply(without_cookie(html_response(
                       200, "mlpath is installed", "Open Slack and send mlpath a direct message, or type /mlpath.")));
                 });
}

}  // namespace mlpath

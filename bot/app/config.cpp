#include "bot/app/config.hpp"

#include <arpa/inet.h>

#include <charconv>
#include <cstdlib>
#include <filesystem>

#include "bot/discord/gateway.hpp"
#include "bot/net/http_client.hpp"
#include "bot/net/outbound.hpp"

namespace mlpath {
namespace {

bool is_ip_address(const std::string& host) {
  unsigned char buf[sizeof(struct in6_addr)];
  return inet_pton(AF_INET, host.c_str(), buf) == 1 || inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

// A pasted secret often drags a newline or spaces along; the platform would refuse it
// later with a less helpful error. The value itself is never quoted.
void check_secret(const std::string& value, const char* variable) {
  for (unsigned char ch : value)
    if (ch <= ' ' || ch == 0x7f)
      throw config_error(std::string(variable) + " contains whitespace or control characters (a stray newline?)");
}

bool is_postgres(const std::string& db) { return db.rfind("postgresql://", 0) == 0 || db.rfind("postgres://", 0) == 0; }

}  // namespace

std::string printable_database(const std::string& db) {
  auto scheme = db.find("://");
  if (scheme == std::string::npos) return db;
  auto at = db.find('@', scheme + 3);
  auto slash = db.find('/', scheme + 3);
  if (at == std::string::npos || (slash != std::string::npos && slash < at)) return db;
  auto colon = db.find(':', scheme + 3);
  if (colon == std::string::npos || colon > at) return db;
  return db.substr(0, colon + 1) + "***" + db.substr(at);
}

void parse_listen(const std::string& value, const char* variable, std::string& host, std::uint16_t& port) {
  auto colon = value.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == value.size())
    throw config_error(std::string(variable) + " must be host:port (e.g. 127.0.0.1:3000), not \"" + value + "\"");
  std::string h = value.substr(0, colon);
  if (h.size() > 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  unsigned p = 0;
  const char* first = value.data() + colon + 1;
  const char* last = value.data() + value.size();
  auto [ptr, ec] = std::from_chars(first, last, p);
  if (ec != std::errc() || ptr != last || p > 65535)
    throw config_error(std::string(variable) + " has an invalid port in \"" + value + "\"");
  if (!is_ip_address(h))
    throw config_error(std::string(variable) + " must name an IP address to listen on (e.g. 127.0.0.1 or 0.0.0.0), not \"" +
                       h + "\"");
  host = h;
  port = static_cast<std::uint16_t>(p);
}

config load_config(const env_lookup& lookup) {
  auto get = [&](const char* name) -> std::string {
    const char* v = lookup ? lookup(name) : std::getenv(name);
    return v ? std::string(v) : std::string();
  };
  auto present = [&](const char* name) { return lookup ? lookup(name) != nullptr : std::getenv(name) != nullptr; };
  config c;
  if (present("MLPATH_DB")) {
    c.db_path = get("MLPATH_DB");
    if (c.db_path.empty()) throw config_error("MLPATH_DB is set but empty; give a file path or unset it");
    if (is_postgres(c.db_path))
      throw config_error("MLPATH_DB names a PostgreSQL database, but this build has only the SQLite backend; give a "
                         "file path");
  }
  if (present("MLPATH_LISTEN")) parse_listen(get("MLPATH_LISTEN"), "MLPATH_LISTEN", c.listen_host, c.listen_port);
  if (present("MLPATH_LOG_LEVEL")) {
    c.log_level = get("MLPATH_LOG_LEVEL");
    if (c.log_level != "debug" && c.log_level != "info" && c.log_level != "warn" && c.log_level != "error")
      throw config_error("MLPATH_LOG_LEVEL must be debug, info, warn or error, not \"" + c.log_level + "\"");
  }
  if (present("MLPATH_LOG_FORMAT")) {
    c.log_format = get("MLPATH_LOG_FORMAT");
    if (c.log_format != "json" && c.log_format != "text")
      throw config_error("MLPATH_LOG_FORMAT must be json or text, not \"" + c.log_format + "\"");
  }
  c.content_dir = get("MLPATH_CONTENT_DIR");
  if (!c.content_dir.empty()) {
    std::error_code ec;
    if (!std::filesystem::exists(c.content_dir, ec))
      throw config_error("MLPATH_CONTENT_DIR " + c.content_dir + " does not exist");
  }
  c.ca_file = get("MLPATH_CA_FILE");
  if (!c.ca_file.empty()) {
    if (auto why = net::check_ca_file(c.ca_file); !why.empty())
      throw config_error("MLPATH_CA_FILE " + c.ca_file + " cannot be loaded: " + why);
  }
  c.public_url = get("MLPATH_PUBLIC_URL");
  if (!c.public_url.empty()) {
    while (c.public_url.size() > 1 && c.public_url.back() == '/') c.public_url.pop_back();
    if (auto why = net::http_client::check_url(c.public_url); !why.empty())
      throw config_error("MLPATH_PUBLIC_URL: " + why);
    if (c.public_url.find_first_of("?#") != std::string::npos)
      throw config_error("MLPATH_PUBLIC_URL must be a base address without ?query or #fragment");
  }
  if (present("MLPATH_DURABILITY")) {
    std::string d = get("MLPATH_DURABILITY");
    if (d == "fsync") c.fsync = true;
    else if (d != "crash") throw config_error("MLPATH_DURABILITY must be crash or fsync, not \"" + d + "\"");
  }
  c.slack_signing_secret = get("SLACK_SIGNING_SECRET");
  c.slack_bot_token = get("SLACK_BOT_TOKEN");
  c.slack_app_token = get("SLACK_APP_TOKEN");
  c.slack_client_id = get("SLACK_CLIENT_ID");
  c.slack_client_secret = get("SLACK_CLIENT_SECRET");
  if (present("SLACK_API_URL")) c.slack_api_url = get("SLACK_API_URL");
  c.discord_bot_token = get("DISCORD_BOT_TOKEN");
  c.discord_application_id = get("DISCORD_APPLICATION_ID");
  c.discord_public_key = get("DISCORD_PUBLIC_KEY");
  if (present("DISCORD_API_URL")) c.discord_api_url = get("DISCORD_API_URL");
  c.discord_shards = get("DISCORD_SHARDS");

  check_secret(c.slack_signing_secret, "SLACK_SIGNING_SECRET");
  check_secret(c.slack_bot_token, "SLACK_BOT_TOKEN");
  check_secret(c.slack_app_token, "SLACK_APP_TOKEN");
  check_secret(c.slack_client_secret, "SLACK_CLIENT_SECRET");
  check_secret(c.discord_bot_token, "DISCORD_BOT_TOKEN");

  // Credentials come in sets; half a set is a mistake worth stopping for.
  if (!c.slack_app_token.empty() && c.slack_bot_token.empty())
    throw config_error("SLACK_BOT_TOKEN is required when SLACK_APP_TOKEN is set");
  // A bot token runs over HTTP (with the signing secret) or over Socket Mode (with the
  // app-level token, and then no public URL or signing secret is needed).
  if (!c.slack_bot_token.empty() && c.slack_signing_secret.empty() && c.slack_app_token.empty())
    throw config_error("SLACK_SIGNING_SECRET (HTTP) or SLACK_APP_TOKEN (Socket Mode) is required when SLACK_BOT_TOKEN "
                       "is set");
  if (!c.slack_client_id.empty() && c.slack_signing_secret.empty())
    throw config_error("SLACK_SIGNING_SECRET is required when SLACK_CLIENT_ID is set");
  if (!c.slack_bot_token.empty() && c.slack_bot_token.rfind("xoxb-", 0) != 0)
    throw config_error("SLACK_BOT_TOKEN must be a bot token (xoxb-...)");
  if (!c.slack_app_token.empty() && c.slack_app_token.rfind("xapp-", 0) != 0)
    throw config_error("SLACK_APP_TOKEN must be an app-level token (xapp-...)");
  if (c.slack_client_id.empty() != c.slack_client_secret.empty())
    throw config_error(c.slack_client_id.empty() ? "SLACK_CLIENT_ID is required when SLACK_CLIENT_SECRET is set"
                                                 : "SLACK_CLIENT_SECRET is required when SLACK_CLIENT_ID is set");
  if (c.slack_enabled() && c.slack_bot_token.empty() && c.slack_client_id.empty())
    throw config_error("SLACK_SIGNING_SECRET is set but neither SLACK_BOT_TOKEN nor SLACK_CLIENT_ID/SLACK_CLIENT_SECRET");
  if (c.slack_api_url.empty() || c.slack_api_url.back() != '/') c.slack_api_url += '/';
  if (auto why = net::http_client::check_url(c.slack_api_url); !why.empty())
    throw config_error("SLACK_API_URL: " + why);
  while (!c.discord_api_url.empty() && c.discord_api_url.back() == '/') c.discord_api_url.pop_back();
  if (auto why = net::http_client::check_url(c.discord_api_url); !why.empty())
    throw config_error("DISCORD_API_URL: " + why);
  if (!c.discord_public_key.empty() &&
      (c.discord_public_key.size() != 64 ||
       c.discord_public_key.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos))
    throw config_error("DISCORD_PUBLIC_KEY must be the application's public key: 64 hex characters");
  if (!c.discord_bot_token.empty() && c.discord_application_id.empty())
    throw config_error("DISCORD_APPLICATION_ID is required when DISCORD_BOT_TOKEN is set");
  if (!c.discord_application_id.empty() && !c.discord_enabled())
    throw config_error("DISCORD_APPLICATION_ID is set but neither DISCORD_BOT_TOKEN nor DISCORD_PUBLIC_KEY");
  if (!c.discord_shards.empty()) {
    if (c.discord_bot_token.empty()) throw config_error("DISCORD_BOT_TOKEN is required when DISCORD_SHARDS is set");
    try {
      parse_shards(c.discord_shards);
    } catch (const std::invalid_argument& e) {
      throw config_error(e.what());
    }
  }
  return c;
}

}  // namespace mlpath

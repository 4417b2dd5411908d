#pragma once
// Settings from the environment (12-factor); command-line flags override them.
// A missing or malformed setting is a config_error: one line naming the variable, never
// quoting a secret's value.

#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>

namespace mlpath {

class config_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct config {
  std::string db_path = "./mlpath.db";   // MLPATH_DB
  std::string listen_host = "127.0.0.1"; // MLPATH_LISTEN host part
  std::uint16_t listen_port = 3000;      // MLPATH_LISTEN port part
  std::string log_level = "info";        // MLPATH_LOG_LEVEL
  std::string log_format;                // MLPATH_LOG_FORMAT: json, text ("" = text on a terminal, else json)
  std::string content_dir;               // MLPATH_CONTENT_DIR ("" = built-in)
  std::string ca_file;                   // MLPATH_CA_FILE
  std::string public_url;                // MLPATH_PUBLIC_URL ("" = Slack uses the app's Redirect URL)
  bool fsync = false;                    // MLPATH_DURABILITY=fsync

  // Slack
  std::string slack_signing_secret;  // SLACK_SIGNING_SECRET
  std::string slack_bot_token;       // SLACK_BOT_TOKEN (single workspace)
  std::string slack_app_token;       // SLACK_APP_TOKEN (Socket Mode)
  std::string slack_client_id;       // SLACK_CLIENT_ID (OAuth install)
  std::string slack_client_secret;   // SLACK_CLIENT_SECRET
  std::string slack_api_url = "https://slack.com/api/";  // SLACK_API_URL

  // Discord
  std::string discord_bot_token;       // DISCORD_BOT_TOKEN
  std::string discord_application_id;  // DISCORD_APPLICATION_ID
  std::string discord_public_key;      // DISCORD_PUBLIC_KEY (hex)
  std::string discord_api_url = "https://discord.com/api/v10";  // DISCORD_API_URL
  std::string discord_shards;          // DISCORD_SHARDS, e.g. 0-3/8 ("" = auto)

  bool slack_enabled() const { return !slack_signing_secret.empty() || slack_socket_mode(); }
  bool slack_socket_mode() const { return !slack_app_token.empty(); }
  // POST /slack/events is served only with a signing secret to verify requests by.
  bool slack_http() const { return !slack_signing_secret.empty(); }
  bool discord_enabled() const { return !discord_public_key.empty() || !discord_bot_token.empty(); }
};

using env_lookup = std::function<const char*(const char*)>;

// Reads and validates every setting. `lookup` defaults to getenv (tests pass their own).
// Checks that need no network and no database: formats, companion variables, files.
config load_config(const env_lookup& lookup = {});

// "host:port" -> parts; throws config_error mentioning `variable`.
void parse_listen(const std::string& value, const char* variable, std::string& host, std::uint16_t& port);

// What the database setting may be shown as: a URI's password is replaced by "***".
std::string printable_database(const std::string& db);

}  // namespace mlpath

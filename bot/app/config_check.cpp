#include "bot/app/config_check.hpp"

#include "bot/content/content_loader.hpp"

namespace mlpath {
namespace {

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

}  // namespace

offline_checks check_offline(const config& c) {
  offline_checks k;
  k.database = storage::check_sqlite_file(c.db_path);
  if (!k.database.problem.empty()) throw config_error("MLPATH_DB: " + k.database.problem);
  std::vector<loader::content_file> files;
  try {
    files = loader::gather_content_files(c.content_dir);
  } catch (const std::exception& e) {
    throw config_error(std::string("MLPATH_CONTENT_DIR: ") + e.what());
  }
  auto loaded = loader::load_content(files);
  if (!loaded.loaded) {
    std::string where = c.content_dir.empty() ? "the built-in content" : "MLPATH_CONTENT_DIR";
    std::string more = loaded.errors.size() > 1
                           ? " (and " + std::to_string(loaded.errors.size() - 1) + " more; run mlpath flow check)"
                           : std::string();
    throw config_error(where + ": " + loaded.errors.front().to_string() + more);
  }
  k.content = std::move(loaded.loaded);
  return k;
}

std::string describe_plan(const config& c, const offline_checks& k, const std::string& log_format) {
  std::string out = "mlpath serve would run:\n";
  auto line = [&](const std::string& part, const std::string& what) {
    out += "  " + part + std::string(part.size() < 12 ? 12 - part.size() : 1, ' ') + what + "\n";
  };
  line("listen", c.listen_host + ":" + std::to_string(c.listen_port) + " (GET /healthz, /readyz, /metrics)");
  int latest = storage::latest_schema_version();
  std::string db = printable_database(c.db_path) + ", SQLite: ";
  if (!k.database.exists) db += "a new file (schema " + std::to_string(latest) + ")";
  else if (k.database.schema_version < latest)
    db += "schema " + std::to_string(k.database.schema_version) + ", migrated to " + std::to_string(latest) + " at start";
  else db += "schema " + std::to_string(latest) + ", current";
  line("database", db);
  line("durability", c.fsync ? "fsync (commits survive power loss; concurrent commits share one fsync)"
                             : "crash (commits survive a crash of the process; MLPATH_DURABILITY=fsync for power loss)");
  const auto& q = k.content->questions;
  line("content", (c.content_dir.empty() ? std::string("built-in") : c.content_dir) + " (flow " + q.id + " v" +
                      std::to_string(q.version) + ": " + std::to_string(q.questions.size()) + " questions, " +
                      std::to_string(k.content->roles.size()) + " roles)");
  line("logs", log_format + " on stderr, level " + c.log_level);
  line("outbound", std::string("TLS with the system trust store") +
                       (c.ca_file.empty() ? "" : " and MLPATH_CA_FILE " + c.ca_file));

  if (!c.slack_enabled()) {
    line("slack", "off (no SLACK_* credentials)");
  } else {
    std::vector<std::string> set;
    if (c.slack_http()) set.push_back("SLACK_SIGNING_SECRET");
    if (!c.slack_bot_token.empty()) set.push_back("SLACK_BOT_TOKEN");
    if (c.slack_socket_mode()) set.push_back("SLACK_APP_TOKEN");
    if (!c.slack_client_id.empty()) {
      set.push_back("SLACK_CLIENT_ID");
      set.push_back("SLACK_CLIENT_SECRET");
    }
    std::string mode;
    if (!c.slack_client_id.empty())
      mode = "HTTP, many workspaces (OAuth v2 install at /slack/install, redirect_uri " +
             (c.public_url.empty() ? std::string("the app's configured one") : c.public_url + "/slack/oauth_redirect") +
             "): POST /slack/events";
    else if (c.slack_http())
      mode = "HTTP, one workspace: POST /slack/events";
    if (c.slack_socket_mode())
      mode = (mode.empty() ? std::string("Socket Mode, one workspace, no public URL (POST /slack/events answers 404)")
                           : "Socket Mode (no public URL needed) and " + mode);
    line("slack", mode + "; Web API " + c.slack_api_url + " (" + joined(set) + " set)");
  }
  if (!c.discord_enabled()) {
    line("discord", "off (no DISCORD_* credentials)");
  } else {
    std::vector<std::string> parts, set;
    if (!c.discord_public_key.empty()) {
      parts.push_back("interactions endpoint POST /discord/interactions");
      set.push_back("DISCORD_PUBLIC_KEY");
    }
    if (!c.discord_bot_token.empty()) {
      parts.push_back("gateway, shards " + (c.discord_shards.empty() ? std::string("as Discord recommends") : c.discord_shards) +
                      "; REST " + c.discord_api_url);
      set.push_back("DISCORD_BOT_TOKEN");
      set.push_back("DISCORD_APPLICATION_ID");
    } else {
      parts.push_back("no gateway and no follow-ups (no DISCORD_BOT_TOKEN)");
    }
    line("discord", joined(parts) + " (" + joined(set) + " set)");
  }
  out += "configuration ok\n";
  return out;
}

}  // namespace mlpath

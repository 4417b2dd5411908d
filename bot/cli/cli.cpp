#include "bot/cli/cli.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <boost/json/serialize.hpp>
#include <filesystem>
#include <iostream>
#include <iterator>

#include "adapters/common/json_text.hpp"
#include "adapters/console/answers_json.hpp"
#include "adapters/console/reply_json.hpp"
#include "adapters/console/text_render.hpp"
#include "bot/app/config.hpp"
#include "bot/app/config_check.hpp"
#include "bot/app/service.hpp"
#include "bot/cli/user_export_json.hpp"
#include "bot/console/console_chat.hpp"
#include "bot/content/content_loader.hpp"
#include "bot/discord/commands.hpp"
#include "bot/observe/log.hpp"
#include "bot/schedule/checkin_planner.hpp"
#include "bot/schedule/tz_calendar.hpp"
#include "bot/turns/conversation_service.hpp"
#include "dialogs/engine.hpp"
#include "storage/sqlite_store.hpp"

namespace mlpath {
namespace {

dialogs::timestamp wall_clock() {
  return std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
}

logs::format setup_logging(const config& c) {
  logs::format f = logs::format::text;
  logs::parse_format(c.log_format, isatty(STDERR_FILENO) == 1, f);  // validated by load_config
  logs::setup(c.log_level, f);
  return f;
}

struct global_flags {
  std::string db;
  std::string content;
  std::string log_level;
};

config effective_config(const global_flags& flags) {
  config c = load_config();
  if (!flags.db.empty()) c.db_path = flags.db;
  if (!flags.content.empty()) c.content_dir = flags.content;
  if (!flags.log_level.empty()) {
    if (flags.log_level != "debug" && flags.log_level != "info" && flags.log_level != "warn" && flags.log_level != "error")
      throw config_error("--log-level must be debug, info, warn or error");
    c.log_level = flags.log_level;
  }
  return c;
}

std::unique_ptr<storage::store> open_store(const config& c) {
  return storage::open_sqlite_store({c.db_path, c.fsync});
}

std::string default_user() {
  const char* u = std::getenv("USER");
  return u && *u ? u : "me";
}

int cmd_chat(const config& c, const std::string& user, bool json) {
  auto content = loader::load_content_or_throw(c.content_dir);
  dialogs::engine engine(content, &system_calendar());
  auto store = open_store(c);
  conversation_service service(engine, *store);
  chat_options o{user.empty() ? default_user() : user, json, isatty(STDIN_FILENO) == 1};
  return run_chat(service, o, std::cin, std::cout, wall_clock);
}

int cmd_match(const config& c, bool json) {
  auto content = loader::load_content_or_throw(c.content_dir);
  dialogs::engine engine(content);
  std::string input((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
  auto parsed = console::parse_answers_json(*content, input);
  if (auto* errors = std::get_if<std::vector<std::string>>(&parsed)) {
    for (const auto& e : *errors) std::cerr << "mlpath match: " << e << '\n';
    return 2;
  }
  dialogs::result_reply r = engine.result_for(std::get<dialogs::answer_list>(parsed));
  if (json) std::cout << adapters::json_text(console::result_json(r)) << '\n';
  else std::cout << console::render_text(r) << '\n';
  return 0;
}

int cmd_flow_check(const config& c, const std::string& path) {
  auto files = loader::gather_content_files(path.empty() ? c.content_dir : path);
  auto outcome = loader::load_content(files);
  if (!outcome.loaded) {
    for (const auto& d : outcome.errors) std::cerr << d.to_string() << '\n';
    std::cerr << outcome.errors.size() << (outcome.errors.size() == 1 ? " problem" : " problems") << " found\n";
    return 1;
  }
  const auto& ct = *outcome.loaded;
  std::cout << "content ok: flow " << ct.questions.id << " v" << ct.questions.version << ", "
            << ct.questions.questions.size() << " questions, " << ct.roles.size() << " roles, weights v"
            << ct.scoring.version << ", " << ct.resources.size() << " resources\n";
  return 0;
}

int cmd_checkins_plan(const std::string& tz, const std::string& day, const std::string& time, const std::string& from,
                      int count) {
  weekly_time w{tz, parse_weekday(day), 0, 0};
  parse_clock(time, w.hour, w.minute);
  auto start = from.empty() ? wall_clock() : parse_instant(from);
  for (auto t : next_checkins(w, start, count)) std::cout << format_utc(t) << "  " << format_local(t, tz) << '\n';
  return 0;
}

}  // namespace

int run_cli(int argc, char** argv) {
  CLI::App app{"mlpath: helps software engineers find their path into machine learning"};
  app.require_subcommand(1);
  // Global flags may come after the subcommand too: `mlpath chat --db x.db`.
  app.fallthrough();
  global_flags flags;
  app.add_option("--db", flags.db, "SQLite file (overrides MLPATH_DB)");
  app.add_option("--content", flags.content, "content directory (overrides MLPATH_CONTENT_DIR)");
  app.add_option("--log-level", flags.log_level, "debug, info, warn or error (overrides MLPATH_LOG_LEVEL)");

  std::string chat_user;
  bool chat_json = false;
  auto* chat = app.add_subcommand("chat", "the reflection in this terminal (answers kept in the SQLite file)");
  chat->add_option("--user", chat_user, "who you are (default: $USER); the same name resumes your conversation");
  chat->add_flag("--json", chat_json, "JSON lines in and out, for scripts");

  auto* serve = app.add_subcommand("serve", "run the service: HTTP endpoints and every adapter whose credentials are set");
  bool check_config = false;
  serve->add_flag("--check-config", check_config,
                  "validate every setting offline (no platform is contacted), print what would run, and exit");

  bool match_json = false;
  auto* match = app.add_subcommand("match", "score a JSON object of answers read from stdin");
  match->add_flag("--json", match_json, "print the result as JSON");

  auto* flow = app.add_subcommand("flow", "content files");
  flow->require_subcommand(1);
  std::string check_path;
  auto* check = flow->add_subcommand("check", "validate content files (a directory, or one file)");
  check->add_option("path", check_path, "directory or file (default: MLPATH_CONTENT_DIR or the built-in content)");

  auto* checkins = app.add_subcommand("checkins", "weekly check-ins");
  checkins->require_subcommand(1);
  std::string tz, day, time, from;
  int count = 4;
  auto* plan = checkins->add_subcommand("plan", "print the next due times of a weekly check-in");
  plan->add_option("--tz", tz, "IANA time zone, e.g. Europe/Berlin")->required();
  plan->add_option("--day", day, "weekday: mon, tue, ... sun")->required();
  plan->add_option("--time", time, "local time, HH:MM")->required();
  plan->add_option("--from", from, "start instant, ISO 8601 (default: now)");
  plan->add_option("--count", count, "how many due times")->check(CLI::Range(1, 520));

  auto* user = app.add_subcommand("user", "one person's stored data");
  user->require_subcommand(1);
  std::string platform, user_id, tenant;
  auto add_user_opts = [&](CLI::App* sub) {
    sub->add_option("--platform", platform, "slack, discord or console")
        ->required()
        ->check(CLI::IsMember({"slack", "discord", "console"}));
    sub->add_option("--user", user_id, "the platform's user id (console: the chat name)")->required();
    sub->add_option("--tenant", tenant, "Slack team id or Discord guild id (needed only when the id is in several)");
  };
  auto* user_export = user->add_subcommand("export", "print everything stored about one person as JSON");
  add_user_opts(user_export);
  auto* user_delete = user->add_subcommand("delete", "erase everything stored about one person");
  add_user_opts(user_delete);

  auto* discord_cmd = app.add_subcommand("discord", "Discord set-up");
  discord_cmd->require_subcommand(1);
  std::string guild;
  auto* register_cmd = discord_cmd->add_subcommand("register-commands", "register /mlpath with Discord (only if changed)");
  register_cmd->add_option("--guild", guild, "register in one server (instant) instead of globally");

  std::string backup_file;
  auto* backup = app.add_subcommand("backup", "write an online, consistent copy of the database");
  backup->add_option("file", backup_file, "where to write the copy (must not exist)")->required();

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }

  try {
    config c = effective_config(flags);
    logs::format f = setup_logging(c);
    if (serve->parsed() && check_config) {
      auto checked = check_offline(c);
      std::cout << describe_plan(c, checked, f == logs::format::json ? "json" : "text");
      return 0;
    }
    if (serve->parsed()) return run_service(c);
    if (register_cmd->parsed()) return register_discord_commands(c, guild);
    if (chat->parsed()) return cmd_chat(c, chat_user, chat_json);
    if (match->parsed()) return cmd_match(c, match_json);
    if (check->parsed()) return cmd_flow_check(c, check_path);
    if (plan->parsed()) return cmd_checkins_plan(tz, day, time, from, count);
    if (user_export->parsed() || user_delete->parsed()) {
      auto store = open_store(c);
      storage::user_ref u{platform, tenant, user_id};
      if (tenant.empty()) {
        // By id alone when it is unique across tenants (workspaces, servers).
        auto found = store->users_named(platform, user_id);
        if (found.size() > 1) {
          std::cerr << "mlpath: " << platform << " user " << user_id << " exists in " << found.size()
                    << " tenants; name one with --tenant (";
          for (std::size_t i = 0; i < found.size(); ++i) std::cerr << (i ? ", " : "") << found[i].tenant;
          std::cerr << ")\n";
          return 2;
        }
        if (found.size() == 1) u = found.front();
      }
      if (user_export->parsed()) {
        auto doc = store->export_user(u);
        if (!doc) {
          std::cerr << "mlpath: no stored data for " << platform << " user " << user_id << '\n';
          return 1;
        }
        std::cout << adapters::json_text(user_export_json(*doc)) << '\n';
        return 0;
      }
      if (!store->erase_user(u)) {
        std::cerr << "mlpath: no stored data for " << platform << " user " << user_id << '\n';
        return 1;
      }
      std::cout << "deleted everything stored about " << platform << " user " << user_id << '\n';
      return 0;
    }
    if (backup->parsed()) {
      if (std::filesystem::exists(backup_file)) {
        std::cerr << "mlpath: " << backup_file << " already exists; choose a new file\n";
        return 1;
      }
      auto store = open_store(c);
      store->backup(backup_file);
      std::string check_result = storage::sqlite_integrity_check(backup_file);
      if (check_result != "ok") {
        std::cerr << "mlpath: the backup failed its integrity check: " << check_result << '\n';
        return 1;
      }
      std::cout << "backup written to " << backup_file << " (integrity check: ok)\n";
      return 0;
    }
  } catch (const config_error& e) {
    // One line naming the setting; exit 2, as for a bad command line.
    std::cerr << "mlpath: " << e.what() << '\n';
    return 2;
  } catch (const loader::content_error& e) {
    std::cerr << e.what() << '\n';
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "mlpath: " << e.what() << '\n';
    return 1;
  }
  return 0;
}

}  // namespace mlpath

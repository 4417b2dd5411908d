#pragma once
// Log lines on stderr through spdlog, one per event, as text (for a terminal) or as one
// JSON object per line (for collectors): time (RFC 3339, UTC), level, component, msg,
// plus the context of what is being handled (platform, team/guild, event_id or
// interaction_id, latency_ms). Code logs as usual (`spdlog::info("slack: ...")`); the
// "component: " prefix of a message becomes its component, and a log_scope adds context
// fields to every line written while it lives.
//
// Never log message text or answers at info or above, nor any secret.
//
// Threading: set up once before other threads start; a log_scope belongs to its thread.

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace mlpath::logs {

enum class format { text, json };

// MLPATH_LOG_FORMAT: "json" or "text"; "" picks text when stderr is a terminal, else json.
// Returns false for any other value.
bool parse_format(std::string_view setting, bool stderr_is_terminal, format& out);

// Installs the stderr logger. `level`: debug, info, warn or error.
void setup(const std::string& level, format f);
format current_format();

// One line in the current format, built without spdlog's logger: for the few lines a
// command writes to stdout by design (serve's "listening on" announcement).
std::string line(std::string_view level, std::string_view msg,
                 std::initializer_list<std::pair<std::string_view, std::string_view>> fields = {});

// Context fields for every line logged on this thread while the scope lives. Scopes nest;
// an inner field with the same name wins.
class log_scope {
 public:
  log_scope(std::initializer_list<std::pair<std::string_view, std::string_view>> fields);
  ~log_scope();
  log_scope(const log_scope&) = delete;
  log_scope& operator=(const log_scope&) = delete;

 private:
  std::size_t added_ = 0;
};

// "component: message" -> (component, message); ("", whole) without such a prefix.
std::pair<std::string, std::string_view> split_component(std::string_view msg);

}  // namespace mlpath::logs

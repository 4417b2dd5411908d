#include "bot/observe/log.hpp"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/json.hpp>
#include <chrono>
#include <ctime>
#include <vector>

namespace mlpath::logs {
namespace {

namespace json = boost::json;

thread_local std::vector<std::pair<std::string, std::string>> context;
format active = format::text;

std::string rfc3339(std::chrono::system_clock::time_point t) {
  auto secs = std::chrono::time_point_cast<std::chrono::seconds>(t);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t - secs).count();
  std::time_t tt = std::chrono::system_clock::to_time_t(secs);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
  return buf;
}

std::string_view level_name(spdlog::level::level_enum l) {
  switch (l) {
    case spdlog::level::trace: return "trace";
    case spdlog::level::debug: return "debug";
    case spdlog::level::info: return "info";
    case spdlog::level::warn: return "warn";
    case spdlog::level::err:
    case spdlog::level::critical: return "error";
    default: return "info";
  }
}

// Field names the JSON line owns; context may not overwrite them.
bool reserved(std::string_view k) { return k == "time" || k == "level" || k == "component" || k == "msg"; }

std::string render(std::chrono::system_clock::time_point t, std::string_view level, std::string_view raw,
                   const std::vector<std::pair<std::string, std::string>>& extra) {
  auto [component, msg] = split_component(raw);
  if (component.empty()) component = "mlpath";
  if (active == format::json) {
    json::object o;
    o["time"] = rfc3339(t);
    o["level"] = level;
    o["component"] = component;
    o["msg"] = msg;
    for (const auto& [k, v] : extra)
      if (!reserved(k)) o[k] = v;
    std::string out = json::serialize(o);
    out += '\n';
    return out;
  }
  std::string out = rfc3339(t);
  out += ' ';
  out += level;
  out += ' ';
  out += component;
  out += ": ";
  out += msg;
  for (const auto& [k, v] : extra) {
    out += ' ';
    out += k;
    out += '=';
    out += v;
  }
  out += '\n';
  return out;
}

// Innermost wins: later entries in `context` shadow earlier ones with the same name.
std::vector<std::pair<std::string, std::string>> effective_context() {
  std::vector<std::pair<std::string, std::string>> out;
  for (auto it = context.rbegin(); it != context.rend(); ++it) {
    bool seen = false;
    for (const auto& o : out) seen = seen || o.first == it->first;
    if (!seen) out.push_back(*it);
  }
  std::reverse(out.begin(), out.end());
  return out;
}

class line_formatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    std::string s = render(msg.time, level_name(msg.level), std::string_view(msg.payload.data(), msg.payload.size()),
                           effective_context());
    dest.append(s.data(), s.data() + s.size());
  }
  std::unique_ptr<spdlog::formatter> clone() const override { return std::make_unique<line_formatter>(); }
};

}  // namespace

bool parse_format(std::string_view setting, bool stderr_is_terminal, format& out) {
  if (setting.empty()) {
    out = stderr_is_terminal ? format::text : format::json;
    return true;
  }
  if (setting == "json") out = format::json;
  else if (setting == "text") out = format::text;
  else return false;
  return true;
}

void setup(const std::string& level, format f) {
  active = f;
  // Plain (uncoloured) stderr: a JSON line must hold nothing but JSON.
  auto logger = spdlog::get("mlpath");
  if (!logger) logger = spdlog::stderr_logger_mt("mlpath");
  logger->set_formatter(std::make_unique<line_formatter>());
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::from_str(level == "warn" ? "warning" : level));
  spdlog::flush_on(spdlog::level::trace);
}

format current_format() { return active; }

std::string line(std::string_view level, std::string_view msg,
                 std::initializer_list<std::pair<std::string_view, std::string_view>> fields) {
  std::vector<std::pair<std::string, std::string>> extra;
  for (const auto& [k, v] : fields) extra.emplace_back(k, v);
  return render(std::chrono::system_clock::now(), level, msg, extra);
}

log_scope::log_scope(std::initializer_list<std::pair<std::string_view, std::string_view>> fields) {
  for (const auto& [k, v] : fields) {
    if (v.empty()) continue;
    context.emplace_back(k, v);
    ++added_;
  }
}

log_scope::~log_scope() { context.resize(context.size() - added_); }

std::pair<std::string, std::string_view> split_component(std::string_view msg) {
  auto colon = msg.find(": ");
  if (colon == std::string_view::npos || colon == 0 || colon > 24) return {"", msg};
  std::string component;
  for (char c : msg.substr(0, colon)) {
    if (c == ' ' || c == '-') component += '_';
    else if ((c >= 'a' && c <= 'z') || c == '_') component += c;
    else return {"", msg};
  }
  return {component, msg.substr(colon + 2)};
}

}  // namespace mlpath::logs

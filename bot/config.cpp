#include "bot/config.hpp"

#include <charconv>
#include <cstdlib>

namespace mlpath {

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
  }
  if (present("MLPATH_LISTEN")) parse_listen(get("MLPATH_LISTEN"), "MLPATH_LISTEN", c.listen_host, c.listen_port);
  if (present("MLPATH_LOG_LEVEL")) {
    c.log_level = get("MLPATH_LOG_LEVEL");
    if (c.log_level != "debug" && c.log_level != "info" && c.log_level != "warn" && c.log_level != "error")
      throw config_error("MLPATH_LOG_LEVEL must be debug, info, warn or error, not \"" + c.log_level + "\"");
  }
  c.content_dir = get("MLPATH_CONTENT_DIR");
  c.ca_file = get("MLPATH_CA_FILE");
  if (present("MLPATH_DURABILITY")) {
    std::string d = get("MLPATH_DURABILITY");
    if (d == "fsync") c.fsync = true;
    else if (d != "crash") throw config_error("MLPATH_DURABILITY must be crash or fsync, not \"" + d + "\"");
  }
  return c;
}

}  // namespace mlpath

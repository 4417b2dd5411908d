#pragma once
// Settings from the environment (12-factor); command-line flags override them.
// A missing or malformed setting is a config_error naming the variable.

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
  std::string content_dir;               // MLPATH_CONTENT_DIR ("" = built-in)
  std::string ca_file;                   // MLPATH_CA_FILE
  bool fsync = false;                    // MLPATH_DURABILITY=fsync
};

using env_lookup = std::function<const char*(const char*)>;

// Reads every MLPATH_* variable. `lookup` defaults to getenv (tests pass their own).
config load_config(const env_lookup& lookup = {});

// "host:port" -> parts; throws config_error mentioning `variable`.
void parse_listen(const std::string& value, const char* variable, std::string& host, std::uint16_t& port);

}  // namespace mlpath

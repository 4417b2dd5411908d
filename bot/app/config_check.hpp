#pragma once
// What `mlpath serve` checks before it listens, without contacting any platform: the
// database file (exists or can be created, writable, not from a newer mlpath) and the
// content files. `mlpath serve --check-config` runs the same checks and prints what
// would run; both stop with the same one line (a config_error naming the variable).

#include <memory>
#include <string>

#include "bot/app/config.hpp"
#include "dialogs/content.hpp"
#include "storage/sqlite_store.hpp"

namespace mlpath {

struct offline_checks {
  storage::sqlite_preflight database;
  std::shared_ptr<const dialogs::content> content;
};

// Throws config_error.
offline_checks check_offline(const config& c);

// The plan, one part per line: each adapter and its mode, the listen address, the
// database and durability, the content, the logs. Names the secret variables that are
// set, never their values.
std::string describe_plan(const config& c, const offline_checks& k, const std::string& log_format);

}  // namespace mlpath

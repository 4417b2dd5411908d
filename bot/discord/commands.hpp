#pragma once

#include "bot/app/config.hpp"

namespace mlpath {

// `mlpath discord register-commands [--guild ID]`: compares the definitions in
// deploy/discord-commands.json (built in) with what Discord has and bulk-overwrites only
// when they differ. Returns the exit code; prints what it did.
int register_discord_commands(const config& c, const std::string& guild_id);

}  // namespace mlpath

#pragma once
// Application command definitions: deploy/discord-commands.json (built into the binary)
// holds the /mlpath CHAT_INPUT command and the permission-gated /mlpath-stats. These
// functions keep `mlpath discord register-commands` idempotent: compare what we want with
// GET /applications/{id}[/guilds/{id}]/commands and bulk-PUT only on a difference, because
// creates count against a daily limit (200 per guild) and every PUT re-versions commands.
//
// Pure; all functions are thread-safe and never throw.

#include <string>
#include <string_view>
#include <vector>

namespace mlpath::discord {

// True when `current` (Discord's GET output) already holds exactly the commands of
// `desired`, ignoring what Discord adds (id, application_id, version, guild_id,
// dm_permission, default_permission, nsfw:false, name_localized, description_localized,
// empty localizations, required:false, ...) and filling Discord's defaults on both sides
// (type 1, integration_types [0]). contexts are compared exactly: omitted comes back null,
// which is not "everywhere". Commands match by (name, type); options in order. Invalid
// JSON on either side: false (so the caller PUTs).
bool commands_match(std::string_view desired_json, std::string_view current_json);

// The same definitions for guild-scoped registration, which supports neither `contexts`
// nor `integration_types`. Returns the input unchanged when it is not a JSON array.
std::string commands_for_guild(std::string_view desired);

// Problems with definitions against Discord's rules (name 1-32 lowercase, description
// 1-100, at most 25 options, no duplicates, 8000 characters per command); empty = fine.
std::vector<std::string> check_commands(std::string_view json);

}  // namespace mlpath::discord

#include "bot/discord/commands.hpp"

#include <iostream>

#include "adapters/discord/commands.hpp"
#include "bot/content/builtin_content.hpp"
#include "bot/discord/rest_client.hpp"
#include "bot/net/event_loop.hpp"
#include "bot/net/http_client.hpp"
#include "bot/observe/metrics.hpp"

namespace mlpath {

int register_discord_commands(const config& c, const std::string& guild_id) {
  if (c.discord_bot_token.empty()) throw config_error("DISCORD_BOT_TOKEN is required to register commands");
  if (c.discord_application_id.empty()) throw config_error("DISCORD_APPLICATION_ID is required to register commands");
  std::string desired(loader::find_builtin_file("discord-commands.json"));
  // Guild commands are a different kind of object: no contexts or integration types.
  if (!guild_id.empty()) desired = discord::commands_for_guild(desired);
  std::string path = "/applications/" + c.discord_application_id +
                     (guild_id.empty() ? std::string() : "/guilds/" + guild_id) + "/commands";
  net::event_loop loop;
  net::http_client http(loop, {c.ca_file});
  metrics m;
  discord_rest rest(loop, http, c.discord_api_url, c.discord_bot_token, m);
  int code = 1;
  rest.call("GET", path, "", [&](const discord_result& current) {
    if (!current.ok()) {
      std::cerr << "mlpath: cannot read the registered commands: "
                << (current.status ? "HTTP " + std::to_string(current.status) + " " + current.error.message
                                   : current.transport_error)
                << '\n';
      loop.stop();
      return;
    }
    if (discord::commands_match(desired, current.body)) {
      std::cout << "commands are up to date" << (guild_id.empty() ? "" : " in guild " + guild_id) << '\n';
      code = 0;
      loop.stop();
      return;
    }
    rest.call("PUT", path, desired, [&](const discord_result& put) {
      if (put.ok()) {
        std::cout << "registered the /mlpath commands" << (guild_id.empty() ? " globally" : " in guild " + guild_id) << '\n';
        code = 0;
      } else {
        std::cerr << "mlpath: registering commands failed: "
                  << (put.status ? "HTTP " + std::to_string(put.status) + " " + put.error.message : put.transport_error)
                  << '\n';
      }
      loop.stop();
    });
  });
  loop.run();
  return code;
}

}  // namespace mlpath

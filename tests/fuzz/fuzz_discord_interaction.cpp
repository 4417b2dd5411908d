// Discord interaction bodies (POST /discord/interactions and INTERACTION_CREATE on the
// gateway): parsing, mapping to the engine's input and the deferred answer.
#include <cstdint>
#include <string_view>

#include "adapters/discord/interaction.hpp"
#include "adapters/discord/mapping.hpp"
#include "adapters/discord/outbound.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace mlpath;
  std::string_view body(reinterpret_cast<const char*>(data), size);
  auto parsed = discord::parse_interaction(body);
  if (auto* in = std::get_if<discord::interaction>(&parsed)) {
    auto m = discord::map_interaction(*in);
    (void)discord::deferred_callback(*in, m);
  }
  return 0;
}

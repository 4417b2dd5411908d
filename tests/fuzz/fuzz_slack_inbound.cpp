// Slack request bodies as they arrive on POST /slack/events: Events API JSON, slash
// commands and interactivity forms, under any content type. Parsing and mapping must
// never crash, whatever the bytes.
#include <cstdint>

#include "adapters/slack/inbound.hpp"
#include "adapters/slack/mapping.hpp"
#include "fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace mlpath;
  fuzz::input in(data, size);
  static constexpr std::string_view types[] = {"application/json", "application/x-www-form-urlencoded",
                                               "application/json; charset=utf-8",
                                               "application/x-www-form-urlencoded; charset=UTF-8", "text/plain", ""};
  std::string_view content_type = types[in.byte() % std::size(types)];
  std::string_view body = in.rest();
  auto parsed = slack::parse_inbound(content_type, body);
  if (auto* ok = std::get_if<slack::inbound>(&parsed)) {
    (void)slack::to_string(ok->kind);
    auto m = slack::map_inbound(*ok, slack::bot_identity{"U0BOT", "B0BOT", "A0APP"});
    (void)m;
    auto as_self = slack::map_inbound(*ok, slack::bot_identity{ok->user, "", ""});
    (void)as_self;
  }
  return 0;
}

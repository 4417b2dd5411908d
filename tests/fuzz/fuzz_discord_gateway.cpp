// The Discord gateway as a stream of frames: a session is driven through open, Hello and
// whatever frames follow (split at 0x1e), with timer ticks in between; every dispatched
// MESSAGE_CREATE goes through the DM parser and mapping, as in the service. Also the
// GET /gateway/bot body.
#include <chrono>
#include <cstdint>

#include "adapters/discord/gateway_session.hpp"
#include "adapters/discord/identify_gate.hpp"
#include "adapters/discord/mapping.hpp"
#include "fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace mlpath;
  fuzz::input in(data, size);
  std::uint8_t mode = in.byte();
  if (mode % 8 == 0) {
    (void)discord::parse_gateway_bot(in.rest());
    return 0;
  }
  discord::gateway_settings gs;
  gs.token = "token";
  gs.gateway_url = "wss://gateway.example";
  discord::gateway_session session(gs, [] { return 0.5; });
  if (mode & 1) session.restore({"session-x", 41, "wss://resume.example"});
  auto now = std::chrono::steady_clock::time_point{} + std::chrono::hours(1);
  session.start(now);
  session.on_open(now);
  std::string bot = "BOT1";
  while (!in.empty()) {
    std::string_view frame = in.part('\x1e');
    now += std::chrono::milliseconds(in.byte() * 40);
    for (auto& a : session.on_message(frame, now)) {
      if (a.what == discord::gateway_action::kind::dispatch && a.event == "MESSAGE_CREATE") {
        discord::dm_message m;
        if (discord::parse_message_create(a.raw, m, bot)) (void)discord::map_dm(m, bot);
        discord::dm_message full;
        if (discord::parse_message_create(a.raw, full)) (void)discord::map_dm(full, bot);
      }
    }
    if (session.wants_identify()) session.allow_identify(true);
    (void)session.on_timer(now);
    (void)session.next_deadline();
  }
  (void)session.suspend(now);
  (void)session.resumable_state();
  return 0;
}

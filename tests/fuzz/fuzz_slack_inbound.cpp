// Slack request bodies as they arrive on POST /slack/events: Events API JSON, slash
// commands and interactivity forms, under any content type; and Socket Mode frames, whose
// payloads go through the same parser and whose hello/disconnect drive the connection
// state machine. Parsing, mapping and the state machine must never crash, whatever the
// bytes.
#include <cstdint>

#include "adapters/slack/inbound.hpp"
#include "adapters/slack/mapping.hpp"
#include "adapters/slack/socket_mode.hpp"
#include "fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace mlpath;
  fuzz::input in(data, size);
  static constexpr std::string_view types[] = {"application/json", "application/x-www-form-urlencoded",
                                               "application/json; charset=utf-8",
                                               "application/x-www-form-urlencoded; charset=UTF-8", "text/plain", ""};
  std::uint8_t selector = in.byte();
  if (selector % 8 == 7) {
    // A Socket Mode frame on a live connection.
    std::string_view frame = in.rest();
    auto f = slack::parse_socket_frame(frame);
    if (auto* ok = std::get_if<slack::socket_frame>(&f); ok && ok->what == slack::socket_frame::kind::envelope)
      (void)slack::parse_inbound("application/json", ok->payload);
    slack::socket_mode_session session([] { return 0.5; });
    slack::socket_mode_session::clock::time_point t{};
    session.start(t);
    session.on_open_result({slack::socket_open_result::kind::ok, "wss://x.invalid/", "", {}}, t);
    session.on_connected(1, t);
    session.on_message(1, frame, t);
    session.on_message(1, R"({"type":"hello"})", t);
    session.on_message(1, frame, t);
    session.on_timer(t + std::chrono::seconds(45));
    return 0;
  }
  std::string_view content_type = types[selector % std::size(types)];
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

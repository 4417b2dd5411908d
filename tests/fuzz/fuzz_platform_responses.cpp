// What comes back from the platforms' HTTP APIs is untrusted bytes too: Slack Web API
// answers (including conversations.history pages read for reconciliation), Discord REST
// error bodies and rate-limit headers.
#include <chrono>
#include <cstdint>
#include <string>

#include "adapters/discord/rest_limits.hpp"
#include "adapters/slack/web_api.hpp"
#include "fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace mlpath;
  fuzz::input in(data, size);
  int status = 100 + (in.byte() * 2) % 500;
  std::uint8_t which = in.byte();
  if (which % 2 == 0) {
    std::string_view retry_after = in.part();
    auto r = slack::parse_api_response(status, retry_after, in.rest());
    (void)r.transient();
    (void)r.retry_reason();
    (void)slack::find_outbox_post(r, 42);
    return 0;
  }
  discord::rest_response_info info;
  info.status = status;
  info.bucket = std::string(in.part());
  info.limit = std::string(in.part());
  info.remaining = std::string(in.part());
  info.reset_after = std::string(in.part());
  info.global = std::string(in.part());
  info.scope = std::string(in.part());
  info.retry_after_header = std::string(in.part());
  info.body = std::string(in.rest());
  (void)discord::parse_rest_error(info.body);
  discord::rest_limiter limiter;
  auto now = std::chrono::steady_clock::time_point{} + std::chrono::hours(1);
  std::string route = discord::route_key("POST", "/channels/123/messages");
  (void)limiter.reserve(route, now);
  limiter.update(route, info, now);
  (void)limiter.reserve(route, now);
  (void)limiter.invalid_recent(now);
  return 0;
}

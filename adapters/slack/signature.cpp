#include "adapters/slack/signature.hpp"

#include <charconv>

#include "adapters/common/bytes.hpp"

namespace mlpath::slack {

const char* to_string(verify_result r) {
  switch (r) {
    case verify_result::ok: return "ok";
    case verify_result::missing_headers: return "missing signature headers";
    case verify_result::malformed: return "malformed signature headers";
    case verify_result::stale: return "timestamp outside the 5-minute window";
    case verify_result::bad_signature: return "signature mismatch";
  }
  return "?";
}

std::string sign_request(const adapters::crypto_primitives& crypto, std::string_view signing_secret, std::string_view timestamp, std::string_view body) {
  std::string base;
  base.reserve(timestamp.size() + body.size() + 4);
  base.append("v0:").append(timestamp).append(":").append(body);
  auto mac = crypto.hmac_sha256(signing_secret, base);
  return "v0=" + adapters::to_hex(mac.data(), mac.size());
}

verify_result verify_request(const adapters::crypto_primitives& crypto, std::string_view signing_secret, std::string_view timestamp_header,
                             std::string_view signature_header, std::string_view body, std::chrono::sys_seconds now) {
  if (timestamp_header.empty() || signature_header.empty()) return verify_result::missing_headers;
  long long ts = 0;
  auto [ptr, ec] = std::from_chars(timestamp_header.data(), timestamp_header.data() + timestamp_header.size(), ts);
  if (ec != std::errc() || ptr != timestamp_header.data() + timestamp_header.size())
    return verify_result::malformed;
  if (signature_header.size() != 67 || signature_header.substr(0, 3) != "v0=") return verify_result::malformed;
  long long delta = now.time_since_epoch().count() - ts;
  if (delta > signature_window.count() || delta < -signature_window.count()) return verify_result::stale;
  // Sign the raw header bytes and raw body exactly as received.
  std::string expected = sign_request(crypto, signing_secret, timestamp_header, body);
  return adapters::constant_time_equal(expected, signature_header) ? verify_result::ok : verify_result::bad_signature;
}

}  // namespace mlpath::slack

#pragma once
// Slack request signing (v0): HMAC-SHA256 over "v0:{timestamp}:{raw body}" with the
// app's signing secret, hex-encoded, compared in constant time; the timestamp must be
// within five minutes of now in either direction (replays and clock skew).

#include <chrono>
#include <string>
#include <string_view>

#include "adapters/common/crypto.hpp"

namespace mlpath::slack {

enum class verify_result { ok, missing_headers, malformed, stale, bad_signature };
const char* to_string(verify_result r);

constexpr std::chrono::seconds signature_window{300};

verify_result verify_request(const adapters::crypto_primitives& crypto, std::string_view signing_secret, std::string_view timestamp_header,
                             std::string_view signature_header, std::string_view body,
                             std::chrono::sys_seconds now);

// "v0=<hex>" for a timestamp and body (tests, benchmarks and fakes sign with it).
std::string sign_request(const adapters::crypto_primitives& crypto, std::string_view signing_secret, std::string_view timestamp, std::string_view body);

}  // namespace mlpath::slack

#pragma once
// The cryptographic primitives signature checks need, passed in rather than implemented
// here: bot/net supplies OpenSSL's (net::crypto_primitives()), so protocol code compiles
// without OpenSSL headers and stays a pure function of its inputs.
//
// Both functions must be reentrant; they are called from whichever thread verifies.

#include <array>
#include <string_view>

namespace mlpath::adapters {

using sha256_digest = std::array<unsigned char, 32>;

struct crypto_primitives {
  // HMAC-SHA256 of `message` with `key`.
  sha256_digest (*hmac_sha256)(std::string_view key, std::string_view message) = nullptr;
  // Ed25519 check of `message` with a 32-byte raw public key and a 64-byte signature;
  // false on any malformed input.
  bool (*ed25519_verify)(std::string_view public_key, std::string_view signature, std::string_view message) = nullptr;
};

}  // namespace mlpath::adapters

#pragma once
// Cryptographic primitives backed by OpenSSL in crypto.cpp (HMAC-SHA256 for Slack,
// Ed25519 for Discord, random bytes). No OpenSSL types leak out of this header; the
// adapters receive the primitives as adapters::crypto_primitives.
//
// Thread-safe: every function is reentrant.

#include <array>
#include <optional>
#include <string>
#include <string_view>

#include "adapters/common/crypto.hpp"

namespace mlpath::net {

using adapters::sha256_digest;

sha256_digest hmac_sha256(std::string_view key, std::string_view message);

// Ed25519 signature check of `message` with a 32-byte raw public key and a 64-byte
// signature. False on any malformed input.
bool ed25519_verify(std::string_view public_key, std::string_view signature, std::string_view message);

// An Ed25519 key pair as raw bytes (32-byte public key, 32-byte private seed), for tests,
// benchmarks and local fakes that must sign like Discord does.
struct ed25519_key_pair {
  std::string public_key;
  std::string private_key;
};
ed25519_key_pair ed25519_keypair();
// The 64-byte signature of `message` with a 32-byte raw private key; throws on a bad key.
std::string ed25519_sign(std::string_view private_key, std::string_view message);

// OpenSSL's implementations, for the adapters' signature checks.
adapters::crypto_primitives crypto_primitives();

// Cryptographically secure random bytes, hex-encoded (2 * bytes characters).
std::string random_hex(std::size_t bytes);

}  // namespace mlpath::net

#pragma once
// Cryptographic primitives the adapters need (HMAC-SHA256 for Slack, Ed25519 for Discord,
// random bytes), backed by OpenSSL in crypto.cpp. No OpenSSL types leak out of this header,
// so adapters compile without OpenSSL's headers.
//
// Thread-safe: every function is reentrant.

#include <array>
#include <optional>
#include <string>
#include <string_view>

namespace mlpath::net {

using sha256_digest = std::array<unsigned char, 32>;

sha256_digest hmac_sha256(std::string_view key, std::string_view message);
std::string to_hex(const unsigned char* data, std::size_t size);
inline std::string to_hex(const sha256_digest& d) { return to_hex(d.data(), d.size()); }
// Lower- or upper-case hex to bytes; nullopt when not hex or of odd length.
std::optional<std::string> from_hex(std::string_view hex);

// Compares in time that depends only on the lengths, not the contents.
bool constant_time_equal(std::string_view a, std::string_view b);

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

// Cryptographically secure random bytes, hex-encoded (2 * bytes characters).
std::string random_hex(std::size_t bytes);

}  // namespace mlpath::net

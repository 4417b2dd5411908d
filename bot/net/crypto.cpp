#include "bot/net/crypto.hpp"

#include "adapters/common/bytes.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/core_names.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include <memory>
#include <stdexcept>

namespace mlpath::net {

namespace {

// OpenSSL 3 looks the HMAC implementation and the digest up by name on every one-shot
// HMAC() call; with one signing secret per process, a keyed context prepared once and
// duplicated per message saves that work on every request.
struct keyed_hmac {
  std::string key;
  EVP_MAC_CTX* ctx = nullptr;
  ~keyed_hmac() { EVP_MAC_CTX_free(ctx); }
};

EVP_MAC* hmac_algorithm() {
  static EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  return mac;
}

EVP_MAC_CTX* keyed_context(std::string_view key) {
  thread_local keyed_hmac cache;
  if (cache.ctx && cache.key == key) return cache.ctx;
  EVP_MAC_CTX_free(cache.ctx);
  cache.ctx = nullptr;
  EVP_MAC* mac = hmac_algorithm();
  if (!mac) return nullptr;
  EVP_MAC_CTX* ctx = EVP_MAC_CTX_new(mac);
  char digest[] = "SHA256";
  OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string("digest", digest, 0), OSSL_PARAM_construct_end()};
  if (!ctx || EVP_MAC_init(ctx, reinterpret_cast<const unsigned char*>(key.data()), key.size(), params) != 1) {
    EVP_MAC_CTX_free(ctx);
    return nullptr;
  }
  cache.ctx = ctx;
  cache.key = std::string(key);
  return ctx;
}

}  // namespace

sha256_digest hmac_sha256(std::string_view key, std::string_view message) {
  sha256_digest out{};
  EVP_MAC_CTX* base = keyed_context(key);
  std::unique_ptr<EVP_MAC_CTX, decltype(&EVP_MAC_CTX_free)> ctx(base ? EVP_MAC_CTX_dup(base) : nullptr, &EVP_MAC_CTX_free);
  std::size_t len = 0;
  if (!ctx || EVP_MAC_update(ctx.get(), reinterpret_cast<const unsigned char*>(message.data()), message.size()) != 1 ||
      EVP_MAC_final(ctx.get(), out.data(), &len, out.size()) != 1 || len != out.size())
    throw std::runtime_error("HMAC-SHA256 failed");
  return out;
}

bool ed25519_verify(std::string_view public_key, std::string_view signature, std::string_view message) {
  if (public_key.size() != 32 || signature.size() != 64) return false;
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(
      EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, reinterpret_cast<const unsigned char*>(public_key.data()),
                                  public_key.size()),
      &EVP_PKEY_free);
  if (!key) return false;
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) != 1) return false;
  return EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
                          reinterpret_cast<const unsigned char*>(message.data()), message.size()) == 1;
}

ed25519_key_pair ed25519_keypair() {
  std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)> ctx(EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, nullptr),
                                                                  &EVP_PKEY_CTX_free);
  EVP_PKEY* raw = nullptr;
  if (!ctx || EVP_PKEY_keygen_init(ctx.get()) != 1 || EVP_PKEY_keygen(ctx.get(), &raw) != 1)
    throw std::runtime_error("Ed25519 key generation failed");
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(raw, &EVP_PKEY_free);
  ed25519_key_pair pair{std::string(32, '\0'), std::string(32, '\0')};
  std::size_t pub_len = pair.public_key.size(), priv_len = pair.private_key.size();
  if (EVP_PKEY_get_raw_public_key(key.get(), reinterpret_cast<unsigned char*>(pair.public_key.data()), &pub_len) != 1 ||
      EVP_PKEY_get_raw_private_key(key.get(), reinterpret_cast<unsigned char*>(pair.private_key.data()), &priv_len) != 1 ||
      pub_len != 32 || priv_len != 32)
    throw std::runtime_error("Ed25519 key export failed");
  return pair;
}

std::string ed25519_sign(std::string_view private_key, std::string_view message) {
  if (private_key.size() != 32) throw std::runtime_error("an Ed25519 private key has 32 bytes");
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(
      EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, reinterpret_cast<const unsigned char*>(private_key.data()),
                                   private_key.size()),
      &EVP_PKEY_free);
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  std::string sig(64, '\0');
  std::size_t len = sig.size();
  if (!key || !ctx || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) != 1 ||
      EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len,
                     reinterpret_cast<const unsigned char*>(message.data()), message.size()) != 1 ||
      len != 64)
    throw std::runtime_error("Ed25519 signing failed");
  return sig;
}

std::string random_hex(std::size_t bytes) {
  std::string buf(bytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(buf.data()), static_cast<int>(bytes)) != 1)
    throw std::runtime_error("RAND_bytes failed");
  return adapters::to_hex(reinterpret_cast<const unsigned char*>(buf.data()), bytes);
}

adapters::crypto_primitives crypto_primitives() { return {&hmac_sha256, &ed25519_verify}; }

}  // namespace mlpath::net

// The parts of an HTTP request mlpath reads itself once Beast has framed it: the target
// (path and query), header lookup, and the signature headers both platforms' checks parse
// (Slack's timestamp and v0= signature, Discord's hex signature and timestamp). The
// cryptography is stubbed with a deterministic digest: what is fuzzed is the parsing
// around it.
#include <chrono>
#include <cstdint>
#include <string>

#include "adapters/common/crypto.hpp"
#include "adapters/discord/interaction.hpp"
#include "adapters/slack/inbound.hpp"
#include "adapters/slack/signature.hpp"
#include "bot/net/http_types.hpp"
#include "fuzz_input.hpp"

namespace {

mlpath::adapters::sha256_digest fake_hmac(std::string_view key, std::string_view message) {
  mlpath::adapters::sha256_digest d{};
  for (std::size_t i = 0; i < message.size(); ++i) d[i % d.size()] ^= static_cast<unsigned char>(message[i]);
  for (std::size_t i = 0; i < key.size(); ++i) d[(i * 7) % d.size()] += static_cast<unsigned char>(key[i]);
  return d;
}

bool fake_ed25519(std::string_view public_key, std::string_view signature, std::string_view message) {
  return public_key.size() == 32 && signature.size() == 64 && !message.empty() && signature[0] == message[0];
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace mlpath;
  fuzz::input in(data, size);
  net::http_request req;
  req.method = "POST";
  req.target = std::string(in.part());
  for (int i = 0; i < 4 && !in.empty(); ++i) req.headers.emplace_back(std::string(in.part()), std::string(in.part()));
  req.body = std::string(in.rest());
  (void)req.path();
  (void)req.query();
  adapters::crypto_primitives crypto{fake_hmac, fake_ed25519};
  auto now = std::chrono::sys_seconds(std::chrono::seconds(1767603600));
  (void)slack::verify_request(crypto, "secret", req.header("X-Slack-Request-Timestamp"), req.header("X-Slack-Signature"),
                              req.body, now);
  (void)slack::is_ssl_check(req.header("Content-Type"), req.body);
  (void)discord::verify_interaction(crypto, "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
                                    req.header("X-Signature-Ed25519"), req.header("X-Signature-Timestamp"), req.body);
  return 0;
}

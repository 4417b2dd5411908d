#include "bot/net/outbound.hpp"

#include <openssl/ssl.h>

#include <boost/asio/ssl/context.hpp>
#include <boost/url/parse.hpp>
#include <stdexcept>

namespace mlpath::net {
namespace {

bool loopback(const boost::urls::url_view& u) {
  switch (u.host_type()) {
    case boost::urls::host_type::ipv4: return u.host_ipv4_address().to_bytes()[0] == 127;
    case boost::urls::host_type::ipv6: return u.host_ipv6_address().is_loopback();
    case boost::urls::host_type::name: return u.host() == "localhost";
    default: return false;
  }
}

}  // namespace

std::variant<outbound_url, std::string> parse_outbound_url(std::string_view url, std::string_view secure,
                                                           std::string_view plain) {
  auto parsed = boost::urls::parse_absolute_uri(url);
  if (!parsed) return std::string("not an absolute URL: ") + std::string(url);
  const auto& u = *parsed;
  outbound_url t;
  if (u.scheme() == secure) {
    t.tls = true;
  } else if (u.scheme() == plain) {
    if (!loopback(u))
      return "plain " + std::string(plain) + ":// is only allowed to loopback hosts, not " + std::string(u.host());
  } else {
    return "unsupported URL scheme: " + std::string(u.scheme()) + " (use " + std::string(secure) + "://)";
  }
  if (u.host().empty()) return std::string("URL has no host: ") + std::string(url);
  t.host = u.host_type() == boost::urls::host_type::ipv6 ? u.host_ipv6_address().to_string() : std::string(u.host());
  t.port = u.has_port() ? std::string(u.port()) : (t.tls ? "443" : "80");
  t.target = std::string(u.encoded_path());
  if (t.target.empty()) t.target = "/";
  if (u.has_query()) t.target += "?" + std::string(u.encoded_query());
  return t;
}

void configure_client_tls(boost::asio::ssl::context& ctx, const std::string& ca_file) {
  ctx.set_default_verify_paths();
  if (!ca_file.empty()) {
    boost::system::error_code ec;
    ctx.load_verify_file(ca_file, ec);
    if (ec) throw std::runtime_error("MLPATH_CA_FILE " + ca_file + " cannot be loaded: " + ec.message());
  }
  ctx.set_verify_mode(boost::asio::ssl::verify_peer);
  SSL_CTX_set_min_proto_version(ctx.native_handle(), TLS1_2_VERSION);
}

std::string check_ca_file(const std::string& ca_file) {
  boost::asio::ssl::context ctx{boost::asio::ssl::context::tls_client};
  boost::system::error_code ec;
  ctx.load_verify_file(ca_file, ec);
  return ec ? ec.message() : std::string();
}

}  // namespace mlpath::net

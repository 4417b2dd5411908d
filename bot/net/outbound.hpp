#pragma once
// The rules every outbound connection follows, in one place for HTTP and websockets:
// TLS (https://, wss://) with certificate and host-name verification, TLS 1.2 or newer,
// the system store plus MLPATH_CA_FILE; plain text (http://, ws://) only to loopback
// hosts, which is how tests point the bot at local fakes.

#include <string>
#include <string_view>
#include <variant>

namespace boost::asio::ssl {
class context;
}

namespace mlpath::net {

struct outbound_url {
  bool tls = false;
  std::string host;    // without brackets
  std::string port;
  std::string target;  // path + query
};

// `secure` and `plain` are the URL schemes (https/http or wss/ws). Returns the parts,
// or why the URL may not be used.
std::variant<outbound_url, std::string> parse_outbound_url(std::string_view url, std::string_view secure,
                                                           std::string_view plain);

// A client TLS context as above. Throws std::runtime_error naming MLPATH_CA_FILE when
// `ca_file` cannot be loaded.
void configure_client_tls(boost::asio::ssl::context& ctx, const std::string& ca_file);

// "" when `ca_file` holds certificates a TLS context can load; otherwise why not.
std::string check_ca_file(const std::string& ca_file);

}  // namespace mlpath::net

// The outbound HTTPS client against a real TLS server (openssl s_server) with a test CA:
// certificate and host-name verification, MLPATH_CA_FILE, and the http:// loopback rule.
#include <catch2/catch.hpp>

#include <future>
#include <thread>

#include "bot/net/event_loop.hpp"
#include "bot/net/http_client.hpp"
#include "test_support.hpp"

using namespace mlpath;
using mlpath::test::child_process;
using mlpath::test::temp_dir;

namespace {

// Runs `openssl` to completion; the test needs the CLI (Debian's openssl package).
void openssl(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"/usr/bin/openssl"};
  argv.insert(argv.end(), args.begin(), args.end());
  auto r = mlpath::test::run(argv);
  REQUIRE(r.status == 0);
}

// A CA, and a server certificate for `names` (a subjectAltName list) signed by it.
void make_certs(const temp_dir& d, const std::string& names) {
  openssl({"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout",
           d.file("ca.key"), "-out", d.file("ca.pem"), "-days", "2", "-subj", "/CN=mlpath test CA"});
  openssl({"req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", d.file("srv.key"),
           "-out", d.file("srv.csr"), "-subj", "/CN=server"});
  mlpath::test::write_text(d.path() / "ext.cnf", "subjectAltName=" + names + "\n");
  openssl({"x509", "-req", "-in", d.file("srv.csr"), "-CA", d.file("ca.pem"), "-CAkey", d.file("ca.key"),
           "-CAcreateserial", "-out", d.file("srv.pem"), "-days", "2", "-extfile", d.file("ext.cnf")});
}

struct tls_server {
  std::unique_ptr<child_process> proc;
  std::string port;
  explicit tls_server(const temp_dir& d) {
    proc = std::make_unique<child_process>(std::vector<std::string>{
        "/usr/bin/openssl", "s_server", "-accept", "127.0.0.1:0", "-cert", d.file("srv.pem"), "-key", d.file("srv.key"),
        "-www"});
    for (int i = 0; i < 5; ++i) {
      auto line = proc->read_line(std::chrono::seconds(10));
      REQUIRE(line);
      if (line->rfind("ACCEPT", 0) == 0) {
        port = line->substr(line->rfind(':') + 1);
        return;
      }
    }
    FAIL("s_server did not say where it listens");
  }
};

net::client_response get(const std::string& url, const std::string& ca_file) {
  net::event_loop loop;
  net::client_options o;
  o.ca_file = ca_file;
  net::http_client client(loop, o);
  std::promise<net::client_response> p;
  net::client_request req;
  req.method = "GET";
  req.url = url;
  req.timeout = std::chrono::seconds(10);
  client.send(req, [&](net::client_response r) {
    p.set_value(std::move(r));
    loop.stop();
  });
  loop.run();
  return p.get_future().get();
}

}  // namespace

TEST_CASE("https: a certificate from a trusted CA for the right name is accepted", "[net][tls]") {
  temp_dir d;
  make_certs(d, "DNS:localhost,IP:127.0.0.1");
  tls_server s(d);
  auto ok = get("https://localhost:" + s.port + "/", d.file("ca.pem"));
  INFO(ok.error);
  CHECK(ok.status == 200);
  auto by_ip = get("https://127.0.0.1:" + s.port + "/", d.file("ca.pem"));
  INFO(by_ip.error);
  CHECK(by_ip.status == 200);
}

TEST_CASE("https: an untrusted certificate or the wrong host name is refused", "[net][tls]") {
  temp_dir d;
  make_certs(d, "DNS:elsewhere.example");
  tls_server s(d);
  auto untrusted = get("https://localhost:" + s.port + "/", "");
  CHECK(untrusted.status == 0);
  CHECK(!untrusted.error.empty());
  auto wrong_name = get("https://localhost:" + s.port + "/", d.file("ca.pem"));
  CHECK(wrong_name.status == 0);
  CHECK(!wrong_name.error.empty());
}

TEST_CASE("plain http is only for loopback hosts, unreadable CA files are reported", "[net][tls]") {
  CHECK(net::http_client::check_url("http://127.0.0.1:9/x").empty());
  CHECK(net::http_client::check_url("http://localhost/x").empty());
  CHECK(net::http_client::check_url("http://[::1]:80/").empty());
  CHECK_FALSE(net::http_client::check_url("http://slack.com/api/").empty());
  CHECK_FALSE(net::http_client::check_url("ftp://example.com/").empty());
  CHECK(net::http_client::check_url("https://slack.com/api/").empty());
  auto refused = get("http://example.com/", "");
  CHECK(refused.status == 0);
  CHECK(refused.error.find("loopback") != std::string::npos);
  net::event_loop loop;
  net::client_options o;
  o.ca_file = "/nonexistent/ca.pem";
  CHECK_THROWS_WITH(net::http_client(loop, o), Catch::Contains("MLPATH_CA_FILE"));
}

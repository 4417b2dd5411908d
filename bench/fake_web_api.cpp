// fake_web_api: a minimal Slack Web API for benchmarks, on mlpath's own HTTP server
// (no Node needed): every method answers ok:true at once (auth.test names a bench
// workspace, posts get a ts); GET /stats reports how many calls of each method arrived.
//
// Usage: fake_web_api   (prints "port N" on stdout once listening on 127.0.0.1; stops on SIGTERM)
// Build: cmake --build build --target fake_web_api

#include <iostream>
#include <map>
#include <string>

#include "bot/net/event_loop.hpp"
#include "bot/net/http_server.hpp"

int main() {
  using namespace mlpath;
  net::event_loop loop;
  std::map<std::string, long long> calls;
  long long ts = 0;
  net::http_server server(loop, [&](net::http_request&& req, net::http_reply reply) {
    std::string path(req.path());
    net::http_response res;
    res.content_type = "application/json";
    if (path == "/stats") {
      std::string body = "{";
      for (const auto& [m, n] : calls) body += (body.size() > 1 ? "," : "") + ("\"" + m + "\":" + std::to_string(n));
      res.body = body + "}";
      reply(std::move(res));
      return;
    }
    std::string method = path.rfind("/api/", 0) == 0 ? path.substr(5) : path;
    ++calls[method];
    if (method == "auth.test")
      res.body = R"({"ok":true,"user_id":"UBENCHBOT","bot_id":"BBENCHBOT","team_id":"TBENCH0001","user":"mlpath"})";
    else if (method == "conversations.history")
      res.body = R"({"ok":true,"messages":[],"has_more":false,"response_metadata":{"next_cursor":""}})";
    else
      res.body = R"({"ok":true,"ts":"1700000000.)" + std::to_string(100000 + ++ts) + "\"}";
    reply(std::move(res));
  });
  std::uint16_t port = server.listen("127.0.0.1", 0);
  std::cout << "port " << port << std::endl;
  loop.on_stop_signal([&](int) { loop.stop(); });
  loop.run();
  return 0;
}

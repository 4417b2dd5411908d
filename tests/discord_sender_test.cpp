// Discord follow-ups wait while their interaction's HTTP answer is being written
// (discord_sender hold/release), and the HTTP server says when a response has been
// written (http_response::on_written). Real loop, real sockets on 127.0.0.1:0.
#include <catch2/catch.hpp>

#include <boost/json.hpp>

#include <algorithm>

#include "bot/discord/rest_client.hpp"
#include "bot/discord/sender.hpp"
#include "bot/net/event_loop.hpp"
#include "bot/net/http_client.hpp"
#include "bot/net/http_server.hpp"
#include "bot/observe/metrics.hpp"
#include "fake_discord.hpp"
#include "loop_support.hpp"
#include "storage/sqlite_store.hpp"
#include "test_support.hpp"

using namespace mlpath;
using mlpath::test::fake_discord;
using mlpath::test::run_until;
using namespace std::chrono_literals;
namespace json = boost::json;

namespace {

struct sender_rig {
  mlpath::test::temp_dir dir;
  std::unique_ptr<storage::store> store = storage::open_sqlite_store({dir.file("s.db")});
  fake_discord fake;
  net::event_loop loop;
  metrics m;
  net::http_client http{loop};
  discord_rest rest{loop, http, fake.api_url(), "test-bot-token", m};
  discord_sender sender{loop, *store, &rest, fake.application_id()};

  // Sends a follow-up for `token`; the returned flag turns true when the sender reports back.
  std::shared_ptr<std::optional<send_result>> followup(const std::string& token, const std::string& text) {
    auto result = std::make_shared<std::optional<send_result>>();
    storage::outbox_message record;
    record.id = 1;
    record.platform = "discord";
    record.kind = "discord.followup";
    sender.send(record, discord::followup{token, json::object{{"content", text}}},
                [result](send_result r) { *result = std::move(r); });
    return result;
  }

  std::vector<std::string> webhook_tokens() const {
    std::vector<std::string> out;
    std::string prefix = "/webhooks/" + fake.application_id() + "/";
    for (const auto& c : fake.calls())
      if (c.method == "POST" && c.path.rfind(prefix, 0) == 0) out.push_back(c.path.substr(prefix.size()));
    return out;
  }
};

}  // namespace

TEST_CASE("discord sender: a follow-up for a held interaction goes only after release", "[discord][sender]") {
  sender_rig rig;
  rig.sender.hold("TOKA");
  auto held = rig.followup("TOKA", "after the answer");
  auto free1 = rig.followup("TOKB", "not held");
  // A follow-up for an interaction nobody holds goes at once...
  REQUIRE(run_until(rig.loop, [&] { return free1->has_value(); }));
  CHECK((*free1)->what == send_result::status::sent);
  // ...and a second round trip later the held one has still not left.
  auto free2 = rig.followup("TOKC", "not held either");
  REQUIRE(run_until(rig.loop, [&] { return free2->has_value(); }));
  CHECK_FALSE(held->has_value());
  CHECK(rig.webhook_tokens() == std::vector<std::string>{"TOKB", "TOKC"});

  rig.sender.release("TOKA");
  REQUIRE(run_until(rig.loop, [&] { return held->has_value(); }));
  CHECK((*held)->what == send_result::status::sent);
  auto tokens = rig.webhook_tokens();
  CHECK(tokens == std::vector<std::string>{"TOKB", "TOKC", "TOKA"});
  auto calls = rig.fake.calls();
  REQUIRE(!calls.empty());
  CHECK(calls.back().json.at("content") == "after the answer");
  CHECK(calls.back().auth == "Bot test-bot-token");

  // Once released, later follow-ups of that interaction go at once; releasing again is harmless.
  rig.sender.release("TOKA");
  auto later = rig.followup("TOKA", "and more");
  REQUIRE(run_until(rig.loop, [&] { return later->has_value(); }));
  CHECK(rig.webhook_tokens().size() == 4);
}

TEST_CASE("discord sender: several held follow-ups all go on release", "[discord][sender]") {
  sender_rig rig;
  rig.sender.hold("TOKH");
  auto a = rig.followup("TOKH", "one");
  auto b = rig.followup("TOKH", "two");
  auto other = rig.followup("TOKO", "unrelated");
  REQUIRE(run_until(rig.loop, [&] { return other->has_value(); }));
  CHECK(rig.webhook_tokens() == std::vector<std::string>{"TOKO"});
  CHECK_FALSE(a->has_value());
  CHECK_FALSE(b->has_value());
  rig.sender.release("TOKH");
  REQUIRE(run_until(rig.loop, [&] { return a->has_value() && b->has_value(); }));
  std::vector<std::string> contents;
  for (const auto& c : rig.fake.calls())
    if (c.path.find("/webhooks/APP1/TOKH") == 0) contents.push_back(std::string(c.json.at("content").as_string()));
  std::sort(contents.begin(), contents.end());
  CHECK(contents == std::vector<std::string>{"one", "two"});
}

TEST_CASE("discord sender: a hold nobody releases ends after its safety timeout", "[discord][sender]") {
  sender_rig rig;
  auto started = std::chrono::steady_clock::now();
  rig.sender.hold("TOKT");
  auto parked = rig.followup("TOKT", "eventually");
  REQUIRE(run_until(rig.loop, [&] { return parked->has_value(); }, discord_sender::hold_timeout + 5s));
  CHECK(std::chrono::steady_clock::now() - started >= discord_sender::hold_timeout - 100ms);
  CHECK(rig.webhook_tokens() == std::vector<std::string>{"TOKT"});
}

TEST_CASE("http server: on_written runs once the response has been written", "[net][http]") {
  net::event_loop loop;
  int written = 0;
  bool written_before_handler_returned = false;
  bool in_handler = false;
  net::http_server server(loop, [&](net::http_request&& req, net::http_reply reply) {
    in_handler = true;
    int written_at_start = written;
    net::http_response res;
    res.content_type = "application/json";
    res.body = R"({"type":4,"data":{"content":")" + std::string(req.body) + "\"}}";
    res.on_written = [&] {
      ++written;
      if (in_handler) written_before_handler_returned = true;
    };
    if (req.target == "/later") {
      // Answered after a commit, on a later turn of the loop.
      loop.post([reply, res = std::move(res)]() mutable { reply(std::move(res)); });
    } else {
      reply(std::move(res));
    }
    CHECK(written == written_at_start);  // not while the handler is still deciding
    in_handler = false;
  });
  auto port = server.listen("127.0.0.1", 0);
  REQUIRE(port != 0);
  net::http_client client(loop);

  for (std::string target : {"/now", "/later"}) {
    INFO(target);
    int before = written;
    std::optional<net::client_response> got;
    net::client_request req{"POST", "http://127.0.0.1:" + std::to_string(port) + target, {{"Content-Type", "text/plain"}}, "hi"};
    client.send(req, [&](net::client_response r) { got = std::move(r); });
    REQUIRE(run_until(loop, [&] { return got.has_value(); }));
    REQUIRE(got->status == 200);
    CHECK(got->body == R"({"type":4,"data":{"content":"hi"}})");
    // The client has the bytes: the server has written them, and says so now or right after.
    REQUIRE(run_until(loop, [&] { return written == before + 1; }, 2s));
    loop.poll();
    CHECK(written == before + 1);  // once per response
  }
  CHECK_FALSE(written_before_handler_returned);

  bool drained = false;
  server.shutdown([&] { drained = true; });
  REQUIRE(run_until(loop, [&] { return drained; }));
}

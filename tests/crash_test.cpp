// kill -9 at any moment loses nothing acknowledged and repeats nothing: a real `mlpath
// serve` under a steady stream of signed Slack events is killed again and again; what
// Slack did not see acknowledged it sends again (as Slack retries); at the end every
// person has exactly the replies one first message earns (the fake Web API records every
// post Slack would have shown).
#include <catch2/catch.hpp>

#include <atomic>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "fake_slack.hpp"
#include "test_support.hpp"

using namespace mlpath;
using namespace std::chrono_literals;
using mlpath::test::child_process;
using mlpath::test::fake_slack;
using mlpath::test::temp_dir;

namespace {

const std::string secret = "crash-test-secret";

std::unique_ptr<child_process> start(const temp_dir& dir, const fake_slack& fake, std::string& base) {
  auto p = std::make_unique<child_process>(
      std::vector<std::string>{mlpath::test::mlpath_binary(), "serve"},
      std::vector<std::string>{"MLPATH_DB=" + dir.file("crash.db"), "MLPATH_LISTEN=127.0.0.1:0",
                               "SLACK_SIGNING_SECRET=" + secret, "SLACK_BOT_TOKEN=xoxb-crash",
                               "SLACK_API_URL=" + fake.api_url(), "MLPATH_LOG_LEVEL=error"});
  base = mlpath::test::await_listening(*p);
  return p;
}

std::string channel_of(int n) { return "D" + std::to_string(n); }

}  // namespace

TEST_CASE("kill -9 under load, again and again: every acknowledged event answered exactly once", "[e2e][crash]") {
  temp_dir dir;
  fake_slack fake;
  std::mt19937 rng(std::random_device{}());
  std::mutex mu;
  std::set<int> acked;      // people whose event Slack saw acknowledged
  std::set<int> unacked;    // sent, but the answer was not a 200 (Slack would retry)
  std::atomic<int> next{0};
  constexpr int rounds = 5;
  constexpr int senders = 4;

  for (int round = 0; round < rounds; ++round) {
    std::string base;
    auto serve = start(dir, fake, base);
    REQUIRE(!base.empty());
    std::atomic<bool> stop{false};
    std::atomic<int> acked_this_round{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < senders; ++t)
      threads.emplace_back([&] {
        while (!stop) {
          int n = next++;
          auto r = fake.post_signed(base + "/slack/events", secret, "application/json",
                                    mlpath::test::slack_dm_event("EvC" + std::to_string(n), "U" + std::to_string(n),
                                                                 "hi", channel_of(n)));
          std::lock_guard lock(mu);
          if (r.status == 200) {
            acked.insert(n);
            ++acked_this_round;
          } else {
            unacked.insert(n);
            if (r.status == 0) return;  // the process is gone
          }
        }
      });
    // Killed at a random moment: after a random number of acknowledgements, while the
    // senders keep going and replies are being committed and sent.
    int kill_after = std::uniform_int_distribution<int>(10, 60)(rng);
    auto deadline = std::chrono::steady_clock::now() + 20s;
    while (acked_this_round < kill_after && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(1ms);
    serve->kill_hard();
    serve->wait();
    stop = true;
    for (auto& t : threads) t.join();
  }

  // The last start stays up: what was never acknowledged is sent again, as Slack retries.
  std::string base;
  auto serve = start(dir, fake, base);
  REQUIRE(!base.empty());
  std::set<int> retry;
  {
    std::lock_guard lock(mu);
    for (int n : unacked)
      if (!acked.count(n)) retry.insert(n);
  }
  for (int n : retry) {
    auto r = fake.post_signed(base + "/slack/events", secret, "application/json",
                              mlpath::test::slack_dm_event("EvC" + std::to_string(n), "U" + std::to_string(n), "hi",
                                                           channel_of(n)),
                              {{"X-Slack-Retry-Num", "1"}, {"X-Slack-Retry-Reason", "http_error"}});
    REQUIRE(r.status == 200);
    acked.insert(n);
  }
  INFO(acked.size() << " people acknowledged over " << rounds << " kills");
  REQUIRE(acked.size() >= rounds * 10u);
  // Every acknowledged person gets the greeting and the first question.
  bool all = fake.wait_for(
      [&](const std::vector<mlpath::test::recorded_call>& calls) {
        std::map<std::string, int> per_channel;
        for (const auto& c : calls)
          if (c.method == "chat.postMessage" && c.json.is_object()) per_channel[std::string(c.json.at("channel").as_string())]++;
        for (int n : acked)
          if (per_channel[channel_of(n)] < 2) return false;
        return true;
      },
      60s);
  CHECK(all);
  // Exactly once: what Slack shows in each channel (posts it accepted) is two messages,
  // one of them the first question.
  std::map<std::string, int> questions;
  for (const auto& c : fake.calls("chat.postMessage"))
    if (c.body.find("q:motivation") != std::string::npos) questions[std::string(c.json.at("channel").as_string())]++;
  int wrong = 0;
  for (int n : acked) {
    INFO("person " << n);
    if (fake.posts_in(channel_of(n)) != 2 || questions[channel_of(n)] != 1) ++wrong;
    CHECK(fake.posts_in(channel_of(n)) == 2);
    CHECK(questions[channel_of(n)] == 1);
  }
  CHECK(wrong == 0);
}

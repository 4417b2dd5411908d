// Slack's typed outbox messages: which reply becomes which Web API call (respond,
// direct_messages), driven by real engine replies to real payloads, and every kind's
// encode/decode round trip.
#include <catch2/catch.hpp>

#include <boost/json.hpp>

#include "adapters/slack/blocks.hpp"
#include "adapters/slack/mapping.hpp"
#include "adapters/slack/outbound.hpp"
#include "engine_driver.hpp"
#include "fake_slack.hpp"
#include "slack_support.hpp"

using namespace mlpath;
using mlpath::test::engine_driver;
namespace fx = mlpath::test::slack;
namespace json = boost::json;

namespace {

constexpr const char* press_ts = "1700000000.000100";

// A button press as Slack sends it, mapped the way the service maps it.
slack::mapped press(const std::string& value, const std::string& trigger = "trig-1") {
  auto in = fx::parse_ok(fx::form_type, mlpath::test::slack_button_press("U1", value, press_ts, trigger, "D0TEST"));
  auto m = slack::map_inbound(in, slack::bot_identity{"UBOT", "BBOT", "ABOT"});
  REQUIRE(m.action != slack::mapped_action::ignore);
  return m;
}

// The driver at the first single-choice question (ideal_day), motivation answered.
engine_driver at_ideal_day() {
  engine_driver d;
  d.send(dialogs::input::open());
  d.answer_current();
  REQUIRE(d.c.current == "ideal_day");
  return d;
}

template <class T>
const T& as(const slack::outbound& o) {
  const T* x = std::get_if<T>(&o);
  if (!x) FAIL("outbound is " << slack::kind_of(o));
  return *x;
}

bool same(const slack::outbound& a, const slack::outbound& b) {
  if (a.index() != b.index()) return false;
  if (auto* x = std::get_if<slack::post_message>(&a)) {
    auto& y = std::get<slack::post_message>(b);
    return x->channel == y.channel && x->ref == y.ref && x->payload == y.payload;
  }
  if (auto* x = std::get_if<slack::update_message>(&a)) {
    auto& y = std::get<slack::update_message>(b);
    return x->channel == y.channel && x->ts == y.ts && x->payload == y.payload;
  }
  if (auto* x = std::get_if<slack::update_posted>(&a)) {
    auto& y = std::get<slack::update_posted>(b);
    return x->ref == y.ref && x->payload == y.payload;
  }
  if (auto* x = std::get_if<slack::post_ephemeral>(&a)) {
    auto& y = std::get<slack::post_ephemeral>(b);
    return x->channel == y.channel && x->user == y.user && x->payload == y.payload;
  }
  if (auto* x = std::get_if<slack::publish_home>(&a)) {
    auto& y = std::get<slack::publish_home>(b);
    return x->user == y.user && x->view == y.view;
  }
  auto& x = std::get<slack::open_view>(a);
  auto& y = std::get<slack::open_view>(b);
  return x.trigger_id == y.trigger_id && x.view == y.view;
}

}  // namespace

TEST_CASE("slack respond: an answering press updates its message, then the next question is posted with its ref",
          "[slack][outbound]") {
  engine_driver d = at_ideal_day();
  int round = d.c.round;
  slack::mapped m = press(dialogs::answer_token("ideal_day", "analyze_present", round));
  CHECK(m.where.channel == "D0TEST");
  CHECK(m.where.message_ts == press_ts);
  const auto& replies = d.send(m.input);
  REQUIRE(d.c.current == "subfields");
  const auto* answered = d.find<dialogs::answered_reply>();
  const auto* next = d.question();
  REQUIRE(answered);
  REQUIRE(next);
  REQUIRE(next->question == "subfields");

  auto out = slack::respond(m, replies);
  REQUIRE(out.size() >= 2);
  const auto& update = as<slack::update_message>(out[0]);
  CHECK(update.channel == "D0TEST");
  CHECK(update.ts == press_ts);
  CHECK(update.payload == slack::render_answered(*answered));
  // The question after it goes where the press came from, remembered under its ref.
  auto rendered = slack::render_reply(*next);
  REQUIRE(out.size() == 1 + rendered.size());
  for (std::size_t i = 0; i < rendered.size(); ++i) {
    const auto& post = as<slack::post_message>(out[1 + i]);
    CHECK(post.channel == "D0TEST");
    CHECK(post.ref == "q:subfields:r" + std::to_string(round));
    CHECK(post.ref == slack::question_ref("subfields", round));
    CHECK(post.payload == rendered[i]);
  }
  CHECK(slack::kind_of(out[0]) == std::string("slack.update"));
  CHECK(slack::kind_of(out[1]) == std::string("slack.post"));
}

TEST_CASE("slack respond: without the pressed message's ts, or on an ephemeral one, the posted question is updated by ref",
          "[slack][outbound]") {
  for (int variant = 0; variant < 2; ++variant) {
    DYNAMIC_SECTION((variant == 0 ? "no message_ts" : "ephemeral message")) {
      engine_driver d = at_ideal_day();
      int round = d.c.round;
      slack::mapped m = press(dialogs::answer_token("ideal_day", "analyze_present", round));
      if (variant == 0) m.where.message_ts.clear();
      else m.where.ephemeral = true;
      const auto& replies = d.send(m.input);
      const auto* answered = d.find<dialogs::answered_reply>();
      REQUIRE(answered);
      auto out = slack::respond(m, replies);
      REQUIRE(!out.empty());
      const auto& update = as<slack::update_posted>(out[0]);
      CHECK(update.ref == "q:ideal_day:r" + std::to_string(round));
      CHECK(update.payload == slack::render_answered(*answered));
      CHECK(slack::kind_of(out[0]) == std::string("slack.update_ref"));
      for (std::size_t i = 1; i < out.size(); ++i) CHECK(std::holds_alternative<slack::post_message>(out[i]));
    }
  }
}

TEST_CASE("slack respond: a stale press that changes nothing is an ephemeral note to the presser", "[slack][outbound]") {
  engine_driver d = at_ideal_day();
  std::string token = dialogs::answer_token("ideal_day", "analyze_present", d.c.round);
  d.send(press(token).input);
  REQUIRE(d.c.current == "subfields");
  auto before = d.c;

  slack::mapped again = press(token);
  const auto& replies = d.send(again.input);
  REQUIRE(d.c.answers == before.answers);
  REQUIRE(d.c.current == before.current);
  REQUIRE(d.all_text().find("already answered") != std::string::npos);
  for (const auto& r : replies)
    REQUIRE((std::holds_alternative<dialogs::text_reply>(r) || std::holds_alternative<dialogs::error_reply>(r)));

  auto out = slack::respond(again, replies);
  std::vector<json::object> rendered;
  for (const auto& r : replies)
    for (auto& msg : slack::render_reply(r)) rendered.push_back(std::move(msg));
  REQUIRE(out.size() == rendered.size());
  REQUIRE(!out.empty());
  for (std::size_t i = 0; i < out.size(); ++i) {
    const auto& note = as<slack::post_ephemeral>(out[i]);
    CHECK(note.channel == "D0TEST");
    CHECK(note.user == "U1");
    CHECK(note.payload == rendered[i]);
    CHECK(slack::kind_of(out[i]) == std::string("slack.ephemeral"));
  }

  SECTION("the same words typed (not pressed) are posted normally") {
    slack::mapped typed = again;
    typed.input.from_button = false;
    for (const auto& o : slack::respond(typed, replies)) {
      const auto& post = as<slack::post_message>(o);
      CHECK(post.channel == "D0TEST");
      CHECK(post.ref.empty());
    }
  }
  SECTION("a press with no channel to answer in is posted in the DM") {
    slack::mapped nowhere = again;
    nowhere.where.channel.clear();
    for (const auto& o : slack::respond(nowhere, replies)) CHECK(as<slack::post_message>(o).channel.empty());
  }
}

TEST_CASE("slack respond: cmd:answer with a trigger_id on a text question opens the modal", "[slack][outbound]") {
  engine_driver d;
  d.send(dialogs::input::open());
  for (int guard = 0; d.c.current != "goal_note" && guard < 20; ++guard) d.answer_current();
  REQUIRE(d.c.current == "goal_note");
  int round = d.c.round;
  std::string token = dialogs::command_token("answer", "goal_note", round);

  slack::mapped m = press(token, "trig-42");
  REQUIRE(m.action == slack::mapped_action::open_modal);
  REQUIRE(m.question == "goal_note");
  const auto& replies = d.send(m.input);
  const dialogs::question_reply* q = d.question();
  REQUIRE(q);
  REQUIRE(q->question == "goal_note");
  REQUIRE(q->kind == dialogs::question_kind::text);

  auto out = slack::respond(m, replies);
  std::size_t views = 0;
  for (const auto& o : out) {
    if (const auto* v = std::get_if<slack::open_view>(&o)) {
      ++views;
      CHECK(v->trigger_id == "trig-42");
      CHECK(v->view == slack::render_text_modal(*q));
      CHECK(v->view.at("callback_id").as_string().find("q:goal_note") == 0);
      CHECK(slack::kind_of(o) == std::string("slack.views_open"));
    }
    // The question is asked in the modal, not posted again.
    if (const auto* p = std::get_if<slack::post_message>(&o)) CHECK(p->ref != slack::question_ref("goal_note", round));
  }
  CHECK(views == 1);

  SECTION("without a trigger_id the question is posted instead") {
    slack::mapped late = m;
    late.where.trigger_id.clear();
    auto posted = slack::respond(late, replies);
    bool question_posted = false;
    for (const auto& o : posted) {
      CHECK_FALSE(std::holds_alternative<slack::open_view>(o));
      if (const auto* p = std::get_if<slack::post_message>(&o))
        question_posted = question_posted || p->ref == slack::question_ref("goal_note", round);
    }
    CHECK(question_posted);
  }
}

TEST_CASE("slack direct_messages: posted in the person's DM, questions remembered under their ref", "[slack][outbound]") {
  engine_driver d;
  d.send(dialogs::input::open());
  const dialogs::question_reply* q = d.question();
  REQUIRE(q);
  std::vector<dialogs::reply> replies{dialogs::text_reply{"Still there? You were on question 1.", {}}, *q};
  auto out = slack::direct_messages(replies);
  auto text_msgs = slack::render_reply(replies[0]);
  auto q_msgs = slack::render_reply(replies[1]);
  REQUIRE(out.size() == text_msgs.size() + q_msgs.size());
  for (std::size_t i = 0; i < out.size(); ++i) {
    const auto& post = as<slack::post_message>(out[i]);
    CHECK(post.channel.empty());
    if (i < text_msgs.size()) {
      CHECK(post.ref.empty());
      CHECK(post.payload == text_msgs[i]);
    } else {
      CHECK(post.ref == "q:" + q->question + ":r" + std::to_string(q->round));
      CHECK(post.payload == q_msgs[i - text_msgs.size()]);
    }
  }
}

TEST_CASE("slack outbound: every kind round-trips through encode and decode", "[slack][outbound]") {
  json::object payload{{"text", "Hi \"there\" \xC3\xA9 \\ <b>"},
                       {"blocks", json::array{json::object{{"type", "section"}, {"n", 3}, {"ok", true}}}}};
  std::vector<slack::outbound> all{
      slack::post_message{"C1", "q:motivation:r2", payload},
      slack::post_message{"", "", payload},
      slack::update_message{"D9", "1700000000.000200", payload},
      slack::update_posted{"q:domain:r1", payload},
      slack::post_ephemeral{"C2", "U77", payload},
      slack::open_view{"trig-9", json::object{{"type", "modal"}, {"callback_id", "q:goal_note:r1"}}},
      slack::publish_home{"U42", json::object{{"type", "home"}, {"blocks", json::array{}}}},
  };
  std::vector<std::string> kinds;
  for (const auto& m : all) {
    std::string kind = slack::kind_of(m);
    kinds.push_back(kind);
    auto back = slack::decode(kind, slack::encode(m));
    REQUIRE(back);
    CHECK(same(*back, m));
    CHECK(std::string(slack::kind_of(*back)) == kind);
  }
  CHECK(kinds == std::vector<std::string>{"slack.post", "slack.post", "slack.update", "slack.update_ref",
                                          "slack.ephemeral", "slack.views_open", "slack.views_publish"});
  // A message decoded as another kind is not the same message.
  auto as_update = slack::decode("slack.update", slack::encode(all[0]));
  REQUIRE(as_update);
  CHECK(std::holds_alternative<slack::update_message>(*as_update));
}

TEST_CASE("slack outbound: unknown kinds and bodies without the kind's fields decode to nothing", "[slack][outbound]") {
  std::string good = slack::encode(slack::post_message{"C1", "r", json::object{{"text", "x"}}});
  CHECK(slack::decode("slack.post", good));
  CHECK_FALSE(slack::decode("slack.nope", good));
  CHECK_FALSE(slack::decode("", good));
  CHECK_FALSE(slack::decode("discord.post", good));
  CHECK_FALSE(slack::decode("SLACK.POST", good));
  for (const char* kind : {"slack.post", "slack.update", "slack.update_ref", "slack.ephemeral", "slack.views_open"}) {
    INFO(kind);
    CHECK_FALSE(slack::decode(kind, ""));
    CHECK_FALSE(slack::decode(kind, "not json"));
    CHECK_FALSE(slack::decode(kind, R"({"channel":"C1","payload":{"text":"x"})"));  // truncated
    CHECK_FALSE(slack::decode(kind, R"([{"payload":{}}])"));
    CHECK_FALSE(slack::decode(kind, R"("payload")"));
    CHECK_FALSE(slack::decode(kind, R"({"channel":"C1","ref":"r","ts":"1","user":"U","trigger_id":"t"})"));
    CHECK_FALSE(slack::decode(kind, R"({"channel":"C1","payload":"text","view":"modal"})"));
    CHECK_FALSE(slack::decode(kind, R"({"channel":"C1","payload":null,"view":[]})"));
  }
  // views.open carries a view, not a payload.
  CHECK_FALSE(slack::decode("slack.views_open", R"({"trigger_id":"t","payload":{"type":"modal"}})"));
  CHECK(slack::decode("slack.views_open", R"({"trigger_id":"t","view":{"type":"modal"}})"));
}

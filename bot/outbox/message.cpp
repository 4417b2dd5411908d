#include "bot/outbox/message.hpp"

#include "adapters/common/overloaded.hpp"

namespace mlpath::outbox {

const char* platform_of(const message& m) { return m.index() == 0 ? "slack" : "discord"; }

bool reconcilable(const message& m) {
  const auto* s = std::get_if<slack::outbound>(&m);
  return s && std::holds_alternative<slack::post_message>(*s);
}

storage::outbox_message to_record(const message& m, std::int64_t user_id, std::string tenant,
                                  dialogs::timestamp send_at) {
  storage::outbox_message r;
  r.user_id = user_id;
  r.platform = platform_of(m);
  r.tenant = std::move(tenant);
  std::visit(adapters::overloaded{
                 [&](const slack::outbound& x) {
                   r.kind = slack::kind_of(x);
                   r.body = slack::encode(x);
                 },
                 [&](const discord::outbound& x) {
                   r.kind = discord::kind_of(x);
                   r.body = discord::encode(x);
                   // Nobody's queue: each interaction's callback stands alone.
                   if (const auto* cb = std::get_if<discord::interaction_callback>(&x); cb && !user_id)
                     r.queue = "interaction:" + cb->interaction_id;
                 },
             },
             m);
  r.next_attempt_at = send_at;
  r.created_at = send_at;
  return r;
}

std::optional<message> from_record(const storage::outbox_message& r) {
  if (r.platform == "slack") {
    if (auto m = slack::decode(r.kind, r.body)) return message{std::move(*m)};
  } else if (r.platform == "discord") {
    if (auto m = discord::decode(r.kind, r.body)) return message{std::move(*m)};
  }
  return std::nullopt;
}

std::vector<message> direct_messages(std::string_view platform, const std::vector<dialogs::reply>& replies) {
  std::vector<message> out;
  if (platform == "slack")
    for (auto& m : slack::direct_messages(replies)) out.emplace_back(std::move(m));
  else if (platform == "discord")
    for (auto& p : discord::channel_messages(replies)) out.emplace_back(discord::create_message{{}, std::move(p)});
  return out;
}

}  // namespace mlpath::outbox

#include "adapters/discord/identify_gate.hpp"

#include <simdjson.h>

#include <algorithm>

#include "adapters/common/json_util.hpp"
#include "adapters/discord/json_read.hpp"

namespace mlpath::discord {
namespace {

session_start_limit sane(session_start_limit l) {
  l.total = std::max(l.total, 1);
  l.remaining = std::clamp(l.remaining, 0, l.total);
  l.max_concurrency = std::max(l.max_concurrency, 1);
  if (l.reset_after.count() < 0) l.reset_after = std::chrono::milliseconds(0);
  return l;
}

}  // namespace

std::optional<gateway_bot_info> parse_gateway_bot(std::string_view body) {
  if (body.size() > (1u << 20)) return std::nullopt;
  try {
    namespace od = simdjson::ondemand;
    od::parser parser;
    simdjson::padded_string padded(body);
    od::document doc;
    od::object obj;
    if (parser.iterate(padded).get(doc) || doc.get_object().get(obj)) return std::nullopt;
    detail::json_reader r;
    gateway_bot_info info;
    std::int64_t reset_after = 0;
    bool ok = r.fields(obj, [&](std::string_view k, od::value& v) {
      if (k == "url") return r.id(v, info.url);
      if (k == "shards") return r.integer(v, info.shards);
      if (k == "session_start_limit")
        return r.fields(v, [&](std::string_view lk, od::value& lv) {
          if (lk == "total") return r.integer(lv, info.limit.total);
          if (lk == "remaining") return r.integer(lv, info.limit.remaining);
          if (lk == "reset_after") return r.integer(lv, reset_after);
          if (lk == "max_concurrency") return r.integer(lv, info.limit.max_concurrency);
          return true;
        });
      return true;
    });
    if (!ok || !adapters::at_document_end(doc) || info.url.empty()) return std::nullopt;
    info.limit.reset_after = std::chrono::milliseconds(reset_after);
    info.limit = sane(info.limit);
    info.shards = std::max(info.shards, 1);
    return info;
  } catch (...) {
    return std::nullopt;
  }
}

identify_gate::identify_gate(session_start_limit limit, clock::time_point now) { refresh(limit, now); }

void identify_gate::refresh(const session_start_limit& limit, clock::time_point now) {
  limit_ = sane(limit);
  remaining_ = limit_.remaining;
  reset_at_ = now + limit_.reset_after;
  // A different concurrency changes which shards share a bucket; the 5 s spacing already
  // taken stays taken.
}

void identify_gate::roll(clock::time_point now) {
  if (now < reset_at_) return;
  remaining_ = limit_.total;
  while (reset_at_ <= now) reset_at_ += day;
}

int identify_gate::bucket_of(int shard_id) const { return std::max(shard_id, 0) % limit_.max_concurrency; }

int identify_gate::remaining(clock::time_point now) const {
  return now >= reset_at_ ? limit_.total : remaining_;
}

identify_gate::clock::time_point identify_gate::next_allowed(int shard_id, clock::time_point now) const {
  clock::time_point t = now;
  if (remaining(now) <= 0) t = std::max(t, reset_at_);
  auto it = bucket_free_at_.find(bucket_of(shard_id));
  if (it != bucket_free_at_.end()) t = std::max(t, it->second);
  return t;
}

bool identify_gate::try_acquire(int shard_id, clock::time_point now) {
  if (next_allowed(shard_id, now) > now) return false;
  roll(now);
  if (remaining_ <= 0) return false;
  --remaining_;
  bucket_free_at_[bucket_of(shard_id)] = now + spacing;
  return true;
}

}  // namespace mlpath::discord

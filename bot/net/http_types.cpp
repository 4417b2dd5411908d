#include "bot/net/http_types.hpp"

#include <algorithm>

namespace mlpath::net {

std::string_view find_header(const header_list& headers, std::string_view name) {
  for (const auto& [k, v] : headers) {
    if (k.size() != name.size()) continue;
    // ASCII only: header names are tokens, and std::tolower consults the locale per char.
    bool same = std::equal(k.begin(), k.end(), name.begin(), [](char a, char b) {
      auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; };
      return lower(a) == lower(b);
    });
    if (same) return v;
  }
  return {};
}

std::string_view http_request::path() const {
  std::string_view t = target;
  return t.substr(0, t.find('?'));
}

std::string_view http_request::query() const {
  std::string_view t = target;
  auto q = t.find('?');
  return q == std::string_view::npos ? std::string_view() : t.substr(q + 1);
}

http_response text_response(int status, std::string body) {
  http_response r;
  r.status = status;
  r.body = std::move(body);
  if (!r.body.empty() && r.body.back() != '\n') r.body += '\n';
  return r;
}

}  // namespace mlpath::net

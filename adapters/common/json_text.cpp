#include "adapters/common/json_text.hpp"

#include <boost/json/serialize.hpp>
#include <charconv>
#include <cmath>

namespace mlpath::adapters {
namespace {

void write(const boost::json::value& v, std::string& out) {
  switch (v.kind()) {
    case boost::json::kind::object: {
      out += '{';
      bool first = true;
      for (const auto& [k, x] : v.get_object()) {
        if (!first) out += ',';
        first = false;
        out += boost::json::serialize(boost::json::string_view(k));
        out += ':';
        write(x, out);
      }
      out += '}';
      return;
    }
    case boost::json::kind::array: {
      out += '[';
      bool first = true;
      for (const auto& x : v.get_array()) {
        if (!first) out += ',';
        first = false;
        write(x, out);
      }
      out += ']';
      return;
    }
    case boost::json::kind::double_: {
      double d = v.get_double();
      if (!std::isfinite(d)) {
        out += "null";  // JSON has no NaN or infinity
        return;
      }
      char buf[64];
      // Shortest text that reads back as the same double; whole values without ".0".
      auto [end, ec] = std::to_chars(buf, buf + sizeof buf, d);
      if (ec != std::errc()) {
        out += boost::json::serialize(v);
        return;
      }
      out.append(buf, end);
      return;
    }
    default:
      out += boost::json::serialize(v);
  }
}

}  // namespace

std::string json_text(const boost::json::value& v) {
  std::string out;
  write(v, out);
  return out;
}

}  // namespace mlpath::adapters

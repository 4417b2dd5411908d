// JSON for people: numbers written as people write them (33.3, 20), strings escaped
// exactly as Boost.JSON escapes them, and `mlpath match --json` without exponent forms.
#include <catch2/catch.hpp>

#include <boost/json.hpp>

#include <cmath>
#include <limits>

#include "adapters/common/json_text.hpp"
#include "test_support.hpp"

using mlpath::adapters::json_text;
namespace json = boost::json;

namespace {

// Every number token of a JSON text, as written (strings skipped).
std::vector<std::string> number_tokens(std::string_view text) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < text.size();) {
    char c = text[i];
    if (c == '"') {
      for (++i; i < text.size() && text[i] != '"'; ++i)
        if (text[i] == '\\') ++i;
      ++i;
    } else if (c == '-' || (c >= '0' && c <= '9')) {
      std::size_t start = i;
      while (i < text.size() && std::string_view("+-0123456789.eE").find(text[i]) != std::string_view::npos) ++i;
      out.emplace_back(text.substr(start, i - start));
    } else {
      ++i;
    }
  }
  return out;
}

double reads_back(const std::string& text) {
  json::value v = json::parse(text);
  REQUIRE(v.is_number());
  return v.to_number<double>();
}

}  // namespace

TEST_CASE("json_text writes numbers as people write them", "[json]") {
  CHECK(json_text(json::value(33.3)) == "33.3");
  CHECK(json_text(json::value(20.0)) == "20");
  CHECK(json_text(json::value(0.0)) == "0");
  CHECK(json_text(json::value(-2.5)) == "-2.5");
  CHECK(json_text(json::value(100.0)) == "100");
  CHECK(json_text(json::value(0.1 + 0.2)) == "0.30000000000000004");  // the shortest text that reads back the same
  CHECK(json_text(json::value(std::int64_t(-7))) == "-7");
  CHECK(json_text(json::value(std::uint64_t(18446744073709551615ull))) == "18446744073709551615");
  // What Boost.JSON 1.81 itself writes, for contrast: the reason json_text exists.
  CHECK(json::serialize(json::value(33.3)) != "33.3");

  for (double d : {1e-7, 1e20, 123456789.125, 2.2250738585072014e-308, 1.7976931348623157e308, -0.000123, 5e-324}) {
    INFO(d);
    std::string text = json_text(json::value(d));
    CHECK(reads_back(text) == d);
  }
  CHECK(json_text(json::value(std::nan(""))) == "null");
  CHECK(json_text(json::value(std::numeric_limits<double>::infinity())) == "null");
  CHECK(json_text(json::value(-std::numeric_limits<double>::infinity())) == "null");
  CHECK(json_text(json::object{{"score", std::nan("")}, {"n", 1.0}}) == R"({"score":null,"n":1})");
}

TEST_CASE("json_text: documents without doubles are exactly Boost.JSON's text", "[json]") {
  json::value doc = json::parse(R"({"k\"ey\\":"a \"quoted\" \\ back\/slash\n\t\r\b\f \u0001 \u001f caf\u00e9 \ud83d\ude00 </script>",)"
                                R"("nested":{"list":[1,-2,true,false,null,"",[],{}],"big":9223372036854775807},)"
                                R"("empty":{}, "ünï": "\u2028"})");
  CHECK(json_text(doc) == json::serialize(doc));
  CHECK(json::parse(json_text(doc)) == doc);
  std::string raw = std::string("tab\tquote\"nul") + std::string(1, '\0') + "end\x7f";
  json::value s = json::string(json::string_view(raw.data(), raw.size()));
  CHECK(json_text(s) == json::serialize(s));
}

TEST_CASE("json_text: doubles nested anywhere are written plainly, the rest unchanged", "[json]") {
  json::value doc = json::object{
      {"roles", json::array{json::object{{"id", "data_scientist"}, {"score", 33.3}, {"points", 20.0}},
                            json::object{{"id", "x"}, {"score", 100.0}, {"why", json::array{"a", "b"}}}}},
      {"weeks", json::array{1.0, 2.5, 12.0}},
      {"count", 3}};
  std::string text = json_text(doc);
  CHECK(text == R"({"roles":[{"id":"data_scientist","score":33.3,"points":20},{"id":"x","score":100,"why":["a","b"]}],)"
                R"("weeks":[1,2.5,12],"count":3})");
  // Reads back to the same numbers.
  json::value back = json::parse(text);
  CHECK(back.at("roles").at(0).at("score").to_number<double>() == 33.3);
  CHECK(back.at("weeks").at(1).to_number<double>() == 2.5);
}

TEST_CASE("mlpath match --json writes no number in exponent form", "[e2e][match][json]") {
  std::string dir = mlpath::test::source_dir() + "/tests/fixtures/personas/";
  std::size_t numbers_seen = 0;
  for (const char* persona : {"applied_ml_engineer.json", "data_scientist.json", "ml_infrastructure_engineer.json",
                              "ml_product_manager.json", "research_scientist.json"}) {
    INFO(persona);
    auto r = mlpath::test::run({mlpath::test::mlpath_binary(), "match", "--json"}, mlpath::test::read_text(dir + persona));
    REQUIRE(r.status == 0);
    json::value doc = json::parse(r.out);  // one valid document
    REQUIRE(doc.at("roles").as_array().size() > 0);
    for (const auto& t : number_tokens(r.out)) {
      INFO(t);
      CHECK(t.find_first_of("eE") == std::string::npos);
      CHECK(t.find('+') == std::string::npos);
      ++numbers_seen;
    }
    for (const auto& role : doc.at("roles").as_array()) {
      double score = role.at("score").to_number<double>();
      CHECK(score >= 0);
      CHECK(score <= 100);
    }
  }
  CHECK(numbers_seen > 20);
}

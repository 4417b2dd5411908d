#pragma once
// Splits one fuzzer input into the several values a target needs, deterministically, so
// every crash reproduces from its file.

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace mlpath::fuzz {

class input {
 public:
  input(const std::uint8_t* data, std::size_t size) : rest_(reinterpret_cast<const char*>(data), size) {}

  // One byte (0 when exhausted).
  std::uint8_t byte() {
    if (rest_.empty()) return 0;
    auto b = static_cast<std::uint8_t>(rest_.front());
    rest_.remove_prefix(1);
    return b;
  }
  // The bytes up to the next `sep` (or all that is left).
  std::string_view part(char sep = '\x1f') {
    auto at = rest_.find(sep);
    std::string_view out = rest_.substr(0, at);
    rest_.remove_prefix(at == std::string_view::npos ? rest_.size() : at + 1);
    return out;
  }
  std::string_view rest() {
    std::string_view out = rest_;
    rest_ = {};
    return out;
  }
  bool empty() const { return rest_.empty(); }

 private:
  std::string_view rest_;
};

}  // namespace mlpath::fuzz

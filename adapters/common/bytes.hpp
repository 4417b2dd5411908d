#pragma once
// Byte helpers the protocol code shares: hex in both directions and a comparison whose
// time does not depend on the contents (signature checks). Pure; thread-safe.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace mlpath::adapters {

std::string to_hex(const unsigned char* data, std::size_t size);
// Lower- or upper-case hex to bytes; nullopt when not hex or of odd length.
std::optional<std::string> from_hex(std::string_view hex);

// Compares in time that depends only on the lengths, not the contents.
bool constant_time_equal(std::string_view a, std::string_view b);

}  // namespace mlpath::adapters

#pragma once
// Plain-text rendering of replies for the terminal chat and `mlpath match`.

#include <string>

#include "dialogs/reply.hpp"

namespace mlpath::console {

std::string render_text(const dialogs::reply& r);

}  // namespace mlpath::console

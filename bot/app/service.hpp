#pragma once

#include "bot/app/config.hpp"

namespace mlpath {

// `mlpath serve`: the HTTP endpoints, every adapter whose credentials are set, the
// outbox. Prints "mlpath: listening on http://HOST:PORT" once it accepts requests.
// Returns the exit code after SIGINT/SIGTERM and a graceful stop.
int run_service(const config& c);

}  // namespace mlpath

#pragma once
// Who is talking: a person on one platform. Adapters name people this way and storage
// keys everything it keeps about them by it; (platform, tenant, user) is unique.

#include <string>

namespace mlpath::dialogs {

struct user_ref {
  std::string platform;  // slack, discord, console
  std::string tenant;    // the Slack team or Discord guild the person reached us through ("" where there is none)
  std::string user;      // the platform's user id

  bool operator==(const user_ref&) const = default;
};

}  // namespace mlpath::dialogs

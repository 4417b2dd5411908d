#pragma once
// The JSON form of replies and results: `mlpath chat --json` lines, `mlpath match --json`,
// exports. Written with Boost.JSON.

#include <boost/json/object.hpp>

#include "dialogs/reply.hpp"

namespace mlpath::console {

boost::json::object to_json(const dialogs::reply& r);
// The `mlpath match --json` object: roles, primary, secondary, confidence, plan, ...
boost::json::object result_json(const dialogs::result_reply& r);
boost::json::object answer_json(const dialogs::answer& a);
const char* kind_name(dialogs::question_kind k);

}  // namespace mlpath::console

#pragma once
// The JSON form of replies and results: `mlpath chat --json` lines, `mlpath match --json`,
// exports. Written with Boost.JSON.

#include <boost/json/object.hpp>

#include "dialogs/reply.hpp"

namespace mlpath::dialogs {

boost::json::object to_json(const reply& r);
// The `mlpath match --json` object: roles, primary, secondary, confidence, plan, ...
boost::json::object result_json(const result_reply& r);
boost::json::object answer_json(const answer& a);
const char* kind_name(question_kind k);

}  // namespace mlpath::dialogs

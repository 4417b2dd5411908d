#pragma once
// `mlpath user export`: everything stored about one person as one JSON document.

#include <boost/json/object.hpp>

#include "storage/store.hpp"

namespace mlpath {

boost::json::object user_export_json(const storage::user_export& e);

}  // namespace mlpath

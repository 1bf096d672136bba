// Request bodies of events: one JSON object, a JSON array of objects, or
// NDJSON (one object a line). SplitBody cuts a body into items without
// interpreting them beyond that; each item is validated on its own later, so
// one bad line rejects that line only.
//
// Thread-safe: pure functions.
#ifndef RETRO_PIPELINE_BODY_H_
#define RETRO_PIPELINE_BODY_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace retro::pipeline {

struct BodyItem {
  // The item's JSON text (a view into the body, or into `owned` for array
  // elements, which are re-serialised).
  std::string_view json;
  std::string owned;
  int line = 0;       // 1-based line of the item in the body (NDJSON)
  std::string error;  // non-empty: the item is unusable, and why
};

struct BodyOptions {
  size_t max_items = 100000;
};

// Splits `body`. An array body that is not valid JSON, an empty body and a
// body over max_items are errors (InvalidArgument); anything else yields
// items, some possibly with an error.
// REQUIRES: `body` outlives the items.
absl::StatusOr<std::vector<BodyItem>> SplitBody(std::string_view body,
                                                const BodyOptions& options = {});

}  // namespace retro::pipeline

#endif  // RETRO_PIPELINE_BODY_H_

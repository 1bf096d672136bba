// `link(text, ref)`: returns `text` and records a link {marker: text,
// resource: ref} in the LinkSink the evaluator passes as the evaluation's
// host data. Without a sink (constant folding, match expressions) it only
// returns `text`.
#ifndef RETRO_POLICY_LINK_H_
#define RETRO_POLICY_LINK_H_

#include <vector>

#include "absl/status/status.h"
#include "cel/function.h"
#include "cel/value.h"

namespace retro::policy {

struct LinkRecord {
  cel::Value marker;    // a string
  cel::Value resource;  // any value
};
using LinkSink = std::vector<LinkRecord>;

absl::Status RegisterLinkFunction(cel::FunctionRegistry& registry);

}  // namespace retro::policy

#endif  // RETRO_POLICY_LINK_H_

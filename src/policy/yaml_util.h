// Helpers over yaml-cpp nodes: YAML 1.2 core-schema typing of scalars,
// conversion to JSON text, and locating a position inside a scalar's source
// text (for CEL diagnostics in a policy file). yaml-cpp stays behind this
// header and the loader; no other module sees its types.
// Pure functions; thread-safe.
#ifndef RETRO_POLICY_YAML_UTIL_H_
#define RETRO_POLICY_YAML_UTIL_H_

#include <string>
#include <string_view>

#include "yaml-cpp/yaml.h"

namespace retro::policy {

enum class ScalarType { kNull, kBool, kInt, kDouble, kString };

// The type of a scalar node: quoted scalars and explicit !!str are strings;
// plain ones follow the YAML 1.2 core schema (null, ~, true, 12, 0x1f, 1.5,
// .inf, …). REQUIRES: node is a scalar or null node.
ScalarType TypeOfScalar(const YAML::Node& node);

// Appends `node` as JSON (keys of mappings must be scalars; they become
// strings). With sort_keys, mapping keys are sorted (canonical form). Returns
// false with *error on something JSON cannot hold (a non-scalar key, an
// alias cycle); depth is bounded.
bool YamlToJson(const YAML::Node& node, bool sort_keys, std::string* out,
                std::string* error);

// The byte offset in `file_text` of the character at `value_offset` of a
// scalar's decoded value, given the offset where the scalar node starts
// (yaml-cpp's Mark().pos, relative to file_text). Quotes, escapes, block
// headers, indentation and folded line breaks are skipped by aligning the
// decoded value with the raw text; the result is exact for plain and simply
// quoted scalars and close otherwise.
int OffsetInScalar(std::string_view file_text, int node_pos,
                   std::string_view value, int value_offset);

}  // namespace retro::policy

#endif  // RETRO_POLICY_YAML_UTIL_H_

// Line diffs in the unified format: what changed between two texts, with a
// few lines of context around each change (`retro policy diff`).
#ifndef RETRO_BASE_LINE_DIFF_H_
#define RETRO_BASE_LINE_DIFF_H_

#include <string>
#include <string_view>

namespace retro::base {

struct LineDiffOptions {
  int context = 3;         // unchanged lines shown around a change
  std::string from_label;  // the "--- " header ("" omits both headers)
  std::string to_label;    // the "+++ " header
};

// The unified diff of `from` → `to` ("@@ -a,b +c,d @@" hunks of " ", "-"
// and "+" lines), or "" when the texts have the same lines. A missing final
// newline is not a difference.
std::string UnifiedLineDiff(std::string_view from, std::string_view to,
                            const LineDiffOptions& options = {});

}  // namespace retro::base

#endif  // RETRO_BASE_LINE_DIFF_H_

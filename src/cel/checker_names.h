// Name helpers for the checker (internal): container candidate names,
// qualified names of select chains, and "did you mean" suggestions.
#ifndef RETRO_CEL_CHECKER_NAMES_H_
#define RETRO_CEL_CHECKER_NAMES_H_

#include <string>
#include <string_view>
#include <vector>

#include "cel/ast.h"

namespace retro::cel::checker_internal {

// The names `name` may denote inside `container`, most qualified first:
// container "a.b", name "x.y" -> "a.b.x.y", "a.x.y", "x.y". A name with a
// leading dot is absolute: ".x.y" -> "x.y" only.
std::vector<std::string> CandidateNames(std::string_view container,
                                        std::string_view name);

// The dotted name an identifier or a chain of (non-has) selects on an
// identifier spells, e.g. `a.b.c`; false for anything else.
bool QualifiedName(const Expr& e, std::string* out);

// The identifier at the root of a select chain, or null.
const Expr* RootIdent(const Expr& e);

// The candidate closest to `name` by edit distance when it is close enough
// to be a plausible typo; empty otherwise.
std::string Suggest(std::string_view name,
                    const std::vector<std::string>& candidates);

}  // namespace retro::cel::checker_internal

#endif  // RETRO_CEL_CHECKER_NAMES_H_

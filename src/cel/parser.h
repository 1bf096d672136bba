// Parser: CEL source text -> ParsedExpr, with macros expanded. Reports every
// syntax error it can recover from as a Diagnostic; never crashes or recurses
// without bound on hostile input (nesting and size limits below).
// Thread-safe: a pure function.
#ifndef RETRO_CEL_PARSER_H_
#define RETRO_CEL_PARSER_H_

#include <string_view>
#include <vector>

#include "cel/ast.h"
#include "cel/source.h"

namespace retro::cel {

struct ParseOptions {
  int32_t max_expression_bytes = 100'000;
  int32_t max_nesting_depth = 250;  // parentheses, calls, lists, maps, selects
  bool enable_macros = true;        // has, all, exists, exists_one, map,
                                    // filter, cel.bind, cel.block, optMap,
                                    // optFlatMap, two-variable forms
  bool enable_optional_syntax = true;  // `?.`, `[?`, `{?k: v}`, `[?e]`
};

struct ParseResult {
  ParsedExpr parsed;                     // valid only when ok()
  std::vector<Diagnostic> diagnostics;  // syntax errors, in source order
  bool ok() const { return diagnostics.empty(); }
};

ParseResult Parse(const Source& source, const ParseOptions& options = {});

}  // namespace retro::cel

#endif  // RETRO_CEL_PARSER_H_

#include "cel/parser.h"
namespace retro::cel {
ParseResult Parse(const Source& source, const ParseOptions& options) {
  ParseResult r;
  r.diagnostics.push_back({Diagnostic::Severity::kError, 0, "parser not built yet"});
  return r;
}
}  // namespace retro::cel

// Summary templates: literal text with `{{ cel }}` blocks, e.g.
//   "{{ actor }} scaled {{ audit.objectRef.name }}".
// ParseTemplate splits a template into literal pieces and block expressions
// (without compiling them). A block ends at the first `}}` that is outside
// the expression's string literals and braces, so `{{ {'a': 1}.a }}` and
// `{{ "}}" }}` are single blocks. A `}}` in literal text is literal.
// Pure functions; thread-safe.
#ifndef RETRO_POLICY_TEMPLATE_H_
#define RETRO_POLICY_TEMPLATE_H_

#include <string>
#include <string_view>
#include <vector>

namespace retro::policy {

struct TemplatePiece {
  bool is_block = false;
  // Literal text, or the block's expression with surrounding spaces trimmed.
  std::string text;
  // Byte offset of `text` in the template (for locating diagnostics).
  int offset = 0;
};

struct TemplateError {
  int offset = 0;  // byte offset in the template
  std::string message;
};

struct ParsedTemplate {
  std::vector<TemplatePiece> pieces;  // adjacent literals are merged
  std::vector<TemplateError> errors;
  bool ok() const { return errors.empty(); }
  int num_blocks() const;
};

ParsedTemplate ParseTemplate(std::string_view text);

}  // namespace retro::policy

#endif  // RETRO_POLICY_TEMPLATE_H_

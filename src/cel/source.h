// Source text of an expression and diagnostics located in it. A Diagnostic
// renders the way cel-go does, so users of other CEL tools recognise it:
//
//   ERROR: <input>:1:6: undeclared reference to 'dta' (did you mean 'data'?)
//    | 1 + dta.x
//    | ....^
//
// Thread-compatible (immutable after construction).
#ifndef RETRO_CEL_SOURCE_H_
#define RETRO_CEL_SOURCE_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace retro::cel {

struct Location {
  int32_t line = 1;    // 1-based
  int32_t column = 1;  // 1-based, in code points
};

class Source {
 public:
  explicit Source(std::string text, std::string description = "<input>");

  const std::string& text() const { return text_; }
  const std::string& description() const { return description_; }
  // Line and column of a byte offset (clamped to the text).
  Location LocationOf(int32_t offset) const;
  // The text of a 1-based line, without its newline.
  std::string_view Line(int32_t line) const;

 private:
  std::string text_;
  std::string description_;
  std::vector<int32_t> line_starts_;
};

struct Diagnostic {
  enum class Severity { kError, kWarning };
  Severity severity = Severity::kError;
  int32_t offset = -1;  // byte offset into the source; -1 when unknown
  std::string message;
};

// Renders one diagnostic with its location and a caret under the spot.
std::string FormatDiagnostic(const Source& source, const Diagnostic& d);
// Renders all, separated by newlines.
std::string FormatDiagnostics(const Source& source,
                              const std::vector<Diagnostic>& diagnostics);

}  // namespace retro::cel

#endif  // RETRO_CEL_SOURCE_H_

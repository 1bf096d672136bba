#include "cel/source.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "base/strings.h"

namespace retro::cel {

Source::Source(std::string text, std::string description)
    : text_(std::move(text)), description_(std::move(description)) {
  line_starts_.push_back(0);
  for (size_t i = 0; i < text_.size(); ++i) {
    if (text_[i] == '\n') line_starts_.push_back(static_cast<int32_t>(i + 1));
  }
}

namespace {

// Counts code points in s (UTF-8 continuation bytes don't start one).
int32_t CodePoints(std::string_view s) {
  int32_t n = 0;
  for (unsigned char c : s) {
    if ((c & 0xC0) != 0x80) ++n;
  }
  return n;
}

}  // namespace

Location Source::LocationOf(int32_t offset) const {
  offset = std::clamp<int32_t>(offset, 0, static_cast<int32_t>(text_.size()));
  auto it = std::upper_bound(line_starts_.begin(), line_starts_.end(), offset);
  int32_t line = static_cast<int32_t>(it - line_starts_.begin());
  int32_t start = line_starts_[line - 1];
  return {line, CodePoints(std::string_view(text_).substr(start, offset - start)) + 1};
}

std::string_view Source::Line(int32_t line) const {
  if (line < 1 || line > static_cast<int32_t>(line_starts_.size())) return {};
  int32_t start = line_starts_[line - 1];
  int32_t end = line < static_cast<int32_t>(line_starts_.size())
                    ? line_starts_[line] - 1
                    : static_cast<int32_t>(text_.size());
  std::string_view s = std::string_view(text_).substr(start, end - start);
  if (!s.empty() && s.back() == '\r') s.remove_suffix(1);
  return s;
}

std::string FormatDiagnostic(const Source& source, const Diagnostic& d) {
  const char* severity =
      d.severity == Diagnostic::Severity::kError ? "ERROR" : "WARNING";
  if (d.offset < 0) {
    return absl::StrCat(severity, ": ", source.description(), ": ", d.message);
  }
  Location loc = source.LocationOf(d.offset);
  std::string out = absl::StrCat(severity, ": ", source.description(), ":",
                                 loc.line, ":", loc.column, ": ", d.message);
  absl::StrAppend(&out, "\n | ", base::AV(source.Line(loc.line)), "\n | ",
                  std::string(loc.column - 1, '.'), "^");
  return out;
}

std::string FormatDiagnostics(const Source& source,
                              const std::vector<Diagnostic>& diagnostics) {
  std::string out;
  for (const Diagnostic& d : diagnostics) {
    if (!out.empty()) out += "\n";
    out += FormatDiagnostic(source, d);
  }
  return out;
}

}  // namespace retro::cel

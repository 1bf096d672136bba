#include "policy/source_text.h"

#include <algorithm>

namespace retro::policy {

SourceText::SourceText(std::string file, std::string text)
    : file_(std::move(file)), text_(std::move(text)) {
  line_starts_.push_back(0);
  for (size_t i = 0; i < text_.size(); ++i) {
    if (text_[i] == '\n') line_starts_.push_back(static_cast<int>(i + 1));
  }
}

int SourceText::LineOf(int offset) const {
  offset = std::clamp(offset, 0, static_cast<int>(text_.size()));
  auto it = std::upper_bound(line_starts_.begin(), line_starts_.end(), offset);
  return static_cast<int>(it - line_starts_.begin());
}

int SourceText::ColumnOf(int offset) const {
  offset = std::clamp(offset, 0, static_cast<int>(text_.size()));
  return offset - line_starts_[LineOf(offset) - 1] + 1;
}

int SourceText::LineStart(int line) const {
  line = std::clamp(line, 1, static_cast<int>(line_starts_.size()));
  return line_starts_[line - 1];
}

std::string_view SourceText::Line(int line) const {
  if (line < 1 || line > static_cast<int>(line_starts_.size())) return {};
  size_t begin = line_starts_[line - 1];
  size_t end = text_.find('\n', begin);
  if (end == std::string::npos) end = text_.size();
  if (end > begin && text_[end - 1] == '\r') --end;
  return std::string_view(text_).substr(begin, end - begin);
}

Problem SourceText::ProblemAt(int offset, std::string path, std::string message,
                              Problem::Severity severity) const {
  Problem p;
  p.severity = severity;
  p.file = file_;
  p.path = std::move(path);
  p.message = std::move(message);
  if (offset >= 0) {
    p.line = LineOf(offset);
    p.column = ColumnOf(offset);
    p.snippet = std::string(Line(p.line));
  }
  return p;
}

Problem SourceText::ProblemAtLine(int line, int column, std::string path,
                                  std::string message) const {
  Problem p;
  p.file = file_;
  p.line = line;
  p.column = column;
  p.path = std::move(path);
  p.message = std::move(message);
  p.snippet = std::string(Line(line));
  return p;
}

}  // namespace retro::policy

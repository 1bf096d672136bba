// SourceText: a policy file's text with a line index, so byte offsets can be
// turned into line/column positions and problems can quote their line.
// Immutable after construction; thread-safe for reads.
#ifndef RETRO_POLICY_SOURCE_TEXT_H_
#define RETRO_POLICY_SOURCE_TEXT_H_

#include <string>
#include <string_view>
#include <vector>

#include "policy/problem.h"

namespace retro::policy {

class SourceText {
 public:
  SourceText(std::string file, std::string text);

  const std::string& file() const { return file_; }
  const std::string& text() const { return text_; }

  // 1-based line and column (in bytes) of a byte offset, clamped.
  int LineOf(int offset) const;
  int ColumnOf(int offset) const;
  // Byte offset of the start of a 1-based line (clamped).
  int LineStart(int line) const;
  // The text of a 1-based line without its line break.
  std::string_view Line(int line) const;

  // A problem located at a byte offset (-1: the file as a whole).
  Problem ProblemAt(
      int offset, std::string path, std::string message,
      Problem::Severity severity = Problem::Severity::kError) const;
  // A problem at a 1-based line and column.
  Problem ProblemAtLine(int line, int column, std::string path,
                        std::string message) const;

 private:
  std::string file_;
  std::string text_;
  std::vector<int> line_starts_;
};

}  // namespace retro::policy

#endif  // RETRO_POLICY_SOURCE_TEXT_H_

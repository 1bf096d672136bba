// Problem: one thing wrong with a policy file, located precisely enough for a
// person to fix it: the file, line and column, the path of the field inside
// the document ("spec.auditRules[1].match"), and a message that names the
// fix. Loading reports every problem it finds, not only the first.
#ifndef RETRO_POLICY_PROBLEM_H_
#define RETRO_POLICY_PROBLEM_H_

#include <string>
#include <vector>

namespace retro::policy {

struct Problem {
  enum class Severity { kError, kWarning };
  Severity severity = Severity::kError;
  std::string file;
  int line = 0;         // 1-based; 0 when unknown
  int column = 0;       // 1-based, in bytes; 0 when unknown
  std::string path;     // "spec.auditRules[1].match"; empty for the file
  std::string message;  // what is wrong and how to fix it
  std::string snippet;  // the source line, for a caret display; may be empty

  bool is_error() const { return severity == Severity::kError; }

  // "file:12:30: error: spec.auditRules[1].match: message".
  std::string ToString() const;
  // ToString() plus the source line with a caret under the column.
  std::string ToStringWithSnippet() const;
};

bool HasErrors(const std::vector<Problem>& problems);

}  // namespace retro::policy

#endif  // RETRO_POLICY_PROBLEM_H_

#include "policy/problem.h"

#include "absl/strings/str_cat.h"

namespace retro::policy {

std::string Problem::ToString() const {
  std::string out = file.empty() ? "<input>" : file;
  if (line > 0) {
    absl::StrAppend(&out, ":", line);
    if (column > 0) absl::StrAppend(&out, ":", column);
  }
  absl::StrAppend(&out, is_error() ? ": error: " : ": warning: ");
  if (!path.empty()) absl::StrAppend(&out, path, ": ");
  absl::StrAppend(&out, message);
  return out;
}

std::string Problem::ToStringWithSnippet() const {
  std::string out = ToString();
  if (snippet.empty() || line <= 0) return out;
  std::string number = absl::StrCat(line);
  absl::StrAppend(&out, "\n ", number, " | ", snippet, "\n ",
                  std::string(number.size(), ' '), " | ");
  // Keep tabs so the caret lines up under tab-indented text.
  for (int i = 0; i + 1 < column && i < static_cast<int>(snippet.size()); ++i) {
    out.push_back(snippet[i] == '\t' ? '\t' : ' ');
  }
  out.push_back('^');
  return out;
}

bool HasErrors(const std::vector<Problem>& problems) {
  for (const Problem& p : problems) {
    if (p.is_error()) return true;
  }
  return false;
}

}  // namespace retro::policy

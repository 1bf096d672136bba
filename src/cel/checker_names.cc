#include "cel/checker_names.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace retro::cel::checker_internal {

std::vector<std::string> CandidateNames(std::string_view container,
                                        std::string_view name) {
  if (!name.empty() && name[0] == '.') return {std::string(name.substr(1))};
  std::vector<std::string> out;
  while (!container.empty()) {
    out.push_back(std::string(container) + "." + std::string(name));
    size_t dot = container.rfind('.');
    container = dot == std::string_view::npos ? std::string_view()
                                              : container.substr(0, dot);
  }
  out.emplace_back(name);
  return out;
}

bool QualifiedName(const Expr& e, std::string* out) {
  if (e.kind == ExprKind::kIdent) {
    *out = e.name;
    return true;
  }
  if (e.kind == ExprKind::kSelect && !e.test_only && e.operand != nullptr &&
      QualifiedName(*e.operand, out)) {
    absl::StrAppend(out, ".", e.name);
    return true;
  }
  return false;
}

const Expr* RootIdent(const Expr& e) {
  const Expr* cur = &e;
  while (cur->kind == ExprKind::kSelect && cur->operand != nullptr) {
    cur = cur->operand.get();
  }
  return cur->kind == ExprKind::kIdent ? cur : nullptr;
}

namespace {

size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t up = row[j];
      row[j] = std::min(
          {row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

}  // namespace

std::string Suggest(std::string_view name,
                    const std::vector<std::string>& candidates) {
  // Plausible typos: at most two edits, and at most half the name.
  const size_t limit = std::min<size_t>(2, name.size() / 2);
  size_t best = limit + 1;
  std::string out;
  for (const std::string& c : candidates) {
    if (c == name || c.empty() || c[0] == '@' || c[0] == '#') continue;
    // Cheap length filter before the quadratic distance.
    size_t diff = c.size() > name.size() ? c.size() - name.size()
                                         : name.size() - c.size();
    if (diff > limit) continue;
    size_t d = EditDistance(name, c);
    if (d < best || (d == best && c < out)) {
      best = d;
      out = c;
    }
  }
  return out;
}

}  // namespace retro::cel::checker_internal

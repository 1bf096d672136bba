#include "base/line_diff.h"

#include <algorithm>
#include <cstdint>
#include <vector>

#include "absl/strings/str_cat.h"

namespace retro::base {
namespace {

std::vector<std::string_view> Lines(std::string_view text) {
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    if (nl == std::string_view::npos) {
      lines.push_back(text);
      break;
    }
    lines.push_back(text.substr(0, nl));
    text.remove_prefix(nl + 1);
  }
  return lines;
}

enum class Op : char { kSame = ' ', kDel = '-', kAdd = '+' };

struct Edit {
  Op op;
  size_t a;  // line in `from` (kSame, kDel)
  size_t b;  // line in `to` (kSame, kAdd)
};

// The edit script of a longest common subsequence. The common prefix and
// suffix are trimmed first, so the quadratic table covers only the changed
// middle (policies are hundreds of lines, their changes a few).
std::vector<Edit> Script(const std::vector<std::string_view>& a,
                         const std::vector<std::string_view>& b) {
  size_t pre = 0;
  while (pre < a.size() && pre < b.size() && a[pre] == b[pre]) ++pre;
  size_t suf = 0;
  while (suf < a.size() - pre && suf < b.size() - pre &&
         a[a.size() - 1 - suf] == b[b.size() - 1 - suf]) {
    ++suf;
  }
  const size_t n = a.size() - pre - suf, m = b.size() - pre - suf;
  // lcs[i][j]: the LCS length of a[pre+i..] and b[pre+j..].
  std::vector<uint32_t> lcs((n + 1) * (m + 1), 0);
  auto at = [&](size_t i, size_t j) -> uint32_t& {
    return lcs[i * (m + 1) + j];
  };
  for (size_t i = n; i-- > 0;) {
    for (size_t j = m; j-- > 0;) {
      at(i, j) = a[pre + i] == b[pre + j]
                     ? at(i + 1, j + 1) + 1
                     : std::max(at(i + 1, j), at(i, j + 1));
    }
  }
  std::vector<Edit> script;
  for (size_t k = 0; k < pre; ++k) script.push_back({Op::kSame, k, k});
  size_t i = 0, j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[pre + i] == b[pre + j]) {
      script.push_back({Op::kSame, pre + i, pre + j});
      ++i, ++j;
    } else if (i < n && (j == m || at(i + 1, j) >= at(i, j + 1))) {
      script.push_back({Op::kDel, pre + i, 0});  // deletions first, as diff -u
      ++i;
    } else {
      script.push_back({Op::kAdd, 0, pre + j});
      ++j;
    }
  }
  for (size_t k = 0; k < suf; ++k) {
    script.push_back({Op::kSame, a.size() - suf + k, b.size() - suf + k});
  }
  return script;
}

// "start,count" of a hunk's side, as diff -u writes it (1-based; an empty
// side names the line before it).
std::string Range(size_t first, size_t count) {
  if (count == 1) return absl::StrCat(first + 1);
  return absl::StrCat(count == 0 ? first : first + 1, ",", count);
}

}  // namespace

std::string UnifiedLineDiff(std::string_view from, std::string_view to,
                            const LineDiffOptions& options) {
  const std::vector<std::string_view> a = Lines(from), b = Lines(to);
  const std::vector<Edit> script = Script(a, b);
  const size_t context = static_cast<size_t>(std::max(0, options.context));
  std::string out;
  size_t k = 0;
  while (k < script.size()) {
    while (k < script.size() && script[k].op == Op::kSame) ++k;
    if (k == script.size()) break;
    // A hunk: from `context` lines before this change to `context` lines
    // after the last change that is at most 2 * context lines further.
    size_t begin = k >= context ? k - context : 0;
    size_t end = k;
    while (end < script.size()) {
      size_t next = end;
      while (next < script.size() && script[next].op != Op::kSame) ++next;
      size_t same = next;
      while (same < script.size() && script[same].op == Op::kSame) ++same;
      end = next;
      if (same == script.size() || same - next > 2 * context) {
        end = std::min(script.size(), next + context);
        break;
      }
      end = same;
    }
    size_t a_first = 0, b_first = 0, a_count = 0, b_count = 0;
    bool a_set = false, b_set = false;
    for (size_t e = begin; e < end; ++e) {
      const Edit& ed = script[e];
      if (ed.op != Op::kAdd) {
        if (!a_set) a_first = ed.a, a_set = true;
        ++a_count;
      }
      if (ed.op != Op::kDel) {
        if (!b_set) b_first = ed.b, b_set = true;
        ++b_count;
      }
    }
    // An empty side starts after the lines before the hunk on that side.
    auto before = [&](bool on_a) {
      size_t n = 0;
      for (size_t e = 0; e < begin; ++e) {
        if (on_a ? script[e].op != Op::kAdd : script[e].op != Op::kDel) ++n;
      }
      return n;
    };
    if (!a_set) a_first = before(true);
    if (!b_set) b_first = before(false);
    if (out.empty() && !options.from_label.empty()) {
      absl::StrAppend(&out, "--- ", options.from_label, "\n+++ ",
                      options.to_label, "\n");
    }
    absl::StrAppend(&out, "@@ -", Range(a_first, a_count), " +",
                    Range(b_first, b_count), " @@\n");
    for (size_t e = begin; e < end; ++e) {
      const Edit& ed = script[e];
      out.push_back(static_cast<char>(ed.op));
      std::string_view line = ed.op == Op::kAdd ? b[ed.b] : a[ed.a];
      out.append(line.data(), line.size());
      out.push_back('\n');
    }
    k = end;
  }
  return out;
}

}  // namespace retro::base

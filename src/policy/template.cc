#include "policy/template.h"

#include "absl/strings/str_cat.h"

namespace retro::policy {
namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// Skips a CEL string literal starting at `i` (the opening quote, possibly
// after an r/R/b/B prefix already consumed). Returns the index just past it,
// or npos when it is never closed.
size_t SkipString(std::string_view s, size_t i, bool raw) {
  char q = s[i];
  bool triple = s.substr(i, 3) == std::string_view(std::string(3, q));
  size_t j = i + (triple ? 3 : 1);
  while (j < s.size()) {
    char c = s[j];
    if (!raw && c == '\\') {
      j += 2;
      continue;
    }
    if (triple) {
      if (s.substr(j, 3) == std::string_view(std::string(3, q))) return j + 3;
    } else if (c == q) {
      return j + 1;
    } else if (c == '\n') {
      return std::string_view::npos;
    }
    ++j;
  }
  return std::string_view::npos;
}

// Index of the `}}` that closes a block whose expression starts at `i`, or
// npos.
size_t FindBlockEnd(std::string_view s, size_t i) {
  int depth = 0;
  while (i < s.size()) {
    char c = s[i];
    if (c == '\'' || c == '"') {
      bool raw = i > 0 && (s[i - 1] == 'r' || s[i - 1] == 'R');
      size_t end = SkipString(s, i, raw);
      if (end == std::string_view::npos) return end;
      i = end;
      continue;
    }
    if (c == '{') {
      ++depth;
    } else if (c == '}') {
      if (depth == 0 && i + 1 < s.size() && s[i + 1] == '}') return i;
      if (depth > 0) --depth;
    }
    ++i;
  }
  return std::string_view::npos;
}

void AddLiteral(std::vector<TemplatePiece>& pieces, std::string_view text,
                int offset) {
  if (text.empty()) return;
  if (!pieces.empty() && !pieces.back().is_block) {
    pieces.back().text.append(text);
    return;
  }
  pieces.push_back({false, std::string(text), offset});
}

}  // namespace

int ParsedTemplate::num_blocks() const {
  int n = 0;
  for (const TemplatePiece& p : pieces) n += p.is_block ? 1 : 0;
  return n;
}

ParsedTemplate ParseTemplate(std::string_view text) {
  ParsedTemplate out;
  size_t pos = 0;
  int block_number = 0;
  while (pos < text.size()) {
    size_t open = text.find("{{", pos);
    if (open == std::string_view::npos) {
      AddLiteral(out.pieces, text.substr(pos), static_cast<int>(pos));
      break;
    }
    AddLiteral(out.pieces, text.substr(pos, open - pos), static_cast<int>(pos));
    ++block_number;
    size_t begin = open + 2;
    size_t close = FindBlockEnd(text, begin);
    if (close == std::string_view::npos) {
      out.errors.push_back(
          {static_cast<int>(open),
           absl::StrCat("block ", block_number,
                        ": a '{{' block is never closed; add '}}' after its "
                        "expression")});
      break;
    }
    size_t b = begin, e = close;
    while (b < e && IsSpace(text[b])) ++b;
    while (e > b && IsSpace(text[e - 1])) --e;
    if (b == e) {
      out.errors.push_back(
          {static_cast<int>(open),
           absl::StrCat("block ", block_number,
                        " is empty; put a CEL expression between '{{' and "
                        "'}}' or remove the block")});
    } else {
      out.pieces.push_back(
          {true, std::string(text.substr(b, e - b)), static_cast<int>(b)});
    }
    pos = close + 2;
  }
  return out;
}

}  // namespace retro::policy

#include "pipeline/body.h"

#include "absl/strings/str_cat.h"
#include "base/strings.h"
#include "simdjson.h"

namespace retro::pipeline {
namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

absl::StatusOr<std::vector<BodyItem>> SplitArray(std::string_view body,
                                                 const BodyOptions& options) {
  simdjson::dom::parser parser;
  simdjson::padded_string padded(body.data(), body.size());
  simdjson::dom::element root;
  if (auto error = parser.parse(padded).get(root); error) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the body starts with '[' but is not a valid JSON array: ",
        simdjson::error_message(error)));
  }
  simdjson::dom::array array;
  if (root.get_array().get(array)) {
    return absl::InvalidArgumentError("the body is not a JSON array");
  }
  std::vector<BodyItem> items;
  items.reserve(array.size());
  if (array.size() > options.max_items) {
    return absl::InvalidArgumentError(
        absl::StrCat("the body holds ", array.size(), " events; at most ",
                     options.max_items, " are allowed per request"));
  }
  for (simdjson::dom::element e : array) {
    BodyItem& item = items.emplace_back();
    if (!e.is_object()) {
      item.error = absl::StrCat("the event must be a JSON object, not ",
                                e.is_array()    ? "an array"
                                : e.is_string() ? "a string"
                                : e.is_null()   ? "null"
                                                : "a scalar");
      continue;
    }
    item.owned = simdjson::minify(e);
    item.json = item.owned;
  }
  return items;
}

}  // namespace

absl::StatusOr<std::vector<BodyItem>> SplitBody(std::string_view body,
                                                const BodyOptions& options) {
  std::string_view trimmed = Trim(body);
  if (trimmed.empty()) {
    return absl::InvalidArgumentError(
        "the body is empty: send a JSON object, an array or NDJSON");
  }
  if (trimmed.front() == '[') return SplitArray(trimmed, options);
  std::vector<BodyItem> items;
  // A pretty-printed single object: its first line is just "{".
  size_t first_nl = trimmed.find('\n');
  if (first_nl != std::string_view::npos &&
      Trim(trimmed.substr(0, first_nl)) == "{") {
    BodyItem& item = items.emplace_back();
    item.json = trimmed;
    item.line = 1;
    return items;
  }
  int line = 0;
  size_t pos = 0;
  while (pos < body.size()) {
    size_t nl = body.find('\n', pos);
    if (nl == std::string_view::npos) nl = body.size();
    ++line;
    std::string_view text = Trim(body.substr(pos, nl - pos));
    pos = nl + 1;
    if (text.empty()) continue;
    if (items.size() >= options.max_items) {
      return absl::InvalidArgumentError(
          absl::StrCat("the body holds more than ", options.max_items,
                       " events; at most that many are allowed per request"));
    }
    BodyItem& item = items.emplace_back();
    item.json = text;
    item.line = line;
  }
  return items;
}

}  // namespace retro::pipeline

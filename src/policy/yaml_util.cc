#include "policy/yaml_util.h"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <vector>

#include "policy/canonical_json.h"

namespace retro::policy {
namespace {

constexpr int kMaxDepth = 100;

bool IsOneOf(std::string_view s, std::initializer_list<std::string_view> set) {
  return std::find(set.begin(), set.end(), s) != set.end();
}

bool IsDigits(std::string_view s, int base) {
  if (s.empty()) return false;
  for (char c : s) {
    bool ok = base == 16  ? std::isxdigit(static_cast<unsigned char>(c))
              : base == 8 ? (c >= '0' && c <= '7')
                          : (c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

bool IsCoreInt(std::string_view s) {
  if (s.starts_with("0x")) return IsDigits(s.substr(2), 16);
  if (s.starts_with("0o")) return IsDigits(s.substr(2), 8);
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) s.remove_prefix(1);
  return IsDigits(s, 10);
}

bool IsCoreFloat(std::string_view s) {
  std::string_view t = s;
  if (!t.empty() && (t[0] == '-' || t[0] == '+')) t.remove_prefix(1);
  if (IsOneOf(t, {".inf", ".Inf", ".INF"}) ||
      IsOneOf(s, {".nan", ".NaN", ".NAN"})) {
    return true;
  }
  // [0-9]* ( . [0-9]* )? ( [eE] [-+]? [0-9]+ )?, with at least one digit
  // before the exponent.
  size_t i = 0, digits = 0;
  while (i < t.size() && std::isdigit(static_cast<unsigned char>(t[i])))
    ++i, ++digits;
  if (i < t.size() && t[i] == '.') {
    ++i;
    while (i < t.size() && std::isdigit(static_cast<unsigned char>(t[i])))
      ++i, ++digits;
  }
  if (digits == 0) return false;
  if (i < t.size() && (t[i] == 'e' || t[i] == 'E')) {
    ++i;
    if (i < t.size() && (t[i] == '-' || t[i] == '+')) ++i;
    size_t start = i;
    while (i < t.size() && std::isdigit(static_cast<unsigned char>(t[i]))) ++i;
    if (i == start) return false;
  }
  return i == t.size();
}

ScalarType ClassifyPlain(std::string_view s) {
  if (s.empty() || IsOneOf(s, {"~", "null", "Null", "NULL"}))
    return ScalarType::kNull;
  if (IsOneOf(s, {"true", "True", "TRUE", "false", "False", "FALSE"})) {
    return ScalarType::kBool;
  }
  if (IsCoreInt(s)) return ScalarType::kInt;
  if (IsCoreFloat(s)) return ScalarType::kDouble;
  return ScalarType::kString;
}

void AppendNumber(std::string_view s, ScalarType type, std::string* out) {
  if (type == ScalarType::kInt) {
    bool negative = !s.empty() && s[0] == '-';
    std::string_view digits = s;
    if (!digits.empty() && (digits[0] == '-' || digits[0] == '+'))
      digits.remove_prefix(1);
    int base = 10;
    if (digits.starts_with("0x")) base = 16, digits.remove_prefix(2);
    if (digits.starts_with("0o")) base = 8, digits.remove_prefix(2);
    uint64_t v = 0;
    auto r =
        std::from_chars(digits.data(), digits.data() + digits.size(), v, base);
    if (r.ec == std::errc() &&
        v <= (negative ? uint64_t{1} << 63 : uint64_t{INT64_MAX})) {
      if (negative) out->push_back('-');
      out->append(std::to_string(v));
      return;
    }
    // Too large for int64: a double, as JSON readers would make it.
  }
  std::string t(s);
  std::string_view u = t;
  bool negative = !u.empty() && u[0] == '-';
  if (!u.empty() && (u[0] == '-' || u[0] == '+')) u.remove_prefix(1);
  double d;
  if (IsOneOf(u, {".inf", ".Inf", ".INF"})) {
    d = negative ? -HUGE_VAL : HUGE_VAL;
  } else if (IsOneOf(u, {".nan", ".NaN", ".NAN"})) {
    d = std::nan("");
  } else {
    d = std::strtod(t.c_str(), nullptr);
  }
  if (!std::isfinite(d)) {
    // JSON has no infinities; keep the text so nothing is lost silently.
    AppendJsonString(s, out);
    return;
  }
  std::string num;
  AppendJsonDouble(d, &num);
  // Keep the value a double when parsed back (JSON "2" would be an int).
  if (num.find_first_of(".e") == std::string::npos) num.append(".0");
  out->append(num);
}

bool ToJson(const YAML::Node& node, bool sort_keys, int depth, std::string* out,
            std::string* error) {
  if (depth > kMaxDepth) {
    *error = "the document nests too deeply";
    return false;
  }
  switch (node.Type()) {
    case YAML::NodeType::Undefined:
    case YAML::NodeType::Null:
      out->append("null");
      return true;
    case YAML::NodeType::Scalar: {
      const std::string& s = node.Scalar();
      switch (TypeOfScalar(node)) {
        case ScalarType::kNull:
          out->append("null");
          return true;
        case ScalarType::kBool:
          out->append(s[0] == 't' || s[0] == 'T' ? "true" : "false");
          return true;
        case ScalarType::kInt:
        case ScalarType::kDouble:
          AppendNumber(s, TypeOfScalar(node), out);
          return true;
        case ScalarType::kString:
          AppendJsonString(s, out);
          return true;
      }
      return true;
    }
    case YAML::NodeType::Sequence: {
      out->push_back('[');
      bool first = true;
      for (const YAML::Node& item : node) {
        if (!first) out->push_back(',');
        first = false;
        if (!ToJson(item, sort_keys, depth + 1, out, error)) return false;
      }
      out->push_back(']');
      return true;
    }
    case YAML::NodeType::Map: {
      // YAML::Node's assignment writes through to the node it refers to,
      // so nodes are only ever copy-constructed here and sorted by index.
      std::vector<std::string> keys;
      std::vector<YAML::Node> values;
      for (const auto& kv : node) {
        if (!kv.first.IsScalar()) {
          *error = "a mapping key must be a plain value, not a list or mapping";
          return false;
        }
        keys.push_back(kv.first.Scalar());
        values.emplace_back(kv.second);
      }
      std::vector<size_t> order(keys.size());
      for (size_t i = 0; i < order.size(); ++i) order[i] = i;
      if (sort_keys) {
        std::stable_sort(order.begin(), order.end(),
                         [&](size_t a, size_t b) { return keys[a] < keys[b]; });
      }
      out->push_back('{');
      for (size_t n = 0; n < order.size(); ++n) {
        if (n > 0) out->push_back(',');
        AppendJsonString(keys[order[n]], out);
        out->push_back(':');
        if (!ToJson(values[order[n]], sort_keys, depth + 1, out, error)) {
          return false;
        }
      }
      out->push_back('}');
      return true;
    }
  }
  return true;
}

}  // namespace

ScalarType TypeOfScalar(const YAML::Node& node) {
  if (node.IsNull()) return ScalarType::kNull;
  const std::string& tag = node.Tag();
  const std::string& s = node.Scalar();
  if (tag == "!" || tag == "tag:yaml.org,2002:str") return ScalarType::kString;
  if (tag == "tag:yaml.org,2002:int" && IsCoreInt(s)) return ScalarType::kInt;
  if (tag == "tag:yaml.org,2002:float" && (IsCoreFloat(s) || IsCoreInt(s))) {
    return ScalarType::kDouble;
  }
  if (tag == "tag:yaml.org,2002:bool" &&
      ClassifyPlain(s) == ScalarType::kBool) {
    return ScalarType::kBool;
  }
  if (tag == "tag:yaml.org,2002:null") return ScalarType::kNull;
  if (tag != "?" && !tag.empty()) return ScalarType::kString;
  return ClassifyPlain(s);
}

bool YamlToJson(const YAML::Node& node, bool sort_keys, std::string* out,
                std::string* error) {
  return ToJson(node, sort_keys, 0, out, error);
}

int OffsetInScalar(std::string_view text, int node_pos, std::string_view value,
                   int value_offset) {
  int n = static_cast<int>(text.size());
  if (node_pos < 0 || node_pos >= n) return std::clamp(node_pos, 0, n);
  int raw = node_pos;
  char first = text[raw];
  if (first == '"' || first == '\'') {
    ++raw;
  } else if (first == '|' || first == '>') {
    // Block scalar: the content starts on the line after the header.
    while (raw < n && text[raw] != '\n') ++raw;
    if (raw < n) ++raw;
  }
  value_offset = std::clamp(value_offset, 0, static_cast<int>(value.size()));
  // Align each decoded character with the next raw occurrence of it,
  // skipping indentation, escapes and quotes; give up the search after a
  // short window so one unmatched character (an escape such as \n) does
  // not derail the rest.
  constexpr int kWindow = 12;
  for (int i = 0; i < value_offset && raw < n; ++i) {
    char c = value[i];
    int j = raw;
    int limit = std::min(n, raw + kWindow);
    while (j < limit && text[j] != c) {
      // Indentation after a line break may be long: skip it whole.
      if (text[j] == '\n') {
        while (j + 1 < n && (text[j + 1] == ' ' || text[j + 1] == '\t')) ++j;
        limit = std::min(n, j + kWindow);
      }
      ++j;
    }
    raw = j < limit ? j + 1 : raw + 1;
  }
  // Land on the character itself, past any skipped decoration.
  if (value_offset < static_cast<int>(value.size())) {
    char c = value[value_offset];
    int j = raw;
    int limit = std::min(n, raw + kWindow);
    while (j < limit && text[j] != c) ++j;
    if (j < limit) raw = j;
  }
  return std::min(raw, n);
}

}  // namespace retro::policy

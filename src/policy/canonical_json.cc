#include "policy/canonical_json.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "absl/strings/escaping.h"
#include "base/strings.h"
#include "base/time.h"
#include "cel/value.h"

namespace retro::policy {
namespace {

void AppendInt(int64_t v, std::string* out) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof(buf), v);
  out->append(buf, r.ptr);
}

void AppendUint(uint64_t v, std::string* out) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof(buf), v);
  out->append(buf, r.ptr);
}

// The JSON text of a map key, as it appears between quotes.
bool KeyText(const cel::Value& key, std::string* out) {
  switch (key.kind()) {
    case cel::Kind::kString:
      out->assign(key.string_value());
      return true;
    case cel::Kind::kInt:
      out->clear();
      AppendInt(key.int_value(), out);
      return true;
    case cel::Kind::kUint:
      out->clear();
      AppendUint(key.uint_value(), out);
      return true;
    case cel::Kind::kBool:
      out->assign(key.bool_value() ? "true" : "false");
      return true;
    default:
      return false;
  }
}

bool AppendMap(const cel::MapData& map, std::string* out) {
  // Fast path: string keys sorted by pointer into the entries.
  absl::InlinedVector<uint32_t, 32> order(map.size);
  for (uint32_t i = 0; i < map.size; ++i) order[i] = i;
  bool all_strings = true;
  for (uint32_t i = 0; i < map.size; ++i) {
    all_strings = all_strings && map.keys[i].is_string();
  }
  if (all_strings) {
    std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
      return map.keys[a].string_value() < map.keys[b].string_value();
    });
    out->push_back('{');
    for (uint32_t n = 0; n < map.size; ++n) {
      if (n > 0) out->push_back(',');
      AppendJsonString(map.keys[order[n]].string_value(), out);
      out->push_back(':');
      if (!AppendCanonicalJson(map.values[order[n]], out)) return false;
    }
    out->push_back('}');
    return true;
  }
  std::vector<std::string> keys(map.size);
  for (uint32_t i = 0; i < map.size; ++i) {
    if (!KeyText(map.keys[i], &keys[i])) return false;
  }
  std::sort(order.begin(), order.end(),
            [&](uint32_t a, uint32_t b) { return keys[a] < keys[b]; });
  out->push_back('{');
  for (uint32_t n = 0; n < map.size; ++n) {
    if (n > 0) out->push_back(',');
    AppendJsonString(keys[order[n]], out);
    out->push_back(':');
    if (!AppendCanonicalJson(map.values[order[n]], out)) return false;
  }
  out->push_back('}');
  return true;
}

void AppendDuration(const cel::Value& v, std::string* out) {
  // Seconds with up to 9 fractional digits, trailing zeros trimmed: "1.5s".
  int64_t secs = v.seconds();
  uint32_t nanos = v.nanos();
  bool negative = secs < 0;
  if (negative && nanos > 0) {
    secs += 1;
    nanos = 1'000'000'000 - nanos;
  }
  if (negative && secs == 0) out->push_back('-');
  AppendInt(secs, out);
  if (nanos > 0) {
    char buf[16];
    std::snprintf(buf, sizeof(buf), ".%09u", nanos);
    std::string_view frac(buf);
    while (frac.back() == '0') frac.remove_suffix(1);
    out->append(frac);
  }
  out->push_back('s');
}

}  // namespace

void AppendJsonDouble(double d, std::string* out) {
  if (std::isnan(d)) {
    out->append("\"NaN\"");
    return;
  }
  if (std::isinf(d)) {
    out->append(d > 0 ? "\"Infinity\"" : "\"-Infinity\"");
    return;
  }
  if (d == 0) {
    out->push_back('0');
    return;
  }
  // Shortest round-trip digits and exponent, then JavaScript's layout.
  char buf[40];
  auto r =
      std::to_chars(buf, buf + sizeof(buf), d, std::chars_format::scientific);
  std::string_view sci(buf, r.ptr - buf);
  bool negative = sci.front() == '-';
  if (negative) sci.remove_prefix(1);
  size_t e = sci.find('e');
  std::string digits;
  for (char c : sci.substr(0, e)) {
    if (c != '.') digits.push_back(c);
  }
  while (digits.size() > 1 && digits.back() == '0') digits.pop_back();
  int exponent = 0;
  std::from_chars(sci.data() + e + 1 + (sci[e + 1] == '+' ? 1 : 0),
                  sci.data() + sci.size(), exponent);
  int k = static_cast<int>(digits.size());
  int n = exponent + 1;  // position of the decimal point
  if (negative) out->push_back('-');
  if (k <= n && n <= 21) {
    out->append(digits);
    out->append(n - k, '0');
  } else if (0 < n && n <= 21) {
    out->append(digits, 0, n);
    out->push_back('.');
    out->append(digits, n, std::string::npos);
  } else if (-6 < n && n <= 0) {
    out->append("0.");
    out->append(-n, '0');
    out->append(digits);
  } else {
    out->push_back(digits[0]);
    if (k > 1) {
      out->push_back('.');
      out->append(digits, 1, std::string::npos);
    }
    out->push_back('e');
    out->push_back(n - 1 >= 0 ? '+' : '-');
    AppendInt(std::abs(n - 1), out);
  }
}

bool AppendCanonicalJson(const cel::Value& value, std::string* out) {
  switch (value.kind()) {
    case cel::Kind::kNull:
      out->append("null");
      return true;
    case cel::Kind::kBool:
      out->append(value.bool_value() ? "true" : "false");
      return true;
    case cel::Kind::kInt:
      AppendInt(value.int_value(), out);
      return true;
    case cel::Kind::kUint:
      AppendUint(value.uint_value(), out);
      return true;
    case cel::Kind::kDouble:
      AppendJsonDouble(value.double_value(), out);
      return true;
    case cel::Kind::kString:
      AppendJsonString(value.string_value(), out);
      return true;
    case cel::Kind::kBytes: {
      std::string encoded;
      absl::Base64Escape(base::AV(value.bytes_value()), &encoded);
      AppendJsonString(encoded, out);
      return true;
    }
    case cel::Kind::kList: {
      out->push_back('[');
      bool first = true;
      for (const cel::Value& item : value.list()) {
        if (!first) out->push_back(',');
        first = false;
        if (!AppendCanonicalJson(item, out)) return false;
      }
      out->push_back(']');
      return true;
    }
    case cel::Kind::kMap:
      return AppendMap(value.map(), out);
    case cel::Kind::kTimestamp:
      AppendJsonString(base::FormatRfc3339(value.timestamp()), out);
      return true;
    case cel::Kind::kDuration:
      out->push_back('"');
      AppendDuration(value, out);
      out->push_back('"');
      return true;
    case cel::Kind::kType:
      AppendJsonString(value.type_name(), out);
      return true;
    case cel::Kind::kOptional:
      if (value.optional_value() == nullptr) {
        out->append("null");
        return true;
      }
      return AppendCanonicalJson(*value.optional_value(), out);
    case cel::Kind::kOpaque:
      AppendJsonString(value.opaque().DebugString(), out);
      return true;
    case cel::Kind::kError:
      return false;
  }
  return false;
}

}  // namespace retro::policy

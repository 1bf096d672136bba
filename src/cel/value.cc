#include "cel/value.h"

#include <cmath>
#include <cstring>
#include <limits>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "base/hash.h"
#include "base/strings.h"
#include "base/time.h"

namespace retro::cel {

std::string_view KindTypeName(Kind kind) {
  switch (kind) {
    case Kind::kNull:
      return "null_type";
    case Kind::kBool:
      return "bool";
    case Kind::kInt:
      return "int";
    case Kind::kUint:
      return "uint";
    case Kind::kDouble:
      return "double";
    case Kind::kString:
      return "string";
    case Kind::kBytes:
      return "bytes";
    case Kind::kList:
      return "list";
    case Kind::kMap:
      return "map";
    case Kind::kTimestamp:
      return "google.protobuf.Timestamp";
    case Kind::kDuration:
      return "google.protobuf.Duration";
    case Kind::kType:
      return "type";
    case Kind::kOptional:
      return "optional_type";
    case Kind::kOpaque:
      return "opaque";
    case Kind::kError:
      return "error";
  }
  return "unknown";
}

Value Value::FromTime(absl::Time t) {
  int64_t secs = absl::ToUnixSeconds(t);
  absl::Duration rem = t - absl::FromUnixSeconds(secs);
  int64_t ns = absl::ToInt64Nanoseconds(rem);
  if (ns < 0) {
    ns += 1'000'000'000;
    --secs;
  }
  return Timestamp(secs, static_cast<uint32_t>(ns));
}

Value Value::FromDuration(absl::Duration d) {
  int64_t secs = absl::IDivDuration(d, absl::Seconds(1), &d);
  int64_t ns = absl::ToInt64Nanoseconds(d);
  if (ns < 0) {
    ns += 1'000'000'000;
    --secs;
  }
  return Duration(secs, static_cast<uint32_t>(ns));
}

absl::Time Value::timestamp() const {
  return absl::FromUnixSeconds(u_.i) + absl::Nanoseconds(aux_);
}

absl::Duration Value::duration() const {
  return absl::Seconds(u_.i) + absl::Nanoseconds(aux_);
}

std::string_view Value::TypeName() const {
  if (kind_ == Kind::kOpaque) return u_.opaque->TypeName();
  return KindTypeName(kind_);
}

namespace {

std::string FormatDouble(double d) {
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d > 0 ? "+Infinity" : "-Infinity";
  std::string s = absl::StrCat(d);
  return s;
}

std::string FormatDurationText(const Value& v) {
  absl::Duration d = v.duration();
  // Seconds with the fraction needed, as "1.5s".
  int64_t ns = 0;
  bool neg = d < absl::ZeroDuration();
  if (neg) d = -d;
  int64_t secs = absl::IDivDuration(d, absl::Seconds(1), &d);
  ns = absl::ToInt64Nanoseconds(d);
  std::string out = neg ? "-" : "";
  absl::StrAppend(&out, secs);
  if (ns != 0) {
    std::string frac = absl::StrCat(ns + 1'000'000'000).substr(1);
    while (!frac.empty() && frac.back() == '0') frac.pop_back();
    absl::StrAppend(&out, ".", frac);
  }
  out += "s";
  return out;
}

}  // namespace

std::string Value::DebugString() const {
  switch (kind_) {
    case Kind::kNull:
      return "null";
    case Kind::kBool:
      return u_.b ? "true" : "false";
    case Kind::kInt:
      return absl::StrCat(u_.i);
    case Kind::kUint:
      return absl::StrCat(u_.u, "u");
    case Kind::kDouble:
      return FormatDouble(u_.d);
    case Kind::kString:
      return absl::StrCat("\"", absl::CHexEscape(base::AV(string_value())),
                          "\"");
    case Kind::kBytes:
      return absl::StrCat("b\"", absl::CHexEscape(base::AV(bytes_value())),
                          "\"");
    case Kind::kList: {
      std::string out = "[";
      bool first = true;
      for (const Value& v : list()) {
        if (!first) out += ", ";
        first = false;
        out += v.DebugString();
      }
      return out + "]";
    }
    case Kind::kMap: {
      std::string out = "{";
      const MapData& m = map();
      for (uint32_t i = 0; i < m.size; ++i) {
        if (i > 0) out += ", ";
        absl::StrAppend(&out, m.keys[i].DebugString(), ": ",
                        m.values[i].DebugString());
      }
      return out + "}";
    }
    case Kind::kTimestamp:
      return absl::StrCat("timestamp(\"", base::FormatRfc3339(timestamp()),
                          "\")");
    case Kind::kDuration:
      return absl::StrCat("duration(\"", FormatDurationText(*this), "\")");
    case Kind::kType:
      return std::string(type_name());
    case Kind::kOptional:
      return u_.opt == nullptr
                 ? "optional.none()"
                 : absl::StrCat("optional.of(", u_.opt->DebugString(), ")");
    case Kind::kOpaque:
      return u_.opaque->DebugString();
    case Kind::kError:
      return absl::StrCat("error(", base::AV(error_message()), ")");
  }
  return "?";
}

Value MakeError(Arena& arena, std::string_view message) {
  auto* e = arena.New<ErrorData>();
  e->message = arena.CopyString(message);
  return Value::Error(e);
}

Value MakeString(Arena& arena, std::string_view s) {
  return Value::String(arena.CopyString(s));
}

Value MakeBytes(Arena& arena, std::string_view s) {
  return Value::Bytes(arena.CopyString(s));
}

namespace {

bool IsNumeric(Kind k) {
  return k == Kind::kInt || k == Kind::kUint || k == Kind::kDouble;
}

// Exact comparison of numbers of any two numeric kinds: -1, 0, 1, or nullopt
// for NaN.
std::optional<int> CompareNumeric(const Value& a, const Value& b) {
  auto cmp = [](auto x, auto y) { return x < y ? -1 : (x > y ? 1 : 0); };
  Kind ka = a.kind(), kb = b.kind();
  if (ka == kb) {
    switch (ka) {
      case Kind::kInt:
        return cmp(a.int_value(), b.int_value());
      case Kind::kUint:
        return cmp(a.uint_value(), b.uint_value());
      default: {
        double x = a.double_value(), y = b.double_value();
        if (std::isnan(x) || std::isnan(y)) return std::nullopt;
        return cmp(x, y);
      }
    }
  }
  if (ka == Kind::kInt && kb == Kind::kUint) {
    if (a.int_value() < 0) return -1;
    return cmp(static_cast<uint64_t>(a.int_value()), b.uint_value());
  }
  if (ka == Kind::kUint && kb == Kind::kInt) {
    auto r = CompareNumeric(b, a);
    return r ? std::optional<int>(-*r) : std::nullopt;
  }
  // One side is a double.
  if (ka == Kind::kDouble) {
    auto r = CompareNumeric(b, a);
    return r ? std::optional<int>(-*r) : std::nullopt;
  }
  double d = b.double_value();
  if (std::isnan(d)) return std::nullopt;
  // As cel-go (and the conformance suite, e.g.
  // not_lt_dyn_int_big_lossy_double): doubles beyond the integer's range order
  // outside it; within it the integer is converted to double, so 2^63-1 equals
  // 2^63 as a double.
  if (ka == Kind::kInt) {
    if (d < -9223372036854775808.0) return 1;
    if (d > 9223372036854775807.0) return -1;  // the literal is 2^63
    return cmp(static_cast<double>(a.int_value()), d);
  }
  // kUint vs double.
  if (d < 0) return 1;
  if (d > 18446744073709551615.0) return -1;  // the literal is 2^64
  return cmp(static_cast<double>(a.uint_value()), d);
}

template <typename T>
int Cmp(const T& x, const T& y) {
  return x < y ? -1 : (x > y ? 1 : 0);
}

}  // namespace

std::optional<int> Compare(const Value& a, const Value& b) {
  Kind ka = a.kind(), kb = b.kind();
  if (IsNumeric(ka) && IsNumeric(kb)) return CompareNumeric(a, b);
  if (ka != kb) return std::nullopt;
  switch (ka) {
    case Kind::kBool:
      return Cmp(a.bool_value(), b.bool_value());
    case Kind::kString:
      return Cmp(a.string_value(), b.string_value());
    case Kind::kBytes:
      return Cmp(a.bytes_value(), b.bytes_value());
    case Kind::kTimestamp:
    case Kind::kDuration: {
      int c = Cmp(a.seconds(), b.seconds());
      return c != 0 ? c : Cmp(a.nanos(), b.nanos());
    }
    case Kind::kNull:
      return 0;
    default:
      return std::nullopt;
  }
}

bool Equal(const Value& a, const Value& b) {
  Kind ka = a.kind(), kb = b.kind();
  if (IsNumeric(ka) && IsNumeric(kb)) {
    auto c = CompareNumeric(a, b);
    return c.has_value() && *c == 0;
  }
  if (ka != kb) return false;
  switch (ka) {
    case Kind::kNull:
      return true;
    case Kind::kBool:
      return a.bool_value() == b.bool_value();
    case Kind::kString: {
      std::string_view x = a.string_value(), y = b.string_value();
      return x.size() == y.size() && BytesEqual(x.data(), y.data(), x.size());
    }
    case Kind::kBytes:
      return a.bytes_value() == b.bytes_value();
    case Kind::kTimestamp:
    case Kind::kDuration:
      return a.seconds() == b.seconds() && a.nanos() == b.nanos();
    case Kind::kType:
      return a.type_name() == b.type_name();
    case Kind::kList: {
      auto la = a.list(), lb = b.list();
      if (la.size() != lb.size()) return false;
      for (size_t i = 0; i < la.size(); ++i) {
        if (!Equal(la[i], lb[i])) return false;
      }
      return true;
    }
    case Kind::kMap: {
      const MapData& ma = a.map();
      const MapData& mb = b.map();
      if (ma.size != mb.size) return false;
      for (uint32_t i = 0; i < ma.size; ++i) {
        const Value* v = mb.Find(ma.keys[i]);
        if (v == nullptr || !Equal(ma.values[i], *v)) return false;
      }
      return true;
    }
    case Kind::kOptional: {
      const Value* x = a.optional_value();
      const Value* y = b.optional_value();
      if (x == nullptr || y == nullptr) return x == y;
      return Equal(*x, *y);
    }
    case Kind::kOpaque:
      return a.opaque().Equals(b.opaque());
    case Kind::kError:
      return false;
    default:
      return false;
  }
}

uint64_t KeyHash(const Value& key) {
  switch (key.kind()) {
    case Kind::kString:
      return base::Hash64(key.string_value());
    case Kind::kBool:
      return key.bool_value() ? 0x9e3779b97f4a7c15ULL : 0x7f4a7c159e3779b9ULL;
    case Kind::kInt: {
      uint64_t x = static_cast<uint64_t>(key.int_value());
      return base::Hash64(
          std::string_view(reinterpret_cast<const char*>(&x), 8));
    }
    case Kind::kUint: {
      uint64_t x = key.uint_value();
      if (x > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        return base::Hash64(
                   std::string_view(reinterpret_cast<const char*>(&x), 8)) ^
               1;
      }
      return KeyHash(Value::Int(static_cast<int64_t>(x)));
    }
    case Kind::kDouble: {
      double d = key.double_value();
      if (d == std::trunc(d) && d >= -9223372036854775808.0 &&
          d < 9223372036854775808.0) {
        return KeyHash(Value::Int(static_cast<int64_t>(d)));
      }
      if (d == std::trunc(d) && d >= 0 && d < 18446744073709551616.0) {
        return KeyHash(Value::Uint(static_cast<uint64_t>(d)));
      }
      return 0;
    }
    default:
      return 0;
  }
}

namespace {

bool KeyEqual(const Value& a, const Value& b) {
  if (a.kind() == Kind::kString) {
    return b.kind() == Kind::kString && a.string_value() == b.string_value();
  }
  return Equal(a, b);
}

}  // namespace

const Value* MapData::Find(const Value& key) const {
  if (key.kind() == Kind::kString) return FindString(key.string_value());
  if (index == nullptr) {
    for (uint32_t i = 0; i < size; ++i) {
      if (KeyEqual(keys[i], key)) return &values[i];
    }
    return nullptr;
  }
  for (uint32_t slot = KeyHash(key) & index_mask;;
       slot = (slot + 1) & index_mask) {
    uint32_t e = index[slot];
    if (e == 0) return nullptr;
    if (KeyEqual(keys[e - 1], key)) return &values[e - 1];
  }
}

const Value* MapData::FindString(std::string_view key) const {
  if (index == nullptr) {
    for (uint32_t i = 0; i < size; ++i) {
      if (KeyIs(keys[i], key)) return &values[i];
    }
    return nullptr;
  }
  for (uint32_t slot = base::Hash64(key) & index_mask;;
       slot = (slot + 1) & index_mask) {
    uint32_t e = index[slot];
    if (e == 0) return nullptr;
    if (KeyIs(keys[e - 1], key)) return &values[e - 1];
  }
}

const MapData* BuildMap(Arena& arena, const Value* keys, const Value* values,
                        uint32_t n, const Value** duplicate) {
  auto* m = arena.New<MapData>();
  m->keys = keys;
  m->values = values;
  m->size = n;
  if (n <= MapData::kIndexThreshold) {
    for (uint32_t i = 1; i < n; ++i) {
      for (uint32_t j = 0; j < i; ++j) {
        if (KeyEqual(keys[j], keys[i])) {
          if (duplicate) *duplicate = &keys[i];
          return nullptr;
        }
      }
    }
    return m;
  }
  uint32_t cap = 16;
  while (cap < n * 2) cap <<= 1;
  uint32_t* index = arena.AllocArray<uint32_t>(cap);
  std::memset(index, 0, sizeof(uint32_t) * cap);
  for (uint32_t i = 0; i < n; ++i) {
    uint32_t slot = KeyHash(keys[i]) & (cap - 1);
    while (index[slot] != 0) {
      if (KeyEqual(keys[index[slot] - 1], keys[i])) {
        if (duplicate) *duplicate = &keys[i];
        return nullptr;
      }
      slot = (slot + 1) & (cap - 1);
    }
    index[slot] = i + 1;
  }
  m->index = index;
  m->index_mask = cap - 1;
  return m;
}

}  // namespace retro::cel

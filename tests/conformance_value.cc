#include "conformance_value.h"

#include <cmath>
#include <string_view>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/time/time.h"
#include "base/time.h"

namespace retro::conformance {

namespace {

using cel::Arena;
using cel::Kind;
using cel::Value;
namespace dom = simdjson::dom;

// Debian's abseil does not alias absl::string_view to std::string_view.
absl::string_view Absl(std::string_view s) { return {s.data(), s.size()}; }

absl::Status Bad(std::string_view what, dom::element json) {
  return absl::InvalidArgumentError(std::string(what) + ": " +
                                    simdjson::minify(json));
}

absl::StatusOr<double> DecodeDouble(dom::element json) {
  std::string_view text;
  if (json.get_string().get(text) == simdjson::SUCCESS) {
    if (text == "NaN") return std::nan("");
    if (text == "Infinity") return INFINITY;
    if (text == "-Infinity") return -INFINITY;
    return Bad("bad double", json);
  }
  double d;
  if (json.get_double().get(d) != simdjson::SUCCESS) {
    return Bad("bad double", json);
  }
  return d;
}

absl::StatusOr<std::string_view> StringField(dom::element json,
                                             std::string_view what) {
  std::string_view text;
  if (json.get_string().get(text) != simdjson::SUCCESS) return Bad(what, json);
  return text;
}

absl::StatusOr<Value> DecodeList(dom::element json, Arena& arena) {
  dom::array array;
  if (json.get_array().get(array) != simdjson::SUCCESS) {
    return Bad("bad list", json);
  }
  std::vector<Value> items;
  for (dom::element item : array) {
    absl::StatusOr<Value> v = DecodeValue(item, arena);
    if (!v.ok()) return v.status();
    items.push_back(*v);
  }
  Value* out = arena.AllocArray<Value>(items.size());
  std::copy(items.begin(), items.end(), out);
  return Value::List(out, static_cast<uint32_t>(items.size()));
}

absl::StatusOr<Value> DecodeMap(dom::element json, Arena& arena) {
  dom::array entries;
  if (json.get_array().get(entries) != simdjson::SUCCESS) {
    return Bad("bad map", json);
  }
  size_t n = entries.size();
  Value* keys = arena.AllocArray<Value>(n);
  Value* values = arena.AllocArray<Value>(n);
  size_t i = 0;
  for (dom::element entry : entries) {
    dom::array pair;
    if (entry.get_array().get(pair) != simdjson::SUCCESS || pair.size() != 2) {
      return Bad("bad map entry", entry);
    }
    absl::StatusOr<Value> k = DecodeValue(pair.at(0).value_unsafe(), arena);
    if (!k.ok()) return k.status();
    absl::StatusOr<Value> v = DecodeValue(pair.at(1).value_unsafe(), arena);
    if (!v.ok()) return v.status();
    keys[i] = *k;
    values[i] = *v;
    ++i;
  }
  const Value* duplicate = nullptr;
  const cel::MapData* map =
      cel::BuildMap(arena, keys, values, static_cast<uint32_t>(n), &duplicate);
  if (map == nullptr) return Bad("duplicate map key", json);
  return Value::Map(map);
}

bool SameMap(const cel::MapData& a, const cel::MapData& b) {
  if (a.size != b.size) return false;
  std::vector<bool> used(b.size, false);
  for (uint32_t i = 0; i < a.size; ++i) {
    bool found = false;
    for (uint32_t j = 0; j < b.size && !found; ++j) {
      if (used[j] || !SameValue(a.keys[i], b.keys[j])) continue;
      if (!SameValue(a.values[i], b.values[j])) return false;
      used[j] = true;
      found = true;
    }
    if (!found) return false;
  }
  return true;
}

}  // namespace

absl::StatusOr<Value> DecodeValue(dom::element json, Arena& arena) {
  dom::object object;
  if (json.get_object().get(object) != simdjson::SUCCESS ||
      object.size() != 1) {
    return Bad("expected a one-member object", json);
  }
  auto [tag, body] = *object.begin();
  if (tag == "null") return Value::Null();
  if (tag == "bool") {
    bool b;
    if (body.get_bool().get(b) != simdjson::SUCCESS)
      return Bad("bad bool", body);
    return Value::Bool(b);
  }
  if (tag == "int64") {
    absl::StatusOr<std::string_view> text = StringField(body, "bad int64");
    if (!text.ok()) return text.status();
    int64_t i;
    if (!absl::SimpleAtoi(Absl(*text), &i)) return Bad("bad int64", body);
    return Value::Int(i);
  }
  if (tag == "uint64") {
    absl::StatusOr<std::string_view> text = StringField(body, "bad uint64");
    if (!text.ok()) return text.status();
    uint64_t u;
    if (!absl::SimpleAtoi(Absl(*text), &u)) return Bad("bad uint64", body);
    return Value::Uint(u);
  }
  if (tag == "double") {
    absl::StatusOr<double> d = DecodeDouble(body);
    if (!d.ok()) return d.status();
    return Value::Double(*d);
  }
  if (tag == "string") {
    absl::StatusOr<std::string_view> text = StringField(body, "bad string");
    if (!text.ok()) return text.status();
    return Value::String(arena.CopyString(*text));
  }
  if (tag == "bytes") {
    absl::StatusOr<std::string_view> text = StringField(body, "bad bytes");
    if (!text.ok()) return text.status();
    std::string raw;
    if (!absl::Base64Unescape(Absl(*text), &raw))
      return Bad("bad base64", body);
    return Value::Bytes(arena.CopyString(raw));
  }
  if (tag == "list") return DecodeList(body, arena);
  if (tag == "map") return DecodeMap(body, arena);
  if (tag == "type") {
    absl::StatusOr<std::string_view> text = StringField(body, "bad type");
    if (!text.ok()) return text.status();
    return Value::Type(arena.CopyString(*text));
  }
  if (tag == "timestamp") {
    absl::StatusOr<std::string_view> text = StringField(body, "bad timestamp");
    if (!text.ok()) return text.status();
    absl::StatusOr<absl::Time> t = base::ParseRfc3339(*text);
    if (!t.ok()) return Bad("bad timestamp", body);
    return Value::FromTime(*t);
  }
  if (tag == "duration") {
    absl::StatusOr<std::string_view> text = StringField(body, "bad duration");
    if (!text.ok()) return text.status();
    absl::Duration d;
    if (!absl::ParseDuration(std::string(*text), &d)) {
      return Bad("bad duration", body);
    }
    return Value::FromDuration(d);
  }
  if (tag == "error_value") {
    std::string_view message;
    if (body.get_string().get(message) != simdjson::SUCCESS) message = "error";
    return cel::MakeError(arena, message);
  }
  return absl::UnimplementedError("unsupported value encoding: " +
                                  simdjson::minify(json));
}

bool SameValue(const Value& a, const Value& b) {
  if (a.kind() != b.kind()) return false;
  switch (a.kind()) {
    case Kind::kNull:
      return true;
    case Kind::kBool:
      return a.bool_value() == b.bool_value();
    case Kind::kInt:
      return a.int_value() == b.int_value();
    case Kind::kUint:
      return a.uint_value() == b.uint_value();
    case Kind::kDouble:
      if (std::isnan(a.double_value())) return std::isnan(b.double_value());
      return a.double_value() == b.double_value();
    case Kind::kString:
      return a.string_value() == b.string_value();
    case Kind::kBytes:
      return a.bytes_value() == b.bytes_value();
    case Kind::kList: {
      auto x = a.list();
      auto y = b.list();
      if (x.size() != y.size()) return false;
      for (size_t i = 0; i < x.size(); ++i) {
        if (!SameValue(x[i], y[i])) return false;
      }
      return true;
    }
    case Kind::kMap:
      return SameMap(a.map(), b.map());
    case Kind::kTimestamp:
    case Kind::kDuration:
      return a.seconds() == b.seconds() && a.nanos() == b.nanos();
    case Kind::kType:
      return a.type_name() == b.type_name();
    case Kind::kOptional:
      if (a.optional_value() == nullptr || b.optional_value() == nullptr) {
        return a.optional_value() == b.optional_value();
      }
      return SameValue(*a.optional_value(), *b.optional_value());
    case Kind::kOpaque:
      return a.opaque().Equals(b.opaque());
    case Kind::kError:
      return true;
  }
  return false;
}

std::string Describe(const Value& v) {
  if (v.is_error()) return "error: " + std::string(v.error_message());
  return v.DebugString();
}

}  // namespace retro::conformance

// JSON -> values (simdjson On Demand, into the caller's arena) and values ->
// JSON text (ToJson, declared in cel.h). See json.h and cel.h for contracts.
#include "cel/json.h"

#include <charconv>
#include <cmath>
#include <cstring>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "base/time.h"
#include "cel/cel.h"
#include "simdjson.h"

namespace retro::cel {

namespace od = simdjson::ondemand;

// Debian's abseil does not alias absl::string_view to std::string_view.
absl::string_view Absl(std::string_view s) { return {s.data(), s.size()}; }

// Arrays and objects nest at most this deep (bounds the recursion).
constexpr int kMaxJsonDepth = 256;

// For errors simdjson cannot locate.
constexpr const char* kNowhere = nullptr;

struct JsonParser::Impl {
  od::parser parser;
  // The input copied with simdjson's required padding; kept between calls.
  std::unique_ptr<char[]> buffer;
  size_t capacity = 0;
  const char* begin = nullptr;
  size_t length = 0;
  // Stacks of converted elements and entries, shared by all nesting levels:
  // a container pushes its children, then pops them into the arena.
  std::vector<Value> items;
  std::vector<Value> keys;
  int depth = 0;                // of the array or object being converted
  od::document* doc = nullptr;  // the one being converted, to locate errors

  absl::Status FailAt(std::string_view what, simdjson::error_code error,
                      const char* where) const {
    std::string message = absl::StrCat("invalid JSON: ", Absl(what));
    if (error != simdjson::SUCCESS) {
      absl::StrAppend(&message, ": ", simdjson::error_message(error));
    }
    if (where == nullptr && doc != nullptr) {
      if (doc->current_location().get(where) != simdjson::SUCCESS) {
        where = nullptr;
      }
    }
    if (where != nullptr && where >= begin && where <= begin + length) {
      absl::StrAppend(&message, " at byte offset ", where - begin);
    }
    return absl::InvalidArgumentError(message);
  }

  template <typename V>
  absl::Status Fail(std::string_view what, simdjson::error_code error, V& at) {
    const char* where = nullptr;
    auto location = at.current_location();
    if (!location.error()) where = location.value_unsafe();
    return FailAt(what, error, where);
  }

  static std::string_view RawToken(od::value& v) { return v.raw_json_token(); }
  static std::string_view RawToken(od::document& d) {
    std::string_view token;
    if (d.raw_json_token().get(token) != simdjson::SUCCESS) return {};
    return token;
  }

  // Converts a number token: int when written without fraction or exponent
  // and within int64, else double.
  template <typename V>
  absl::StatusOr<Value> Number(V& v) {
    std::string_view token = RawToken(v);
    bool integral = token.find_first_of(".eE") == std::string_view::npos;
    if (integral) {
      int64_t i;
      if (v.get_int64().get(i) == simdjson::SUCCESS) return Value::Int(i);
    }
    double d;
    if (auto e = v.get_double().get(d)) return Fail("bad number", e, v);
    return Value::Double(d);
  }

  // Scalars (shared by documents and values; scalar documents cannot be
  // turned into values in simdjson).
  template <typename V>
  absl::StatusOr<Value> Scalar(V& v, od::json_type type, Arena& arena) {
    switch (type) {
      case od::json_type::null:
        if (bool is_null; v.is_null().get(is_null) || !is_null) {
          return Fail("expected null", simdjson::SUCCESS, v);
        }
        return Value::Null();
      case od::json_type::boolean: {
        bool b;
        if (auto e = v.get_bool().get(b)) return Fail("bad literal", e, v);
        return Value::Bool(b);
      }
      case od::json_type::number:
        return Number(v);
      case od::json_type::string: {
        std::string_view s;
        if (auto e = v.get_string().get(s)) return Fail("bad string", e, v);
        return Value::String(arena.CopyString(s));
      }
      default:
        return Fail("unexpected value", simdjson::INCORRECT_TYPE, v);
    }
  }

  absl::StatusOr<Value> Convert(od::value v, Arena& arena) {
    if (++depth > kMaxJsonDepth) {
      return Fail(
          "nested deeper than " + std::to_string(kMaxJsonDepth) + " levels",
          simdjson::SUCCESS, v);
    }
    absl::StatusOr<Value> result = ConvertNested(v, arena);
    --depth;
    return result;
  }

  absl::StatusOr<Value> ConvertNested(od::value v, Arena& arena) {
    od::json_type type;
    if (auto e = v.type().get(type)) return Fail("bad value", e, v);
    switch (type) {
      case od::json_type::array: {
        od::array array;
        if (auto e = v.get_array().get(array)) return Fail("bad array", e, v);
        return Array(array, arena);
      }
      case od::json_type::object: {
        od::object object;
        if (auto e = v.get_object().get(object)) {
          return Fail("bad object", e, v);
        }
        return Object(object, arena);
      }
      default:
        return Scalar(v, type, arena);
    }
  }

  absl::StatusOr<Value> Array(od::array& array, Arena& arena) {
    size_t start = items.size();
    for (auto element : array) {
      od::value v;
      if (auto e = std::move(element).get(v)) {
        items.resize(start);
        return FailAt("bad array element", e, kNowhere);
      }
      absl::StatusOr<Value> item = Convert(v, arena);
      if (!item.ok()) {
        items.resize(start);
        return item.status();
      }
      items.push_back(*item);
    }
    size_t n = items.size() - start;
    Value* out = arena.AllocArray<Value>(n);
    std::copy(items.begin() + start, items.end(), out);
    items.resize(start);
    return Value::List(out, static_cast<uint32_t>(n));
  }

  absl::StatusOr<Value> Object(od::object& object, Arena& arena) {
    size_t start = items.size();
    size_t key_start = keys.size();
    auto unwind = [&] {
      items.resize(start);
      keys.resize(key_start);
    };
    for (auto field_result : object) {
      od::field field;
      std::string_view key;
      if (auto e = std::move(field_result).get(field)) {
        unwind();
        return FailAt("bad object member", e, kNowhere);
      }
      if (auto e = field.unescaped_key().get(key)) {
        unwind();
        return FailAt("bad object key", e, kNowhere);
      }
      Value key_value = Value::String(arena.CopyString(key));
      absl::StatusOr<Value> value = Convert(field.value(), arena);
      if (!value.ok()) {
        unwind();
        return value.status();
      }
      keys.push_back(key_value);
      items.push_back(*value);
    }
    size_t n = items.size() - start;
    Value* out_keys = arena.AllocArray<Value>(n);
    Value* out_values = arena.AllocArray<Value>(n);
    std::copy(keys.begin() + key_start, keys.end(), out_keys);
    std::copy(items.begin() + start, items.end(), out_values);
    unwind();
    const Value* duplicate = nullptr;
    const MapData* map = BuildMap(arena, out_keys, out_values,
                                  static_cast<uint32_t>(n), &duplicate);
    if (map == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat(
          "invalid JSON: duplicate object key \"",
          Absl(duplicate != nullptr ? duplicate->string_value() : ""), "\""));
    }
    return Value::Map(map);
  }

  absl::StatusOr<Value> Parse(std::string_view json, Arena& arena) {
    size_t needed = json.size() + simdjson::SIMDJSON_PADDING;
    if (needed > capacity) {
      buffer = std::make_unique<char[]>(needed);
      capacity = needed;
    }
    std::memcpy(buffer.get(), json.data(), json.size());
    std::memset(buffer.get() + json.size(), 0, simdjson::SIMDJSON_PADDING);
    begin = buffer.get();
    length = json.size();
    items.clear();
    keys.clear();
    depth = 0;

    od::document document;
    doc = nullptr;
    if (auto e =
            parser.iterate(buffer.get(), json.size(), capacity).get(document)) {
      return FailAt("cannot parse", e, kNowhere);
    }
    doc = &document;
    od::json_type type;
    if (auto e = document.type().get(type))
      return Fail("bad document", e, document);
    absl::StatusOr<Value> result;
    if (type == od::json_type::array || type == od::json_type::object) {
      od::value root;
      if (auto e = document.get_value().get(root)) {
        return Fail("bad document", e, document);
      }
      result = Convert(root, arena);
    } else {
      result = Scalar(document, type, arena);
    }
    doc = nullptr;
    if (!result.ok()) return result;
    // At the end, current_location() fails with OUT_OF_BOUNDS.
    const char* trailing = nullptr;
    if (document.current_location().get(trailing) == simdjson::SUCCESS) {
      return FailAt("unexpected content after the value", simdjson::SUCCESS,
                    trailing);
    }
    return result;
  }
};

JsonParser::JsonParser() : impl_(std::make_unique<Impl>()) {}
JsonParser::~JsonParser() = default;

absl::StatusOr<Value> JsonParser::Parse(std::string_view json, Arena& arena) {
  return impl_->Parse(json, arena);
}

absl::StatusOr<Value> ParseJson(std::string_view json, Arena& arena) {
  JsonParser parser;
  return parser.Parse(json, arena);
}

namespace {

void AppendDouble(double d, std::string* out) {
  if (std::isnan(d)) {
    out->append("\"NaN\"");
  } else if (std::isinf(d)) {
    out->append(d > 0 ? "\"Infinity\"" : "\"-Infinity\"");
  } else {
    char buf[32];
    auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), d);
    out->append(buf, end);
  }
}

// "1.5s", "-0.000000001s", "0s": seconds with the fewest fraction digits.
void AppendDuration(int64_t seconds, uint32_t nanos, std::string* out) {
  bool negative = seconds < 0;
  uint64_t abs_seconds;
  uint32_t abs_nanos;
  if (!negative) {
    abs_seconds = static_cast<uint64_t>(seconds);
    abs_nanos = nanos;
  } else if (nanos == 0) {
    abs_seconds = 0 - static_cast<uint64_t>(seconds);
    abs_nanos = 0;
  } else {
    abs_seconds = 0 - static_cast<uint64_t>(seconds + 1);
    abs_nanos = 1'000'000'000 - nanos;
  }
  out->push_back('"');
  if (negative) out->push_back('-');
  absl::StrAppend(out, abs_seconds);
  if (abs_nanos != 0) {
    char frac[10];
    uint32_t n = abs_nanos;
    for (int i = 8; i >= 0; --i) {
      frac[i] = static_cast<char>('0' + n % 10);
      n /= 10;
    }
    int len = 9;
    while (frac[len - 1] == '0') --len;
    out->push_back('.');
    out->append(frac, len);
  }
  out->append("s\"");
}

bool AppendKey(const Value& key, std::string* out) {
  switch (key.kind()) {
    case Kind::kString:
      AppendJsonString(key.string_value(), out);
      return true;
    case Kind::kBool:
      out->append(key.bool_value() ? "\"true\"" : "\"false\"");
      return true;
    case Kind::kInt:
      absl::StrAppend(out, "\"", key.int_value(), "\"");
      return true;
    case Kind::kUint:
      absl::StrAppend(out, "\"", key.uint_value(), "\"");
      return true;
    default: {
      std::string text;
      if (!ToJson(key, &text)) return false;
      if (!text.empty() && text.front() == '"') {
        out->append(text);
      } else {
        AppendJsonString(text, out);
      }
      return true;
    }
  }
}

bool Append(const Value& value, std::string* out) {
  switch (value.kind()) {
    case Kind::kNull:
      out->append("null");
      return true;
    case Kind::kBool:
      out->append(value.bool_value() ? "true" : "false");
      return true;
    case Kind::kInt:
      absl::StrAppend(out, value.int_value());
      return true;
    case Kind::kUint:
      absl::StrAppend(out, value.uint_value());
      return true;
    case Kind::kDouble:
      AppendDouble(value.double_value(), out);
      return true;
    case Kind::kString:
      AppendJsonString(value.string_value(), out);
      return true;
    case Kind::kBytes:
      AppendJsonString(absl::Base64Escape(Absl(value.bytes_value())), out);
      return true;
    case Kind::kList: {
      out->push_back('[');
      bool first = true;
      for (const Value& item : value.list()) {
        if (!first) out->push_back(',');
        first = false;
        if (!Append(item, out)) return false;
      }
      out->push_back(']');
      return true;
    }
    case Kind::kMap: {
      const MapData& map = value.map();
      out->push_back('{');
      for (uint32_t i = 0; i < map.size; ++i) {
        if (i > 0) out->push_back(',');
        if (!AppendKey(map.keys[i], out)) return false;
        out->push_back(':');
        if (!Append(map.values[i], out)) return false;
      }
      out->push_back('}');
      return true;
    }
    case Kind::kTimestamp:
      AppendJsonString(base::FormatRfc3339(value.timestamp()), out);
      return true;
    case Kind::kDuration:
      AppendDuration(value.seconds(), value.nanos(), out);
      return true;
    case Kind::kType:
      AppendJsonString(value.type_name(), out);
      return true;
    case Kind::kOptional:
      if (value.optional_value() == nullptr) {
        out->append("null");
        return true;
      }
      return Append(*value.optional_value(), out);
    case Kind::kOpaque:
      AppendJsonString(value.opaque().DebugString(), out);
      return true;
    case Kind::kError:
      return false;
  }
  return false;
}

}  // namespace

bool ToJson(const Value& value, std::string* out) {
  out->clear();
  if (Append(value, out)) return true;
  out->clear();
  return false;
}

void AppendJsonString(std::string_view s, std::string* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->push_back('"');
  size_t run = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out->append(s.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      case '\b':
        out->append("\\b");
        break;
      case '\f':
        out->append("\\f");
        break;
      default:
        out->append("\\u00");
        out->push_back(kHex[c >> 4]);
        out->push_back(kHex[c & 15]);
    }
  }
  out->append(s.data() + run, s.size() - run);
  out->push_back('"');
}

}  // namespace retro::cel

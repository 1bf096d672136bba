// JSON -> values (simdjson On Demand, into the caller's arena) and values ->
// JSON text (ToJson, declared in cel.h). See json.h and cel.h for contracts.
#include "cel/json.h"

#include <algorithm>
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

JsonSelection& JsonSelection::Child(std::string_view name) {
  for (JsonSelection& c : children) {
    if (c.key == name) return c;
  }
  children.push_back(JsonSelection{});
  children.back().key = std::string(name);
  return children.back();
}

void JsonSelection::AddPath(const std::vector<std::string>& path) {
  JsonSelection* node = this;
  for (const std::string& key : path) {
    if (node->whole) return;
    node = &node->Child(key);
  }
  node->whole = true;
  node->children.clear();
}

namespace {

namespace dom = simdjson::dom;

const MapData kEmptyJsonMap{};

}  // namespace

// JsonDocument reads simdjson's DOM tape directly (its documented format,
// simdjson doc/tape.md): one 64-bit word per value with the type in the top
// byte; '{' and '[' hold the index after their closing word in the low 32
// bits and the element count (saturated at 0xFFFFFF) in bits 32-55; a
// string holds an offset into the string buffer (a 32-bit length, then the
// bytes); 'l', 'u' and 'd' are followed by a word with the number. Walking
// it is several times cheaper than dom::element's accessors.
struct JsonDocument::Impl {
  static constexpr uint64_t kPayload = 0x00FFFFFFFFFFFFFFULL;

  dom::parser parser;
  const uint64_t* tape = nullptr;
  const uint8_t* strings = nullptr;
  // Scratch for Validate: the keys of the object being checked (tape index
  // and fingerprint), sized for the largest.
  std::vector<uint32_t> key_words;
  std::vector<uint64_t> prints;
  std::vector<std::pair<uint64_t, uint32_t>> sorted;
  // The root object's members: open addressing on the key fingerprint,
  // slot -> tape index of the key (0: empty).
  std::vector<uint32_t> root_index;
  uint64_t root_mask = 0;
  int root_shift = 60;  // slot = fingerprint >> root_shift

  Impl() {
    // Deeper documents fail to parse (and go to JsonParser for the error).
    simdjson::error_code error = parser.allocate(
        simdjson::dom::MINIMAL_DOCUMENT_CAPACITY, kMaxJsonDepth);
    (void)error;  // a failed allocation fails every parse
  }

  static char TypeOf(uint64_t word) { return static_cast<char>(word >> 56); }

  std::string_view StringOf(uint64_t word) const {
    const uint8_t* p = strings + (word & kPayload);
    uint32_t n;
    std::memcpy(&n, p, sizeof(n));
    return {reinterpret_cast<const char*>(p + sizeof(n)), n};
  }

  // The index after the value at `i`.
  size_t Skip(size_t i) const {
    switch (TypeOf(tape[i])) {
      case '{':
      case '[':
        return static_cast<uint32_t>(tape[i]);
      case 'l':
      case 'u':
      case 'd':
        return i + 2;
      default:
        return i + 1;
    }
  }

  // Equal for equal keys; cheap to compare: the length and the first and
  // last 8 bytes.
  static uint64_t Mix(uint64_t head, uint64_t tail, uint32_t n) {
    return ((head ^ (tail * 0x9E3779B97F4A7C15ULL)) + n) *
           0xD6E8FEB86659FD93ULL;
  }
  static uint64_t Fingerprint(std::string_view key) {
    uint64_t head = 0, tail = 0;
    size_t n = key.size();
    if (n >= 8) {
      std::memcpy(&head, key.data(), 8);
      std::memcpy(&tail, key.data() + n - 8, 8);
    } else {
      // Byte by byte: a short memcpy into `head` and a load of all of it
      // would stall on store forwarding.
      for (size_t i = 0; i < n; ++i)
        head |= uint64_t{static_cast<uint8_t>(key[i])} << (8 * i);
    }
    return Mix(head, tail, static_cast<uint32_t>(n));
  }
  // The same for a key on the tape. (The string buffer is padded, so an
  // 8-byte load from the start of a short key stays inside it.)
  uint64_t Fingerprint(uint64_t word) const {
    const uint8_t* p = strings + (word & kPayload);
    uint32_t n;
    std::memcpy(&n, p, sizeof(n));
    p += sizeof(n);
    uint64_t head, tail = 0;
    std::memcpy(&head, p, 8);
    if (n < 8) {
      head &= (uint64_t{1} << (8 * n)) - 1;
    } else {
      std::memcpy(&tail, p + n - 8, 8);
    }
    return Mix(head, tail, n);
  }

  bool SameKey(uint32_t a, uint32_t b) const {
    return StringOf(tape[a]) == StringOf(tape[b]);
  }

  // Whether two of the keys [first, end) are equal (for large objects:
  // sorts their fingerprints).
  bool HasDuplicate(size_t first, size_t end) {
    size_t n = end - first;
    const uint64_t* fp = prints.data() + first;
    const uint32_t* words = key_words.data() + first;
    sorted.clear();
    for (size_t i = 0; i < n; ++i) sorted.push_back({fp[i], words[i]});
    std::sort(sorted.begin(), sorted.end());
    for (size_t i = 1; i < n; ++i) {
      for (size_t j = i; j > 0 && sorted[j - 1].first == sorted[i].first; --j) {
        if (SameKey(sorted[j - 1].second, sorted[i].second)) return true;
      }
    }
    return false;
  }

  bool Parse(std::string_view json, bool nested_keys, bool padded) {
    tape = nullptr;
    dom::element root;
    if (parser.parse(json.data(), json.size(), /*realloc_if_needed=*/!padded)
            .get(root) != simdjson::SUCCESS) {
      return false;
    }
    if (root.type() != dom::element_type::OBJECT) return false;
    tape = parser.doc.tape.get();
    strings = parser.doc.string_buf.get();
    if (TypeOf(tape[1]) != '{' || !Validate(nested_keys)) {
      tape = nullptr;
      return false;
    }
    return true;
  }

  // Rejects what JsonParser rejects beyond simdjson's own validation: a key
  // repeated in an object (with !nested_keys, only in the root, which is
  // indexed either way). (Depth is simdjson's: the parser is allocated
  // with kMaxJsonDepth.) One flat pass over the tape: every object's keys
  // are reached through the skip links of its values, so no recursion.
  bool Validate(bool nested_keys) {
    size_t end = tape[0] & kPayload;  // the closing root word
    size_t root_keys = Count(1);
    size_t slots = 16;
    root_shift = 60;
    while (slots < 2 * root_keys) {
      slots *= 2;
      --root_shift;
    }
    root_index.assign(slots, 0);
    root_mask = slots - 1;
    if (!UniqueKeys(1, true)) return false;
    if (!nested_keys) return true;
    for (size_t i = 2; i < end;) {
      switch (TypeOf(tape[i])) {
        case '{':
          if (!UniqueKeys(i, false)) return false;
          ++i;
          break;
        case 'l':
        case 'u':
        case 'd':
          i += 2;
          break;
        default:
          ++i;
      }
    }
    return true;
  }

  // Whether the keys of the object at `i` are distinct; for the root, also
  // fills root_index. Up to 32 keys go through a 64-bit filter on their
  // fingerprints (pairs are compared only on a hit); more are sorted.
  bool UniqueKeys(size_t i, bool root) {
    size_t n = Count(i);
    if (n < 2 && !root) return true;
    if (key_words.size() < std::max<size_t>(n, 32)) {
      key_words.resize(std::max<size_t>(n, 32));
      prints.resize(key_words.size());
    }
    const bool filtered = n <= 32;
    uint64_t seen = 0;
    size_t end = static_cast<uint32_t>(tape[i]) - 1;  // the '}'
    size_t k = 0;
    for (size_t j = i + 1; j < end; j = Skip(j + 1), ++k) {
      uint64_t fp = Fingerprint(tape[j]);
      if (filtered) {
        uint64_t bit = uint64_t{1} << (fp >> 58);
        if (seen & bit) {
          for (size_t m = 0; m < k; ++m) {
            if (prints[m] == fp && SameKey(key_words[m], j)) return false;
          }
        }
        seen |= bit;
      }
      prints[k] = fp;
      key_words[k] = static_cast<uint32_t>(j);
      if (root) IndexRootKey(fp, j);
    }
    return filtered || !HasDuplicate(0, k);
  }

  void IndexRootKey(uint64_t fp, size_t j) {
    size_t slot = fp >> root_shift;
    while (root_index[slot] != 0) slot = (slot + 1) & root_mask;
    root_index[slot] = static_cast<uint32_t>(j);
  }

  size_t Count(size_t i) const {
    size_t n = (tape[i] >> 32) & 0xFFFFFF;
    if (n < 0xFFFFFF) return n;
    n = 0;  // saturated: count
    bool object = TypeOf(tape[i]) == '{';
    size_t end = static_cast<uint32_t>(tape[i]) - 1;
    for (size_t j = i + 1; j < end; ++n) {
      if (object) ++j;  // the key
      j = Skip(j);
    }
    return n;
  }

  // The whole value at `i`, as JsonParser converts it.
  Value Convert(size_t i, Arena& arena) const {
    uint64_t word = tape[i];
    switch (TypeOf(word)) {
      case '[': {
        size_t n = Count(i);
        Value* items = arena.AllocArray<Value>(n);
        size_t j = i + 1;
        for (size_t k = 0; k < n; ++k) {
          items[k] = Convert(j, arena);
          j = Skip(j);
        }
        return Value::List(items, static_cast<uint32_t>(n));
      }
      case '{': {
        size_t n = Count(i);
        Value* keys = arena.AllocArray<Value>(n);
        Value* values = arena.AllocArray<Value>(n);
        size_t j = i + 1;
        for (size_t k = 0; k < n; ++k) {
          keys[k] = Value::String(StringOf(tape[j]));
          values[k] = Convert(j + 1, arena);
          j = Skip(j + 1);
        }
        const Value* duplicate = nullptr;
        const MapData* map =
            BuildMap(arena, keys, values, static_cast<uint32_t>(n), &duplicate);
        return map != nullptr ? Value::Map(map) : Value::Null();
      }
      case '"':
        return Value::String(StringOf(word));
      case 'l': {
        int64_t v;
        std::memcpy(&v, &tape[i + 1], sizeof(v));
        return Value::Int(v);
      }
      case 'u':
        // Beyond int64: JsonParser reads such integers as doubles.
        return Value::Double(static_cast<double>(tape[i + 1]));
      case 'd': {
        double d;
        std::memcpy(&d, &tape[i + 1], sizeof(d));
        return Value::Double(d);
      }
      case 't':
        return Value::Bool(true);
      case 'f':
        return Value::Bool(false);
      default:
        return Value::Null();
    }
  }

  // The value of `key` in the object at `i`; 0 when missing or not an
  // object.
  size_t Member(size_t i, std::string_view key) const {
    if (i == 1) {  // the root: its index
      size_t slot = Fingerprint(key) >> root_shift;
      for (uint32_t at; (at = root_index[slot]) != 0;
           slot = (slot + 1) & root_mask) {
        std::string_view k = StringOf(tape[at]);
        if (k.size() == key.size() &&
            BytesEqual(k.data(), key.data(), key.size())) {
          return at + 1;
        }
      }
      return 0;
    }
    if (TypeOf(tape[i]) != '{') return 0;
    size_t end = static_cast<uint32_t>(tape[i]) - 1;
    for (size_t j = i + 1; j < end; j = Skip(j + 1)) {
      std::string_view k = StringOf(tape[j]);
      if (k.size() == key.size() &&
          BytesEqual(k.data(), key.data(), key.size())) {
        return j + 1;
      }
    }
    return 0;
  }

  size_t Find(std::initializer_list<std::string_view> path) const {
    size_t i = 1;
    for (std::string_view key : path) {
      i = Member(i, key);
      if (i == 0) return 0;
    }
    return i;
  }

  // What Select(i, selection) reads, as tokens that do not run together:
  // per child present 'P' and its key, absent 'A'; a whole value as its
  // tape's type bytes, strings with their length, numbers with their bits.
  void SelectionKey(size_t i, const JsonSelection& selection,
                    std::string* out) const {
    if (selection.whole || TypeOf(tape[i]) != '{') {
      for (size_t j = i, end = Skip(i); j < end;) {
        uint64_t word = tape[j];
        char t = TypeOf(word);
        out->push_back(t);
        if (t == '"') {
          std::string_view str = StringOf(word);
          uint32_t n = static_cast<uint32_t>(str.size());
          out->append(reinterpret_cast<const char*>(&n), sizeof(n));
          out->append(str);
          ++j;
        } else if (t == 'l' || t == 'u' || t == 'd') {
          out->append(reinterpret_cast<const char*>(&tape[j + 1]), 8);
          j += 2;
        } else {
          ++j;
        }
      }
      return;
    }
    for (const JsonSelection& child : selection.children) {
      size_t at = Member(i, child.key);
      if (at == 0) {
        out->push_back('A');
      } else {
        out->push_back('P');
        SelectionKey(at, child, out);
      }
    }
  }

  Value Select(size_t i, const JsonSelection& selection, Arena& arena) const {
    if (selection.whole || TypeOf(tape[i]) != '{') return Convert(i, arena);
    size_t n = selection.children.size();
    Value* keys = arena.AllocArray<Value>(n);
    Value* values = arena.AllocArray<Value>(n);
    uint32_t m = 0;
    for (const JsonSelection& child : selection.children) {
      size_t at = Member(i, child.key);
      if (at != 0) {
        keys[m] = Value::String(child.key);
        values[m] = Select(at, child, arena);
        ++m;
      } else if (child.empty_map_if_missing) {
        keys[m] = Value::String(child.key);
        values[m] = Value::Map(&kEmptyJsonMap);
        ++m;
      }
    }
    const Value* duplicate = nullptr;
    const MapData* map = BuildMap(arena, keys, values, m, &duplicate);
    return map != nullptr ? Value::Map(map) : Value::Null();
  }
};

JsonDocument::JsonDocument() : impl_(std::make_unique<Impl>()) {}
JsonDocument::~JsonDocument() = default;

bool JsonDocument::ParseObject(std::string_view json) {
  return impl_->Parse(json, /*nested_keys=*/true, /*padded=*/false);
}

bool JsonDocument::ParseValidatedObject(std::string_view json, bool padded) {
  static_assert(kJsonPadding >= simdjson::SIMDJSON_PADDING);
  return impl_->Parse(json, /*nested_keys=*/false, padded);
}

Value JsonDocument::Build(const JsonSelection& selection, Arena& arena) const {
  return impl_->Select(1, selection, arena);
}

void JsonDocument::AppendSelectionKey(const JsonSelection& selection,
                                      std::string* out) const {
  impl_->SelectionKey(1, selection, out);
}

std::string_view JsonDocument::StringAt(
    std::initializer_list<std::string_view> path) const {
  size_t i = impl_->Find(path);
  if (i == 0 || Impl::TypeOf(impl_->tape[i]) != '"') return {};
  return impl_->StringOf(impl_->tape[i]);
}

std::optional<Value> JsonDocument::ValueAt(
    std::initializer_list<std::string_view> path, Arena& arena) const {
  size_t i = impl_->Find(path);
  if (i == 0) return std::nullopt;
  return impl_->Convert(i, arena);
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

namespace {

// Whether any of the 8 bytes of `x` is a control character, '"' or '\\'
// (exact: bytes >= 0x80 never count).
inline bool NeedsEscape8(uint64_t x) {
  constexpr uint64_t kOnes = 0x0101010101010101ULL;
  constexpr uint64_t kHigh = 0x8080808080808080ULL;
  uint64_t quote = x ^ (kOnes * '"');
  uint64_t backslash = x ^ (kOnes * '\\');
  uint64_t control = (x - kOnes * 0x20) & ~x;
  uint64_t zero_quote = (quote - kOnes) & ~quote;
  uint64_t zero_backslash = (backslash - kOnes) & ~backslash;
  return ((control | zero_quote | zero_backslash) & kHigh) != 0;
}

}  // namespace

void AppendJsonString(std::string_view s, std::string* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->push_back('"');
  size_t run = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    // Eight plain bytes at a time.
    while (i + 8 <= s.size()) {
      uint64_t x;
      std::memcpy(&x, s.data() + i, 8);
      if (NeedsEscape8(x)) break;
      i += 8;
    }
    if (i >= s.size()) break;
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

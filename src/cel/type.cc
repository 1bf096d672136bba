#include "cel/type.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace retro::cel {

Type Type::List(Type elem) {
  Type t(TypeKind::kList);
  t.params_.push_back(std::move(elem));
  return t;
}

Type Type::Map(Type key, Type value) {
  Type t(TypeKind::kMap);
  t.params_.push_back(std::move(key));
  t.params_.push_back(std::move(value));
  return t;
}

Type Type::TypeOf(Type of) {
  Type t(TypeKind::kType);
  t.params_.push_back(std::move(of));
  return t;
}

Type Type::TypeType() { return Type(TypeKind::kType); }

Type Type::Optional(Type of) {
  Type t(TypeKind::kOptional);
  t.params_.push_back(std::move(of));
  return t;
}

Type Type::Opaque(std::string name, std::vector<Type> params) {
  Type t(TypeKind::kOpaque);
  t.name_ = std::move(name);
  t.params_ = std::move(params);
  return t;
}

Type Type::Param(std::string name) {
  Type t(TypeKind::kTypeParam);
  t.name_ = std::move(name);
  return t;
}

Type Type::Message(std::string name) {
  Type t(TypeKind::kMessage);
  t.name_ = std::move(name);
  return t;
}

namespace {

uint32_t Bit(Kind k) { return 1u << static_cast<int>(k); }

}  // namespace

uint32_t Type::KindMask() const {
  switch (kind_) {
    case TypeKind::kDyn:
    case TypeKind::kTypeParam:
      return (1u << kNumKinds) - 1;
    case TypeKind::kNull: return Bit(Kind::kNull);
    case TypeKind::kBool: return Bit(Kind::kBool);
    case TypeKind::kInt: return Bit(Kind::kInt);
    case TypeKind::kUint: return Bit(Kind::kUint);
    case TypeKind::kDouble: return Bit(Kind::kDouble);
    case TypeKind::kString: return Bit(Kind::kString);
    case TypeKind::kBytes: return Bit(Kind::kBytes);
    case TypeKind::kList: return Bit(Kind::kList);
    case TypeKind::kMap: return Bit(Kind::kMap);
    case TypeKind::kTimestamp: return Bit(Kind::kTimestamp);
    case TypeKind::kDuration: return Bit(Kind::kDuration);
    case TypeKind::kType: return Bit(Kind::kType);
    case TypeKind::kOptional: return Bit(Kind::kOptional);
    case TypeKind::kOpaque: return Bit(Kind::kOpaque);
    case TypeKind::kError: return Bit(Kind::kError);
    case TypeKind::kMessage: return 0;
  }
  return 0;
}

std::string Type::DebugString() const {
  switch (kind_) {
    case TypeKind::kDyn: return "dyn";
    case TypeKind::kNull: return "null_type";
    case TypeKind::kBool: return "bool";
    case TypeKind::kInt: return "int";
    case TypeKind::kUint: return "uint";
    case TypeKind::kDouble: return "double";
    case TypeKind::kString: return "string";
    case TypeKind::kBytes: return "bytes";
    case TypeKind::kTimestamp: return "google.protobuf.Timestamp";
    case TypeKind::kDuration: return "google.protobuf.Duration";
    case TypeKind::kError: return "error";
    case TypeKind::kList:
      return absl::StrCat("list(", params_[0].DebugString(), ")");
    case TypeKind::kMap:
      return absl::StrCat("map(", params_[0].DebugString(), ", ",
                          params_[1].DebugString(), ")");
    case TypeKind::kType:
      if (params_.empty()) return "type";
      return absl::StrCat("type(", params_[0].DebugString(), ")");
    case TypeKind::kOptional:
      return absl::StrCat("optional_type(", params_[0].DebugString(), ")");
    case TypeKind::kOpaque: {
      if (params_.empty()) return name_;
      std::vector<std::string> ps;
      for (const Type& p : params_) ps.push_back(p.DebugString());
      return absl::StrCat(name_, "(", absl::StrJoin(ps, ", "), ")");
    }
    case TypeKind::kTypeParam:
    case TypeKind::kMessage:
      return name_;
  }
  return "?";
}

bool operator==(const Type& a, const Type& b) {
  return a.kind_ == b.kind_ && a.name_ == b.name_ && a.params_ == b.params_;
}

namespace {

class TypeParser {
 public:
  explicit TypeParser(std::string_view text) : text_(text) {}

  bool ParseAll(Type* out) {
    if (!ParseOne(out)) return false;
    SkipSpace();
    return pos_ == text_.size();
  }

 private:
  void SkipSpace() {
    while (pos_ < text_.size() && text_[pos_] == ' ') ++pos_;
  }
  bool Consume(char c) {
    SkipSpace();
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  std::string_view Name() {
    SkipSpace();
    size_t start = pos_;
    while (pos_ < text_.size() &&
           (absl::ascii_isalnum(static_cast<unsigned char>(text_[pos_])) ||
            text_[pos_] == '_' || text_[pos_] == '.')) {
      ++pos_;
    }
    return text_.substr(start, pos_ - start);
  }
  bool Params(std::vector<Type>* params) {
    if (!Consume('(')) return true;
    while (true) {
      Type t;
      if (!ParseOne(&t)) return false;
      params->push_back(std::move(t));
      if (Consume(')')) return true;
      if (!Consume(',')) return false;
    }
  }
  bool ParseOne(Type* out) {
    std::string_view name = Name();
    if (name.empty()) return false;
    std::vector<Type> params;
    if (!Params(&params)) return false;
    auto want = [&](size_t n) { return params.size() == n; };
    if (name == "dyn" && want(0)) { *out = Type::Dyn(); return true; }
    if (name == "null_type" && want(0)) { *out = Type::Null(); return true; }
    if (name == "bool" && want(0)) { *out = Type::Bool(); return true; }
    if (name == "int" && want(0)) { *out = Type::Int(); return true; }
    if (name == "uint" && want(0)) { *out = Type::Uint(); return true; }
    if (name == "double" && want(0)) { *out = Type::Double(); return true; }
    if (name == "string" && want(0)) { *out = Type::String(); return true; }
    if (name == "bytes" && want(0)) { *out = Type::Bytes(); return true; }
    if (name == "error" && want(0)) { *out = Type::Error(); return true; }
    if ((name == "google.protobuf.Timestamp" || name == "timestamp") && want(0)) {
      *out = Type::Timestamp();
      return true;
    }
    if ((name == "google.protobuf.Duration" || name == "duration") && want(0)) {
      *out = Type::Duration();
      return true;
    }
    if (name == "list" && want(1)) { *out = Type::List(params[0]); return true; }
    if (name == "map" && want(2)) { *out = Type::Map(params[0], params[1]); return true; }
    if (name == "type") {
      *out = params.empty() ? Type::TypeType() : Type::TypeOf(params[0]);
      return params.size() <= 1;
    }
    if (name == "optional_type" && want(1)) { *out = Type::Optional(params[0]); return true; }
    if (name.size() == 1 && absl::ascii_isupper(static_cast<unsigned char>(name[0]))) {
      *out = Type::Param(std::string(name));
      return params.empty();
    }
    if (!params.empty() || name == "net.IP" || name == "net.CIDR") {
      *out = Type::Opaque(std::string(name), std::move(params));
      return true;
    }
    *out = Type::Message(std::string(name));
    return true;
  }

  std::string_view text_;
  size_t pos_ = 0;
};

}  // namespace

bool ParseType(std::string_view text, Type* out) {
  return TypeParser(text).ParseAll(out);
}

}  // namespace retro::cel

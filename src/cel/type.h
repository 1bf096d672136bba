// Type: CEL's static types, used by declarations, overloads and the checker.
// A small value type (copyable); parameterised types own their parameters.
//
// Names as CEL prints them: int, uint, double, bool, string, bytes, null_type,
// dyn, error, list(T), map(K, V), type(T), google.protobuf.Timestamp,
// google.protobuf.Duration, optional_type(T), opaque names such as net.IP,
// and type parameters (A, B, …) in overload signatures.
#ifndef RETRO_CEL_TYPE_H_
#define RETRO_CEL_TYPE_H_

#include <string>
#include <string_view>
#include <vector>

#include "cel/value.h"

namespace retro::cel {

enum class TypeKind {
  kDyn,
  kNull,
  kBool,
  kInt,
  kUint,
  kDouble,
  kString,
  kBytes,
  kList,       // params[0] = element
  kMap,        // params[0] = key, params[1] = value
  kTimestamp,
  kDuration,
  kType,       // params[0] = the type it denotes (may be absent)
  kOptional,   // params[0] = the wrapped type
  kOpaque,     // name, with params (net.IP, net.CIDR)
  kTypeParam,  // name ("A")
  kError,
  kMessage,    // name; protobuf messages are out of scope, kept for messages
};

class Type {
 public:
  Type() = default;  // dyn
  explicit Type(TypeKind kind) : kind_(kind) {}

  static Type Dyn() { return Type(TypeKind::kDyn); }
  static Type Null() { return Type(TypeKind::kNull); }
  static Type Bool() { return Type(TypeKind::kBool); }
  static Type Int() { return Type(TypeKind::kInt); }
  static Type Uint() { return Type(TypeKind::kUint); }
  static Type Double() { return Type(TypeKind::kDouble); }
  static Type String() { return Type(TypeKind::kString); }
  static Type Bytes() { return Type(TypeKind::kBytes); }
  static Type Timestamp() { return Type(TypeKind::kTimestamp); }
  static Type Duration() { return Type(TypeKind::kDuration); }
  static Type Error() { return Type(TypeKind::kError); }
  static Type List(Type elem);
  static Type Map(Type key, Type value);
  static Type TypeOf(Type t);      // type(T)
  static Type TypeType();          // type with no parameter
  static Type Optional(Type t);
  static Type Opaque(std::string name, std::vector<Type> params = {});
  static Type Param(std::string name);
  static Type Message(std::string name);

  TypeKind kind() const { return kind_; }
  const std::string& name() const { return name_; }
  const std::vector<Type>& params() const { return params_; }

  bool is_dyn() const { return kind_ == TypeKind::kDyn; }

  // Which runtime value kinds a value of this type may have (dyn and type
  // parameters: all of them). Bit i is Kind(i).
  uint32_t KindMask() const;

  // "list(int)", "map(string, dyn)", …
  std::string DebugString() const;

  friend bool operator==(const Type& a, const Type& b);
  friend bool operator!=(const Type& a, const Type& b) { return !(a == b); }

 private:
  TypeKind kind_ = TypeKind::kDyn;
  std::string name_;
  std::vector<Type> params_;
};

// Parses the type syntax above ("list(map(string, int))"). Unknown names are
// messages (kMessage) unless they are single upper-case letters (params).
bool ParseType(std::string_view text, Type* out);

}  // namespace retro::cel

#endif  // RETRO_CEL_TYPE_H_

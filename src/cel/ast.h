// The parsed expression tree, as cel-spec's syntax.proto defines it (minus
// protobuf): every node has a unique id, macros are already expanded into
// comprehensions, and the source offset of every node is kept in SourceInfo.
// A tree is immutable once parsed; it is read by the checker and the planner.
#ifndef RETRO_CEL_AST_H_
#define RETRO_CEL_AST_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"

namespace retro::cel {

// A literal as written in the source.
struct Constant {
  enum class Kind { kNull, kBool, kInt, kUint, kDouble, kString, kBytes };
  Kind kind = Kind::kNull;
  bool bool_value = false;
  int64_t int_value = 0;
  uint64_t uint_value = 0;
  double double_value = 0;
  std::string string_value;  // decoded text of string and bytes literals
};

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

enum class ExprKind {
  kConst,          // constant
  kIdent,          // name
  kSelect,         // operand.name, or has(operand.name) when test_only
  kCall,           // [target.]name(args...)
  kList,           // [args...]; optional_indices mark `?e` elements
  kMap,            // {entries...}, entry.key set
  kStruct,         // name{entries...}, entry.field set (messages: parsed,
                   // not evaluated; no protobuf support)
  kComprehension,  // see the comprehension fields below
};

struct Expr {
  int64_t id = 0;
  ExprKind kind = ExprKind::kConst;

  Constant constant;  // kConst

  // kIdent: the identifier; kSelect: the field; kCall: the function (operators
  // use cel-spec's names: "_+_", "_&&_", "!_", "-_", "_[_]", "@in", "_?_:_",
  // "_?._", "_[?_]", "@not_strictly_false"); kStruct: the message name.
  std::string name;

  ExprPtr operand;         // kSelect operand; kCall target (receiver), or null
  bool test_only = false;  // kSelect produced by has()

  std::vector<ExprPtr> args;          // kCall arguments, kList elements
  std::vector<int32_t> optional_indices;  // kList: indices of `?e` elements

  struct Entry {
    int64_t id = 0;
    ExprPtr key;        // kMap
    std::string field;  // kStruct
    ExprPtr value;
    bool optional = false;  // `?key: value`
  };
  std::vector<Entry> entries;  // kMap, kStruct

  // kComprehension (cel-spec semantics): iterate iter_range binding iter_var
  // (and iter_var2 for two-variable forms: index/key and value), starting
  // from accu_var = accu_init; before each step evaluate loop_condition and
  // stop when false; accu_var = loop_step; finally evaluate result.
  std::string iter_var;
  std::string iter_var2;  // empty unless a two-variable comprehension
  std::string accu_var;
  ExprPtr iter_range;
  ExprPtr accu_init;
  ExprPtr loop_condition;
  ExprPtr loop_step;
  ExprPtr result;
};

// The accumulator name the standard macros use (cel-spec's "@result").
inline constexpr char kAccuVar[] = "@result";

// Where each node came from.
struct SourceInfo {
  // Node id -> byte offset in the expression text.
  absl::flat_hash_map<int64_t, int32_t> positions;
  // For nodes produced by macro expansion: id -> the original call (kept so
  // tools can print the unexpanded form; may be empty).
  absl::flat_hash_map<int64_t, std::string> macro_calls;
};

struct ParsedExpr {
  ExprPtr expr;
  SourceInfo source_info;
  int64_t max_id = 0;  // the largest node id used
};

}  // namespace retro::cel

#endif  // RETRO_CEL_AST_H_

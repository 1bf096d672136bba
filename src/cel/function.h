// Functions and their overloads, and the context a function runs in.
//
// Every function CEL calls — operators, the standard library, extensions and
// a host's own (Retro's `link`) — is an Overload in a FunctionRegistry. The
// registry is built once, then read concurrently by the checker and planner
// (thread-safe for reads after construction; Register is not).
#ifndef RETRO_CEL_FUNCTION_H_
#define RETRO_CEL_FUNCTION_H_

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/str_format.h"
#include "base/strings.h"
#include "cel/arena.h"
#include "cel/type.h"
#include "cel/value.h"

namespace re2 {
class RE2;
}

namespace retro::cel {

// Limits on one evaluation. Exceeding one yields an error value that says
// which limit and how to raise it; evaluation never crashes or hangs.
struct EvalOptions {
  // Iterations over all comprehensions of one evaluation.
  int64_t max_comprehension_iterations = 1'000'000;
  // A rough cost budget: one unit per node evaluated, plus the size of each
  // string/list/map built. 0 = unlimited.
  int64_t max_cost = 10'000'000;
  // Largest string, bytes or list a single function may build.
  int64_t max_value_size = 16 * 1024 * 1024;
};

// Per-evaluation state handed to every function. Not thread-safe: one per
// evaluation.
class EvalContext {
 public:
  EvalContext(Arena& arena, const EvalOptions& options)
      : arena_(arena), options_(options) {}

  Arena& arena() { return arena_; }
  const EvalOptions& options() const { return options_; }

  // An error value with the given message.
  Value Error(std::string_view message) { return MakeError(arena_, message); }
  template <typename... Args>
  Value Errorf(const absl::FormatSpec<Args...>& format, const Args&... args) {
    return MakeError(arena_, absl::StrFormat(format, args...));
  }

  // A compiled RE2 for `pattern`, cached for the rest of this evaluation;
  // nullptr and *error set when the pattern does not compile.
  const re2::RE2* Regex(std::string_view pattern, std::string* error);

  // Adds `units` to the evaluation cost; false when the budget is exhausted.
  bool Charge(int64_t units) {
    cost_ += units;
    return options_.max_cost == 0 || cost_ <= options_.max_cost;
  }
  int64_t cost() const { return cost_; }
  int64_t& iterations() { return iterations_; }

  // An opaque pointer the host passes through Program::Evaluate to its own
  // functions (Retro's `link` records links there); nullptr when none.
  void* host_data() const { return host_data_; }
  void set_host_data(void* data) { host_data_ = data; }

 private:
  Arena& arena_;
  const EvalOptions& options_;
  int64_t cost_ = 0;
  int64_t iterations_ = 0;
  void* host_data_ = nullptr;
  base::StringMap<std::shared_ptr<re2::RE2>> regex_cache_;
};

// A function implementation. For member (receiver-style) overloads args[0] is
// the receiver. Strict overloads never see error arguments: the runtime
// returns the first error instead of calling them. The result must be a
// value, possibly an error value, never a crash: validate every argument.
using FunctionImpl = Value (*)(EvalContext& ctx, std::span<const Value> args);

struct Overload {
  std::string id;      // unique, e.g. "add_int64", "string_contains"
  std::string name;    // CEL name, e.g. "_+_", "contains", "math.greatest"
  bool member = false;  // receiver style: x.name(...)
  std::vector<Type> params;  // including the receiver for member overloads
  Type result;
  FunctionImpl impl = nullptr;
  bool strict = true;
  // Filled in by Register: KindMask() of each param.
  std::vector<uint32_t> masks;
  // A pure function depends on its arguments alone, so the planner may
  // evaluate calls with constant arguments at compile time. Functions with
  // effects on the host (such as recording a link) set this to false.
  bool pure = true;
  // Accepts any number of arguments >= params.size() - 1, the last param
  // repeated (used by variadic functions such as math.greatest).
  bool variadic = false;

  // True when the runtime kinds of args fit this overload.
  bool Matches(std::span<const Value> args) const;
};

class FunctionRegistry {
 public:
  // Fails on a duplicate overload id, or a signature that overlaps one
  // already registered for the same name.
  absl::Status Register(Overload overload);

  // All overloads of `name` in registration order (member and global).
  std::span<const Overload* const> Find(std::string_view name) const;
  bool Has(std::string_view name) const { return by_name_.contains(name); }
  // Every function name, for "did you mean" suggestions.
  std::vector<std::string> Names() const;

 private:
  std::vector<std::unique_ptr<Overload>> overloads_;
  base::StringMap<std::vector<const Overload*>> by_name_;
};

}  // namespace retro::cel

#endif  // RETRO_CEL_FUNCTION_H_

// Compiled policies and sources: what a policy generation becomes once its
// documents are valid. Every CEL expression is parsed, checked and planned
// once; summary templates are lists of literal pieces and programs.
//
// Thread-safety: immutable after compilation; any number of threads may
// evaluate with the same CompiledPolicy (each with its own Evaluator).
#ifndef RETRO_POLICY_COMPILED_H_
#define RETRO_POLICY_COMPILED_H_

#include <array>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/hash.h"
#include "cel/arena.h"
#include "cel/cel.h"
#include "cel/json.h"
#include "cel/value.h"
#include "policy/document.h"

namespace retro::policy {

// The variables policies and sources may use. Each compiled rule list knows
// the activation slot of those it declares (-1 for the others).
enum class Var : int {
  kAudit,     // the audit event (ActivityPolicy auditRules, audit sources)
  kEvent,     // the Kubernetes event (eventRules, event sources)
  kActor,     // string
  kActorRef,  // map(string, string): {type, name}
  kKind,      // string: the audit event's plural resource
  kData,      // the payload (Policy, json sources)
  kMeta,      // the envelope: {id, type, tenant, time, source}
  kParams,    // spec.params
};
inline constexpr int kNumVars = 8;

struct SlotMap {
  std::array<int, kNumVars> slot;
  SlotMap() { slot.fill(-1); }
  int operator[](Var v) const { return slot[static_cast<int>(v)]; }
};

// The parts of the payload that the expressions of one rule list (or
// source) read through `audit`, `event` and `data`, collected at compile
// time from their field selections (`audit.objectRef.name` reads
// objectRef.name only; `audit.user.extra[k]` the whole of user.extra; a
// bare `audit`, the whole payload). The evaluator converts only these parts
// of an event into CEL values. Indexed by Var; only the payload variables
// are used.
struct PayloadSelections {
  std::array<cel::JsonSelection, kNumVars> by_var;
};

struct CompiledExpr {
  std::string text;  // the expression as written
  std::unique_ptr<cel::Program> program;
};

struct CompiledTemplate {
  struct Part {
    std::string literal;  // when block < 0
    int block = -1;       // index into blocks
  };
  std::vector<Part> parts;
  std::vector<CompiledExpr> blocks;
};

struct CompiledRule {
  std::string name;
  int index = 0;  // in its list
  std::string description;
  CompiledExpr match;
  std::vector<CompiledExpr> require;
  CompiledTemplate summary;
  std::vector<std::pair<std::string, CompiledExpr>>
      fields;                    // declaration order
  std::vector<int> field_order;  // indices of fields sorted by name
};

// One environment and the rules compiled in it. The environment outlives the
// programs that refer to its functions.
struct RuleList {
  std::unique_ptr<cel::Env> env;
  SlotMap slots;
  std::vector<CompiledRule> rules;
  PayloadSelections payload;  // what select and the rules read
};

class SourceSet;

class CompiledPolicy {
 public:
  const std::string& name() const { return name_; }
  PolicyKind kind() const { return kind_; }
  // The generation's identity: the hash of the normalised spec.
  const base::Hash128& generation() const { return generation_; }
  // Canonical JSON of {apiVersion, kind, spec}: what generation() hashes.
  const std::string& normalized() const { return normalized_; }
  const std::vector<std::pair<std::string, std::string>>& labels() const {
    return labels_;
  }
  const std::string& file() const { return file_; }

  // ActivityPolicy: spec.resource.
  const std::string& api_group() const { return api_group_; }
  const std::string& resource_kind() const { return resource_kind_; }
  const std::string& resource_plural() const { return resource_plural_; }
  const RuleList& audit_rules() const { return audit_; }
  const RuleList& event_rules() const { return event_; }

  // Policy.
  const std::vector<std::string>& inputs() const { return inputs_; }
  const CompiledExpr* select() const {
    return select_.program ? &select_ : nullptr;
  }
  const cel::Value& params() const { return params_; }
  const RuleList& rules() const { return native_; }

  const std::vector<TestDoc>& tests() const { return tests_; }

  // A prefilter on the raw event, before any parsing: false only when no
  // event of `type` whose raw JSON is `raw` can be selected by this policy
  // (exact; true for anything unsure). An ActivityPolicy compares
  // objectRef.resource (audit) or the regarding object's kind (events), and
  // a non-empty apiGroup, with its own: a payload in which one of them does
  // not occur literally and that holds no `\u` escape cannot hold them.
  // A Policy: only its inputs (its `select` is arbitrary CEL). Says nothing
  // about whether the event loads (see Evaluator::Load).
  bool MaySelect(std::string_view type, std::string_view raw,
                 const SourceSet& sources) const;

 private:
  friend class PolicyCompiler;
  CompiledPolicy() = default;

  std::string name_;
  PolicyKind kind_ = PolicyKind::kNative;
  base::Hash128 generation_{0, 0};
  std::string normalized_;
  std::vector<std::pair<std::string, std::string>> labels_;
  std::string file_;
  std::string api_group_, resource_kind_, resource_plural_;
  RuleList audit_, event_, native_;
  std::vector<std::string> inputs_;
  CompiledExpr select_;
  std::unique_ptr<cel::Arena> params_arena_;
  cel::Value params_;
  std::vector<TestDoc> tests_;
};

// How one input type's envelope is read.
class CompiledSource {
 public:
  const std::string& name() const { return name_; }
  SourceFormat format() const { return format_; }
  // Null when the format's built-in mapping applies (or, for tenant, "").
  const CompiledExpr* id() const { return id_.program ? &id_ : nullptr; }
  const CompiledExpr* time() const { return time_.program ? &time_ : nullptr; }
  const CompiledExpr* tenant() const {
    return tenant_.program ? &tenant_ : nullptr;
  }
  const SlotMap& slots() const { return slots_; }
  // What id, time and tenant read of the payload.
  const PayloadSelections& payload() const { return payload_; }
  // True for the presets used when no Source document describes a type.
  bool builtin() const { return builtin_; }

  // The preset for a type without a Source document: "audit" reads as
  // kubernetes-audit, "event" as kubernetes-event, anything else as json
  // with the payload's "id" as id, no time and an empty tenant.
  static std::shared_ptr<const CompiledSource> Builtin(std::string_view type);

 private:
  friend class PolicyCompiler;
  CompiledSource() = default;

  std::unique_ptr<cel::Env> env_;
  std::string name_;
  SourceFormat format_ = SourceFormat::kJson;
  CompiledExpr id_, time_, tenant_;
  SlotMap slots_;
  PayloadSelections payload_;
  bool builtin_ = false;
};

}  // namespace retro::policy

#endif  // RETRO_POLICY_COMPILED_H_

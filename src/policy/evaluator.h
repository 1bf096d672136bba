// Evaluation: one raw event, one compiled policy -> exactly one Outcome.
//
//   SourceSet sources;                      // Source documents, or presets
//   Evaluator evaluator(&sources);          // one per thread, reused
//   for (line : input) {
//     evaluator.Load("audit", line);        // parse once, read the envelope
//     for (policy : policies) {
//       const Outcome& o = evaluator.Evaluate(*policy);
//       ...                                 // valid until the next call
//     }
//   }
//
// An Evaluator keeps its arena, JSON parser, activation and output buffers
// between events, so steady-state evaluation allocates (almost) nothing.
// Evaluation is deterministic: the same bytes and generation give the same
// outcome, byte for byte.
//
// Thread-safety: an Evaluator is not thread-safe (one per thread); the
// SourceSet and CompiledPolicy objects it reads are.
#ifndef RETRO_POLICY_EVALUATOR_H_
#define RETRO_POLICY_EVALUATOR_H_

#include <array>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "base/hash.h"
#include "base/strings.h"
#include "cel/arena.h"
#include "cel/cel.h"
#include "cel/json.h"
#include "policy/compiled.h"
#include "policy/link.h"

namespace retro::policy {

// The Source of every input type: the documents given, and the built-in
// presets for the others. Immutable once built; thread-safe for reads.
class SourceSet {
 public:
  SourceSet();
  // Replaces any source of the same name.
  void Add(std::shared_ptr<const CompiledSource> source);
  const CompiledSource& For(std::string_view type) const;
  bool Has(std::string_view type) const { return by_type_.contains(type); }
  // Changes with every Add, and differs between sets (also one assigned
  // another's contents): a reader can keep what For returned while it
  // stays the same.
  uint64_t version() const { return version_; }

 private:
  base::StringMap<std::shared_ptr<const CompiledSource>> by_type_;
  uint64_t version_ = 0;
  std::shared_ptr<const CompiledSource> audit_, event_, json_;
};

// What an event's envelope says. Views point into the Evaluator.
struct Envelope {
  std::string_view type;
  std::string id;
  bool has_time = false;
  absl::Time time;
  int64_t time_nanos = 0;  // since the Unix epoch
  std::string tenant;
  std::string_view source;  // the Source document's name ("" for presets)
};

enum class OutcomeKind { kUnselected, kMatched, kUnmatched, kDropped, kError };
std::string_view OutcomeKindName(OutcomeKind kind);

struct RecordField {
  std::string_view name;  // points into the policy
  std::string json;       // the value as canonical JSON
};

struct Record {
  std::string summary;
  // JSON array of {"marker": text, "resource": ref} in call order.
  std::string links_json;
  int num_links = 0;
  std::vector<RecordField> fields;  // in declaration order
  std::string_view origin_type;
  std::string_view origin_id;
  std::string_view tenant;
  bool has_time = false;
  absl::Time time;
  // Hash of (policy name, origin type, origin id): stable across
  // generations, so a re-processed record replaces the old one.
  base::Hash128 record_id{0, 0};
  // Hash of the canonical JSON of {fields, links, rule, summary, tenant,
  // time}.
  base::Hash128 content_hash{0, 0};
};

struct Outcome {
  OutcomeKind kind = OutcomeKind::kUnselected;
  std::string_view policy;
  std::string_view rule;  // matched, dropped, and errors inside a rule
  int rule_index = -1;
  // Dropped: "missing <expr>". Error: "rule 'x', match: <message>".
  std::string reason;
  // Error only: which expression ("match", "summary block 2", "fields.cost",
  // "require[0]", "select", "input", "source") and its message.
  std::string expression;
  std::string message;
  Record record;  // matched only
};

struct EvaluatorOptions {
  cel::EvalOptions eval;
  // Convert every event whole into CEL values before evaluating, instead of
  // only the parts each policy reads (the default). Same outcomes, slower:
  // for tests that compare the two.
  bool convert_whole_payload = false;
  // Events were accepted by an earlier Load: they come from the store,
  // which holds only what ingest accepted. Their nested objects are not
  // searched for repeated keys again.
  bool validated_events = false;
};

// The options for events read back from the store (runs, live processing).
EvaluatorOptions StoredEventOptions();

class Evaluator {
 public:
  // REQUIRES: sources outlives the evaluator.
  explicit Evaluator(const SourceSet* sources, EvaluatorOptions options = {});
  ~Evaluator();
  Evaluator(const Evaluator&) = delete;
  Evaluator& operator=(const Evaluator&) = delete;

  // Parses one raw event of `type` and reads its envelope with the type's
  // Source. On failure (not a JSON object, no id, a bad time or tenant) the
  // status says why, and Evaluate returns an error outcome for every policy.
  absl::Status Load(std::string_view type, std::string_view json);
  // Load for `json` followed by at least cel::kJsonPadding readable bytes
  // (validated events only: EvaluatorOptions::validated_events): parsed
  // where it lies, not copied first.
  absl::Status LoadPadded(std::string_view type, std::string_view json);
  const Envelope& envelope() const { return envelope_; }
  bool loaded() const { return load_status_.ok(); }

  // Evaluates the loaded event with `policy`. The outcome is valid until the
  // next Load or Evaluate. REQUIRES: Load was called.
  const Outcome& Evaluate(const CompiledPolicy& policy);

  // Load + Evaluate.
  const Outcome& EvaluateLine(const CompiledPolicy& policy,
                              std::string_view type, std::string_view json);

 private:
  absl::Status LoadImpl(std::string_view type, std::string_view json,
                        bool padded);
  absl::Status ReadEnvelope(const CompiledSource& source,
                            std::string_view json);
  void Bind(const SlotMap& slots, const PayloadSelections& payload,
            const cel::Value* params);
  // A payload variable (audit, event, data) with the parts `selection`
  // reads, built from the parsed document (the whole payload once per
  // event).
  cel::Value Payload(Var var, const cel::JsonSelection& selection);
  // The whole payload (normalised for audit) of the loaded event.
  cel::Value WholePayload(Var var);
  // Reads of the payload for the envelope and the selection.
  std::string_view PayloadString(std::initializer_list<std::string_view> path);
  const cel::Value* PayloadAt(std::initializer_list<std::string_view> path);
  cel::Value Run(const CompiledExpr& expr, LinkSink* links);
  // Sets *key to what identifies the payload the source's expressions read;
  // false when they read more than the payload (or it is not lazy_).
  bool TenantKey(const CompiledSource& source, std::string* key);
  bool Selects(const CompiledPolicy& policy, const RuleList** list);
  void RunRules(const CompiledPolicy& policy, const RuleList& list);
  bool RenderRecord(const CompiledRule& rule);
  void Fail(const CompiledRule* rule, std::string_view expression,
            std::string_view message);
  void FinishRecord(const CompiledPolicy& policy, const CompiledRule& rule);
  cel::Value Meta();
  cel::Value ActorRef();

  const SourceSet* sources_;
  EvaluatorOptions options_;
  cel::Arena arena_;
  cel::JsonParser parser_;
  // The loaded event, parsed and validated but converted only in the parts
  // a policy reads (when lazy_; otherwise vars_ hold the whole payload, as
  // JsonParser converts it, for inputs the fast path leaves to it).
  cel::JsonDocument document_;
  bool lazy_ = false;
  bool has_whole_ = false;  // vars_ hold the whole payload (lazy_)
  std::unique_ptr<cel::Activation> activation_;

  // The loaded event.
  absl::Status load_status_;
  SourceFormat format_ = SourceFormat::kJson;
  std::string type_;
  // What sources_->For(type_) returned, at sources_->version() ==
  // source_version_ (events of one type come in runs).
  const CompiledSource* source_ = nullptr;
  uint64_t source_version_ = 0;
  // The tenants source_'s expression gave, by the bytes of the payload it
  // read (cel::JsonDocument::AppendSelectionKey): the expression is pure,
  // and an event stream has few tenants. Bounded.
  // (A key starts with the source's address; tenants_version_ is the
  // sources' version they were computed at.)
  static constexpr size_t kMaxTenants = 1024;
  static constexpr size_t kMaxTenantKeyBytes = 512;
  absl::flat_hash_map<std::string, std::string> tenants_;
  uint64_t tenants_version_ = 0;
  std::string tenant_key_;
  Envelope envelope_;
  std::array<cel::Value, kNumVars> vars_;
  std::array<bool, kNumVars> has_var_{};
  bool has_meta_ = false;
  // actorRef is built when a policy reads it: {type: actor_type_, name:
  // actor}.
  std::string_view actor_type_;
  bool has_actor_ref_ = false;

  Outcome outcome_;
  LinkSink links_;
  std::string buffer_;  // scratch for hashes
};

}  // namespace retro::policy

#endif  // RETRO_POLICY_EVALUATOR_H_

// ControlStore: the small, strongly consistent control data — policies with
// every generation and the active one, named documents (sources, tokens),
// and the append-only audit ledger.
//
// Thread-safety: all methods may be called concurrently; each mutating call
// is atomic and durable (synced) when it returns OK.
#ifndef RETRO_STORE_CONTROL_STORE_H_
#define RETRO_STORE_CONTROL_STORE_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "base/hash.h"

namespace retro::store {

struct PolicyGeneration {
  std::string policy;
  uint64_t generation = 0;  // 1, 2, …
  base::Hash128 content_hash{};
  absl::Time created;
  std::string spec;  // the document bytes as applied
};

struct PolicyInfo {
  std::string name;
  uint64_t latest_generation = 0;
  uint64_t active_generation = 0;
  std::string active_run;  // the run whose promote activated it, or empty
  bool deleted = false;
};

struct ApplyPolicyResult {
  uint64_t generation = 0;
  bool created = false;  // false: identical content, nothing changed
};

struct Document {
  std::string kind;  // e.g. "source", "token"
  std::string name;
  absl::Time updated;
  std::string body;
};

struct AuditEntry {
  absl::Time time;
  std::string actor;    // token name or "system"
  std::string action;   // e.g. "policy.apply", "run.promote"
  std::string target;   // e.g. "policy/deployments"
  std::string outcome;  // e.g. "ok", "denied", "error: …"
  std::string details;  // free text or JSON
  uint64_t number = 0;  // assigned by AppendAudit
};

struct AuditPage {
  std::vector<AuditEntry> entries;  // in (time, number) order
  std::string next_cursor;          // empty at the end
};

class ControlStore {
 public:
  virtual ~ControlStore() = default;

  // Stores `spec` as generation N+1 of `name` unless the latest generation
  // has the same content hash (then a no-op, also undeleting a deleted
  // policy). The first generation is always made active; later ones only
  // when `activate`.
  [[nodiscard]] virtual absl::StatusOr<ApplyPolicyResult> ApplyPolicy(
      std::string_view name, std::string_view spec,
      const base::Hash128& content_hash, absl::Time now, bool activate) = 0;
  // NotFound for an unknown policy (deleted ones are returned, flagged).
  [[nodiscard]] virtual absl::StatusOr<PolicyInfo> GetPolicy(
      std::string_view name) = 0;
  [[nodiscard]] virtual absl::StatusOr<std::vector<PolicyInfo>>
  ListPolicies() = 0;
  [[nodiscard]] virtual absl::StatusOr<PolicyGeneration> GetGeneration(
      std::string_view name, uint64_t generation) = 0;
  [[nodiscard]] virtual absl::StatusOr<std::vector<PolicyGeneration>>
  ListGenerations(std::string_view name) = 0;
  // Makes an existing generation active directly (not through a run).
  [[nodiscard]] virtual absl::Status SetActiveGeneration(
      std::string_view name, uint64_t generation) = 0;
  // Marks the policy deleted; its generations stay readable.
  [[nodiscard]] virtual absl::Status DeletePolicy(std::string_view name) = 0;

  [[nodiscard]] virtual absl::Status PutDocument(const Document& doc) = 0;
  [[nodiscard]] virtual absl::StatusOr<Document> GetDocument(
      std::string_view kind, std::string_view name) = 0;
  [[nodiscard]] virtual absl::StatusOr<std::vector<Document>> ListDocuments(
      std::string_view kind) = 0;
  // NotFound when absent.
  [[nodiscard]] virtual absl::Status DeleteDocument(std::string_view kind,
                                                    std::string_view name) = 0;

  // Appends durably; returns the entry's number (strictly increasing).
  [[nodiscard]] virtual absl::StatusOr<uint64_t> AppendAudit(
      AuditEntry entry) = 0;
  // Entries with time in [from, to), after `cursor`, at most `limit` (> 0).
  [[nodiscard]] virtual absl::StatusOr<AuditPage> QueryAudit(
      absl::Time from, absl::Time to, std::string_view cursor,
      size_t limit) = 0;
};

}  // namespace retro::store

#endif  // RETRO_STORE_CONTROL_STORE_H_

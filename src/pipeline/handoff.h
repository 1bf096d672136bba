// Handoff: the dual write that joins a re-processing run to live
// processing (DESIGN.md, "Runs": snapshot cutoff). A run scans the events
// with seq <= its cutoff; while its staging is open, live processing also
// evaluates every later event in the run's scope with the run's target
// generation and stages the result for the run (and, with purge_unmatched,
// a tombstone where the live record of the active generation would not
// survive). So at promote there is neither a gap nor a duplicate between
// history and live.
//
// The live worker that stages for a run also keeps the run's handoff
// counters, in the checkpoint "handoff/<i>of<N>" of that run, committed in
// the same RecordBatch as the staged versions and its live cursor: exact
// after a crash.
//
// Thread-safety: HandoffRegistry may be used from any thread; the Handoff
// objects it hands out are immutable.
#ifndef RETRO_PIPELINE_HANDOFF_H_
#define RETRO_PIPELINE_HANDOFF_H_

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "base/strings.h"
#include "policy/compiled.h"
#include "policy/policy_set.h"

namespace retro::pipeline {

struct Handoff {
  std::string run_id;
  std::string policy;       // the store's name of the target policy
  uint64_t generation = 0;  // the run's target generation
  // The target generation, compiled with the catalog's sources; `set` owns
  // it.
  std::shared_ptr<const policy::PolicySet> set;
  const policy::CompiledPolicy* target = nullptr;
  // Only events with seq > cutoff_seq are handed off.
  uint64_t cutoff_seq = 0;
  // The run's scope: event time in [from, to), types and tenants (empty =
  // all) and an optional filter: a compiled retro/v1 Policy whose `select`
  // is the run's filter — an event is in scope when it selects the event.
  absl::Time from = absl::InfinitePast();
  absl::Time to = absl::InfiniteFuture();
  base::StringSet types;
  base::StringSet tenants;
  std::shared_ptr<const policy::PolicySet> filter_set;
  const policy::CompiledPolicy* filter = nullptr;
  bool purge_unmatched = false;
};

// What live processing did for one run after its cutoff.
struct HandoffCounts {
  uint64_t processed = 0;  // events in scope handed off
  uint64_t matched = 0;
  uint64_t unmatched = 0;
  uint64_t dropped = 0;
  uint64_t errors = 0;
  uint64_t staged = 0;   // staged versions written
  uint64_t removed = 0;  // tombstones staged (purge_unmatched)

  void Add(const HandoffCounts& other);
  // A small JSON object with the fields above.
  std::string Encode() const;
  static absl::StatusOr<HandoffCounts> Decode(std::string_view text);
  friend bool operator==(const HandoffCounts&, const HandoffCounts&) = default;
};

// The checkpoint names live workers use: "handoff/<i>of<N>".
inline constexpr std::string_view kHandoffCheckpointPrefix = "handoff/";

using HandoffList = std::vector<std::shared_ptr<const Handoff>>;

class HandoffRegistry {
 public:
  // Adds the handoff, replacing one with the same run_id and policy (a run
  // of several policies installs one handoff per policy).
  void Set(std::shared_ptr<const Handoff> handoff);
  void Remove(std::string_view run_id);
  // An immutable snapshot; never null.
  std::shared_ptr<const HandoffList> Current() const;

 private:
  mutable std::mutex mu_;
  std::shared_ptr<const HandoffList> current_ =
      std::make_shared<const HandoffList>();
};

}  // namespace retro::pipeline

#endif  // RETRO_PIPELINE_HANDOFF_H_

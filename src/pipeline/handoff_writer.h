// HandoffWriter: one live worker's side of the dual write (handoff.h). For
// each batch it takes the registry's snapshot, evaluates every event past a
// run's cutoff and in its scope with the run's target generation, stages
// the results (and, with purge_unmatched, tombstones) into the worker's
// RecordBatch, and adds the run's counters checkpoint "handoff/<i>of<N>"
// to the same batch. Counters are loaded from the store the first time the
// worker sees a run and advanced only after a successful commit, so a
// crash between batches re-evaluates the uncommitted events exactly once.
//
// A run that stops staging between the snapshot and the commit (Commit
// fails with FailedPrecondition) is dropped from the batch and from every
// later batch of this worker; the live records are never lost.
//
// Thread-safety: not thread-safe; one per worker thread.
#ifndef RETRO_PIPELINE_HANDOFF_WRITER_H_
#define RETRO_PIPELINE_HANDOFF_WRITER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "base/strings.h"
#include "pipeline/catalog.h"
#include "pipeline/handoff.h"
#include "policy/evaluator.h"
#include "store/record_store.h"

namespace retro::pipeline {

class HandoffWriter {
 public:
  // `checkpoint` is the worker's checkpoint name ("handoff/<i>of<N>").
  HandoffWriter(store::RecordStore* records, std::string checkpoint);

  // Starts a batch with the registry snapshot `list` (null = none) and the
  // catalog snapshot the live evaluation of the batch uses. Reads the
  // counters of runs not seen before (the only store access).
  [[nodiscard]] absl::Status Begin(std::shared_ptr<const HandoffList> list,
                                   const CatalogSnapshot& snap);
  // Whether any run takes events in this batch.
  bool active() const { return !entries_.empty(); }

  // The dual write of one event. `live` holds the outcome kind of each of
  // the catalog snapshot's policies for this event (live evaluation ran
  // first). REQUIRES: active(); the event is loaded into `evaluator`.
  void Handle(const store::Event& event, policy::Evaluator* evaluator,
              const std::vector<policy::OutcomeKind>& live,
              store::RecordBatch* batch, std::string* scratch);
  // Adds the counters checkpoint of every run this batch touched.
  void Finish(store::RecordBatch* batch);
  // After the batch committed: its counters become the runs' base.
  void Committed();

  // After Commit failed with FailedPrecondition: drops the runs of this
  // batch that can no longer take staged versions (gone from `current`, or
  // their staging is not open) — or, when none is found, every run of the
  // batch. Returns false when no run was left to drop.
  bool DropFailedRuns(const HandoffList& current);
  // `batch` without the ops of dropped runs.
  store::RecordBatch WithoutDropped(const store::RecordBatch& batch) const;

 private:
  struct Entry {
    const Handoff* handoff;
    int live_index;  // of the run's policy in the catalog snapshot, or -1
    HandoffCounts delta;
    bool dropped = false;
  };
  bool Touched(const Entry& e) const { return e.delta.processed > 0; }

  store::RecordStore* records_;
  std::string checkpoint_;
  std::shared_ptr<const HandoffList> list_;
  std::vector<Entry> entries_;
  // Counters as committed, per run seen.
  base::StringMap<HandoffCounts> committed_;
  // Runs that can no longer stage (run ids are never reused).
  base::StringSet dead_;
};

}  // namespace retro::pipeline

#endif  // RETRO_PIPELINE_HANDOFF_WRITER_H_

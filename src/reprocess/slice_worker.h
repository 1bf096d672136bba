// SliceWorker: the hot path of a run. One per worker thread; processes one
// batch of a slice at a time: reads the batch's events (a time scan up to
// the cutoff, or the errored events a retry run re-evaluates), reads the
// visible records of the same range in one merge-joined range read,
// evaluates every event with every target, classifies the outcome against
// the visible record, stages what changed, and commits the staged versions
// together with the slice's checkpoint in one RecordBatch.
//
// Thread-safety: one thread per SliceWorker. The ExecContext is shared and
// immutable.
#ifndef RETRO_REPROCESS_SLICE_WORKER_H_
#define RETRO_REPROCESS_SLICE_WORKER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "base/strings.h"
#include "policy/evaluator.h"
#include "reprocess/progress.h"
#include "reprocess/run_doc.h"
#include "reprocess/run_plan.h"
#include "store/store.h"

namespace retro::reprocess {

struct ExecContext {
  std::string run_id;
  bool stage = true;  // false for dry runs: checkpoints only
  bool purge_unmatched = false;
  uint64_t cutoff_seq = 0;
  std::shared_ptr<const CompiledRun> compiled;
  base::StringSet types;    // empty = all
  base::StringSet tenants;  // empty = all
  size_t samples_per_category = 20;
  size_t issues_kept = 1000;
  // Retry runs: the events to re-evaluate, as "type\x1fid", in order; a
  // slice's plan names a range of them. Empty: a time scan.
  bool retry = false;
  std::vector<std::string> retry_keys;
};

class SliceWorker {
 public:
  SliceWorker(const ExecContext* ctx, store::Store* store);
  ~SliceWorker();
  SliceWorker(const SliceWorker&) = delete;
  SliceWorker& operator=(const SliceWorker&) = delete;

  // Processes up to `max_events` events of slice `index` after
  // progress->cursor and commits them with the updated progress. Returns the
  // number of events read (0 and progress->done when the slice is done).
  [[nodiscard]] absl::StatusOr<size_t> RunBatch(size_t index,
                                                const SlicePlan& plan,
                                                size_t max_events,
                                                SliceProgress* progress);

 private:
  struct Ev {
    std::string type, id, tenant, data;
    absl::Time time;
    uint64_t seq = 0;
    // No target may select it (CompiledPolicy::MaySelect on the raw
    // payload): its payload is neither copied nor parsed, and every target
    // sees it unselected.
    bool unselectable = false;
  };
  absl::StatusOr<std::string> ReadScan(const SlicePlan& plan,
                                       const std::string& cursor,
                                       size_t max_events);
  absl::StatusOr<std::string> ReadRetry(const SlicePlan& plan,
                                        const std::string& cursor,
                                        size_t max_events);
  absl::Status ReadVisible();
  const store::Record* FindVisible(size_t target, size_t event);
  void Evaluate(SliceProgress* progress, ProgressChunk* chunk);

  const ExecContext* ctx_;
  store::Store* store_;
  policy::Evaluator evaluator_;
  std::vector<Ev> events_;
  size_t n_events_ = 0;
  // Per target: the visible records of the batch's range (reused), and for
  // retries, one point read per event.
  std::vector<std::vector<store::Record>> visible_;
  std::vector<size_t> n_visible_;
  std::vector<size_t> join_pos_;
  std::vector<std::vector<std::optional<store::Record>>> point_visible_;
  store::RecordBatch batch_;
  std::string key_scratch_, json_scratch_;
};

}  // namespace retro::reprocess

#endif  // RETRO_REPROCESS_SLICE_WORKER_H_

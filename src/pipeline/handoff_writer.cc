#include "pipeline/handoff_writer.h"

#include <utility>
#include <variant>

#include "base/log.h"
#include "pipeline/record_convert.h"

namespace retro::pipeline {

HandoffWriter::HandoffWriter(store::RecordStore* records,
                             std::string checkpoint)
    : records_(records), checkpoint_(std::move(checkpoint)) {}

absl::Status HandoffWriter::Begin(std::shared_ptr<const HandoffList> list,
                                  const CatalogSnapshot& snap) {
  entries_.clear();
  if (list == nullptr || list->empty()) {
    if (list_ != nullptr) {
      list_.reset();
      committed_.clear();
      dead_.clear();
    }
    return absl::OkStatus();
  }
  if (list != list_) {
    // Forget runs that left the registry: a run that comes back (re-installed
    // after a restart of its manager) is read from the store again.
    base::StringSet present;
    for (const auto& h : *list) present.insert(h->run_id);
    absl::erase_if(committed_,
                   [&](const auto& kv) { return !present.contains(kv.first); });
    absl::erase_if(
        dead_, [&](const std::string& run) { return !present.contains(run); });
    list_ = std::move(list);
  }
  for (const auto& h : *list_) {
    if (dead_.contains(h->run_id)) continue;
    if (!committed_.contains(h->run_id)) {
      auto checkpoints = records_->GetCheckpoints(h->run_id);
      if (!checkpoints.ok()) return checkpoints.status();
      HandoffCounts counts;
      for (const auto& [name, value] : *checkpoints) {
        if (name != checkpoint_) continue;
        auto decoded = HandoffCounts::Decode(value);
        if (decoded.ok()) {
          counts = *decoded;
        } else {
          spdlog::error("run {}: checkpoint {}: {}; counting from zero",
                        h->run_id, checkpoint_, decoded.status().ToString());
        }
      }
      committed_.emplace(h->run_id, counts);
    }
    int live_index = -1;
    for (size_t p = 0; p < snap.policies.size(); ++p) {
      if (snap.policies[p].name == h->policy) {
        live_index = static_cast<int>(p);
        break;
      }
    }
    entries_.push_back({h.get(), live_index, {}});
  }
  return absl::OkStatus();
}

void HandoffWriter::Handle(const store::Event& e, policy::Evaluator* evaluator,
                           const std::vector<policy::OutcomeKind>& live,
                           store::RecordBatch* batch, std::string* scratch) {
  using policy::OutcomeKind;
  for (Entry& entry : entries_) {
    const Handoff& h = *entry.handoff;
    if (entry.dropped || e.seq <= h.cutoff_seq) continue;
    if (e.time < h.from || e.time >= h.to) continue;
    if (!h.types.empty() && !h.types.contains(e.type)) continue;
    if (!h.tenants.empty() && !h.tenants.contains(e.tenant)) continue;
    if (h.filter != nullptr &&
        evaluator->Evaluate(*h.filter).kind == OutcomeKind::kUnselected) {
      continue;
    }
    const policy::Outcome& o = evaluator->Evaluate(*h.target);
    HandoffCounts& c = entry.delta;
    bool purge = false;
    switch (o.kind) {
      case OutcomeKind::kUnselected:
        continue;
      case OutcomeKind::kMatched:
        ++c.matched;
        ++c.staged;
        batch->Stage(h.run_id, ToStoreRecord(o, h.policy, h.generation, e.type,
                                             e.id, e.time, scratch));
        break;
      case OutcomeKind::kUnmatched:
        ++c.unmatched;
        purge = true;
        break;
      case OutcomeKind::kDropped:
        ++c.dropped;
        purge = true;
        break;
      case OutcomeKind::kError:
        ++c.errors;  // counted, never staged: the live record stays
        break;
    }
    ++c.processed;
    // Live just wrote a visible record the target generation would not
    // produce: stage its removal.
    if (purge && h.purge_unmatched && entry.live_index >= 0 &&
        live[entry.live_index] == OutcomeKind::kMatched) {
      ++c.removed;
      batch->StageTombstone(h.run_id,
                            store::RecordKey{h.policy, e.type, e.id, e.time},
                            h.generation);
    }
  }
}

void HandoffWriter::Finish(store::RecordBatch* batch) {
  // One checkpoint per run, also for a run of several policies.
  base::StringMap<HandoffCounts> totals;
  for (const Entry& entry : entries_) {
    if (entry.dropped || !Touched(entry)) continue;
    auto [it, added] = totals.try_emplace(entry.handoff->run_id);
    if (added) it->second = committed_[entry.handoff->run_id];
    it->second.Add(entry.delta);
  }
  for (const auto& [run, total] : totals) {
    batch->PutCheckpoint(run, checkpoint_, total.Encode());
  }
}

void HandoffWriter::Committed() {
  for (Entry& entry : entries_) {
    if (entry.dropped || !Touched(entry)) continue;
    committed_[entry.handoff->run_id].Add(entry.delta);
    entry.delta = {};
  }
}

bool HandoffWriter::DropFailedRuns(const HandoffList& current) {
  base::StringSet drop;
  base::StringSet checked;
  for (const Entry& entry : entries_) {
    const std::string& run = entry.handoff->run_id;
    if (entry.dropped || !Touched(entry) || !checked.insert(run).second) {
      continue;
    }
    bool registered = false;
    for (const auto& h : current) registered |= h->run_id == run;
    auto info = records_->GetStaging(run);
    bool staging = info.ok() && info->state == store::StagingState::kStaging;
    if (registered && staging) continue;
    spdlog::warn(
        "live handoff: run {} stopped staging before the batch committed "
        "({}); this worker no longer stages its events",
        run, registered ? "staging closed" : "removed from the registry");
    drop.insert(run);
  }
  if (drop.empty()) {
    // Refused for another reason (e.g. the run does not target the policy):
    // the live records must still commit.
    for (const std::string& run : checked) {
      spdlog::error(
          "live handoff: run {}: staged versions were refused; this worker "
          "no longer stages its events",
          run);
      drop.insert(run);
    }
  }
  for (Entry& entry : entries_) {
    if (drop.contains(entry.handoff->run_id)) entry.dropped = true;
  }
  for (const std::string& run : drop) dead_.insert(run);
  return !drop.empty();
}

store::RecordBatch HandoffWriter::WithoutDropped(
    const store::RecordBatch& batch) const {
  base::StringSet dropped;
  for (const Entry& entry : entries_) {
    if (entry.dropped) dropped.insert(entry.handoff->run_id);
  }
  store::RecordBatch out;
  for (const store::RecordBatch::Op& op : batch.ops()) {
    std::visit(
        [&](const auto& o) {
          using T = std::decay_t<decltype(o)>;
          if constexpr (std::is_same_v<T, store::RecordBatch::PutOp>) {
            out.Put(o.record);
          } else if constexpr (std::is_same_v<T,
                                              store::RecordBatch::DeleteOp>) {
            out.Delete(o.key, o.generation);
          } else if constexpr (std::is_same_v<T, store::RecordBatch::StageOp>) {
            if (dropped.contains(o.run_id)) return;
            if (o.staged.tombstone) {
              out.StageTombstone(o.run_id, o.staged.record.key,
                                 o.staged.record.generation);
            } else {
              out.Stage(o.run_id, o.staged.record);
            }
          } else if constexpr (std::is_same_v<T,
                                              store::RecordBatch::CursorOp>) {
            out.SetCursor(o.name, o.seq);
          } else if constexpr (std::is_same_v<
                                   T, store::RecordBatch::PutCheckpointOp>) {
            if (dropped.contains(o.run_id)) return;
            out.PutCheckpoint(o.run_id, o.name, o.value);
          } else if constexpr (std::is_same_v<
                                   T, store::RecordBatch::DeleteCheckpointOp>) {
            if (dropped.contains(o.run_id)) return;
            out.DeleteCheckpoint(o.run_id, o.name);
          }
        },
        op);
  }
  return out;
}

}  // namespace retro::pipeline

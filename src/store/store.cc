#include "store/store.h"

#include "store/rocks_store.h"

namespace retro::store {

Event EventView::ToEvent() const {
  return Event{std::string(type),   std::string(id),
               std::string(tenant), time,
               std::string(source), seq,
               std::string(data)};
}

size_t AppendResult::conflicts() const {
  size_t n = 0;
  for (const Rejection& r : rejected) {
    if (absl::IsAlreadyExists(r.status)) ++n;
  }
  return n;
}

base::Hash128 RecordIdOf(const RecordKey& key) {
  base::Hasher h;
  h.Add("retro.record.v1")
      .Add(key.policy)
      .Add(key.origin_type)
      .Add(key.origin_id);
  return h.Finish();
}

std::string_view StagingStateName(StagingState s) {
  switch (s) {
    case StagingState::kStaging:
      return "staging";
    case StagingState::kPromoted:
      return "promoted";
    case StagingState::kRolledBack:
      return "rolled_back";
    case StagingState::kDiscarded:
      return "discarded";
    case StagingState::kFolded:
      return "folded";
    case StagingState::kFolding:
      return "folding";
  }
  return "unknown";
}

absl::StatusOr<std::unique_ptr<Store>> OpenStore(const StoreOptions& options) {
  auto store = rocks::RocksStore::Open(options);
  if (!store.ok()) return store.status();
  return std::unique_ptr<Store>(std::move(*store));
}

}  // namespace retro::store

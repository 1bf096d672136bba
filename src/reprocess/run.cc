#include "reprocess/run.h"

namespace retro::reprocess {

std::string_view RunModeName(RunMode mode) {
  switch (mode) {
    case RunMode::kDryRun:
      return "dry_run";
    case RunMode::kShadow:
      return "shadow";
    case RunMode::kDirect:
      return "direct";
  }
  return "shadow";
}

std::string_view RunStateName(RunState state) {
  switch (state) {
    case RunState::kQueued:
      return "queued";
    case RunState::kRunning:
      return "running";
    case RunState::kPaused:
      return "paused";
    case RunState::kSucceeded:
      return "succeeded";
    case RunState::kFailed:
      return "failed";
    case RunState::kCancelled:
      return "cancelled";
    case RunState::kPromoted:
      return "promoted";
    case RunState::kDiscarded:
      return "discarded";
    case RunState::kRolledBack:
      return "rolled_back";
  }
  return "queued";
}

bool IsOpen(RunMode mode, RunState state) {
  switch (state) {
    case RunState::kQueued:
    case RunState::kRunning:
    case RunState::kPaused:
      return true;
    case RunState::kSucceeded:
    case RunState::kFailed:
    case RunState::kCancelled:
      return mode != RunMode::kDryRun;
    case RunState::kPromoted:
    case RunState::kDiscarded:
    case RunState::kRolledBack:
      return false;
  }
  return false;
}

void Counters::Add(const Counters& o) {
  processed += o.processed;
  matched += o.matched;
  unmatched += o.unmatched;
  dropped += o.dropped;
  errors += o.errors;
  added += o.added;
  changed += o.changed;
  unchanged += o.unchanged;
  removed += o.removed;
}

}  // namespace retro::reprocess

#include "pipeline/handoff.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace retro::pipeline {

void HandoffCounts::Add(const HandoffCounts& o) {
  processed += o.processed;
  matched += o.matched;
  unmatched += o.unmatched;
  dropped += o.dropped;
  errors += o.errors;
  staged += o.staged;
  removed += o.removed;
}

std::string HandoffCounts::Encode() const {
  return absl::StrCat("{\"processed\":", processed, ",\"matched\":", matched,
                      ",\"unmatched\":", unmatched, ",\"dropped\":", dropped,
                      ",\"errors\":", errors, ",\"staged\":", staged,
                      ",\"removed\":", removed, "}");
}

// TODO(handoff): Decode.
absl::StatusOr<HandoffCounts> HandoffCounts::Decode(std::string_view) {
  return absl::UnimplementedError("HandoffCounts::Decode");
}

void HandoffRegistry::Set(std::shared_ptr<const Handoff> handoff) {
  std::lock_guard<std::mutex> lock(mu_);
  auto next = std::make_shared<HandoffList>();
  for (const auto& h : *current_) {
    if (h->run_id != handoff->run_id) next->push_back(h);
  }
  next->push_back(std::move(handoff));
  current_ = std::move(next);
}

void HandoffRegistry::Remove(std::string_view run_id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto next = std::make_shared<HandoffList>();
  for (const auto& h : *current_) {
    if (h->run_id != run_id) next->push_back(h);
  }
  current_ = std::move(next);
}

std::shared_ptr<const HandoffList> HandoffRegistry::Current() const {
  std::lock_guard<std::mutex> lock(mu_);
  return current_;
}

}  // namespace retro::pipeline

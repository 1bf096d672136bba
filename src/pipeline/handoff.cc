#include "pipeline/handoff.h"

#include <array>
#include <utility>

#include "absl/strings/str_cat.h"
#include "base/strings.h"
#include "simdjson.h"

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

absl::StatusOr<HandoffCounts> HandoffCounts::Decode(std::string_view text) {
  simdjson::dom::parser parser;
  simdjson::padded_string padded(text.data(), text.size());
  simdjson::dom::element root;
  if (auto error = parser.parse(padded).get(root); error) {
    return absl::InvalidArgumentError(absl::StrCat(
        "handoff counts are not valid JSON (", simdjson::error_message(error),
        "); expected an object like ", HandoffCounts{}.Encode()));
  }
  simdjson::dom::object object;
  if (root.get_object().get(object)) {
    return absl::InvalidArgumentError(
        absl::StrCat("handoff counts must be a JSON object like ",
                     HandoffCounts{}.Encode()));
  }
  HandoffCounts c;
  const std::array<std::pair<std::string_view, uint64_t*>, 7> fields = {{
      {"processed", &c.processed},
      {"matched", &c.matched},
      {"unmatched", &c.unmatched},
      {"dropped", &c.dropped},
      {"errors", &c.errors},
      {"staged", &c.staged},
      {"removed", &c.removed},
  }};
  // Missing fields are 0 and unknown ones are ignored, so a checkpoint
  // written by a newer version with more counters still reads.
  for (auto [key, value] : object) {
    for (const auto& [name, out] : fields) {
      if (key != name) continue;
      if (value.get_uint64().get(*out)) {
        return absl::InvalidArgumentError(
            absl::StrCat("handoff counts: '", base::AV(name),
                         "' must be a non-negative integer, not ",
                         base::AV(simdjson::to_string(value))));
      }
    }
  }
  return c;
}

void HandoffRegistry::Set(std::shared_ptr<const Handoff> handoff) {
  std::lock_guard<std::mutex> lock(mu_);
  auto next = std::make_shared<HandoffList>();
  for (const auto& h : *current_) {
    if (h->run_id != handoff->run_id || h->policy != handoff->policy) {
      next->push_back(h);
    }
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

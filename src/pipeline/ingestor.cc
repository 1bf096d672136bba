#include "pipeline/ingestor.h"

#include <chrono>

#include "absl/strings/str_cat.h"
#include "base/strings.h"
#include "policy/evaluator.h"

namespace retro::pipeline {
namespace {

int64_t SteadyNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::string CodeOf(const absl::Status& s) {
  switch (s.code()) {
    case absl::StatusCode::kAlreadyExists:
      return "conflict";
    case absl::StatusCode::kOutOfRange:
      return "out_of_range";
    default:
      return "invalid";
  }
}

}  // namespace

size_t IngestResult::conflicts() const {
  size_t n = 0;
  for (const Rejection& r : rejected) n += r.code == "conflict";
  return n;
}

Ingestor::Ingestor(store::Store* store, Catalog* catalog, LiveProcessor* live,
                   Metrics* metrics, IngestOptions options)
    : store_(store),
      catalog_(catalog),
      live_(live),
      metrics_(metrics),
      options_(options) {}

absl::StatusOr<IngestResult> Ingestor::Ingest(std::string_view type,
                                              std::string_view body,
                                              std::string_view source) {
  metrics_->ingest_requests->Increment();
  if (type.empty()) {
    metrics_->Reject("bad_request");
    return absl::InvalidArgumentError(
        "the event type is missing: add ?type=T (e.g. audit, event, usage)");
  }
  if (live_->recovering()) {
    metrics_->Reject("recovering");
    return absl::UnavailableError(absl::StrCat(
        "recovering: ", live_->recovery_pending(),
        " acknowledged events are being re-evaluated; retry shortly"));
  }
  BodyOptions body_options;
  body_options.max_items = options_.max_events_per_request;
  auto items = SplitBody(body, body_options);
  if (!items.ok()) {
    metrics_->Reject("bad_request");
    return items.status();
  }
  IngestResult result;
  result.items = items->size();
  auto snap = catalog_->Current();
  policy::Evaluator evaluator(&snap->sources());
  std::vector<store::Event> events;
  std::vector<size_t> index_of;  // events[i] is item index_of[i]
  events.reserve(items->size());
  index_of.reserve(items->size());
  absl::Time now = absl::Now();
  uint64_t bytes = 0;
  for (size_t i = 0; i < items->size(); ++i) {
    const BodyItem& item = (*items)[i];
    bytes += item.json.size();
    if (!item.error.empty()) {
      result.rejected.push_back({i, "invalid", item.error});
      continue;
    }
    absl::Status st = evaluator.Load(type, item.json);
    if (!st.ok()) {
      std::string where =
          item.line > 0 ? absl::StrCat("line ", item.line, ": ") : "";
      result.rejected.push_back(
          {i, "invalid", absl::StrCat(where, st.message())});
      continue;
    }
    const policy::Envelope& env = evaluator.envelope();
    store::Event& e = events.emplace_back();
    e.type = std::string(type);
    e.id = env.id;
    e.tenant = env.tenant;
    e.source = std::string(source);
    e.data = std::string(item.json);
    if (env.has_time) {
      e.time = env.time;
    } else {
      // No event time in the payload: the first arrival's time is kept, so a
      // re-sent event is still a duplicate.
      auto existing = store_->events().Get(type, e.id);
      e.time = existing.ok() && existing->has_value() ? (*existing)->time : now;
    }
    index_of.push_back(i);
  }
  metrics_->ingest_bytes->Increment(static_cast<double>(bytes));
  if (!events.empty()) {
    std::lock_guard<std::mutex> lock(append_mu_);
    if (!live_->HasRoom(events.size())) {
      metrics_->Reject("backpressure", static_cast<double>(events.size()));
      return absl::ResourceExhaustedError(absl::StrCat(
          "live processing is behind (", live_->depth(),
          " events queued); retry after a short wait"));
    }
    uint64_t before = store_->events().MaxSeq();
    store::AppendOptions ao;
    ao.sync = options_.sync;
    auto appended = store_->events().Append(events, ao);
    if (!appended.ok()) {
      metrics_->Reject("store_error", static_cast<double>(events.size()));
      return appended.status();
    }
    int64_t acked = SteadyNanos();
    uint64_t after = store_->events().MaxSeq();
    result.accepted = appended->accepted;
    result.duplicates = appended->duplicates;
    for (const auto& r : appended->rejected) {
      result.rejected.push_back({index_of[r.index], CodeOf(r.status),
                                 std::string(r.status.message())});
    }
    std::vector<LiveEvent> live;
    live.reserve(appended->accepted);
    uint64_t last = before;
    for (size_t i = 0; i < events.size(); ++i) {
      uint64_t seq = appended->seqs[i];
      if (seq <= last) continue;  // duplicate, rejected, or repeated in batch
      last = seq;
      events[i].seq = seq;
      live.push_back({std::move(events[i]), acked});
    }
    if (after > before) live_->Submit(std::move(live), after);
  }
  std::sort(result.rejected.begin(), result.rejected.end(),
            [](const auto& a, const auto& b) { return a.index < b.index; });
  metrics_->events_accepted->Increment(static_cast<double>(result.accepted));
  metrics_->events_duplicate->Increment(
      static_cast<double>(result.duplicates));
  for (const auto& r : result.rejected) metrics_->Reject(r.code);
  return result;
}

}  // namespace retro::pipeline

#include "pipeline/ingestor.h"

#include <algorithm>
#include <chrono>

#include "absl/strings/str_cat.h"
#include "base/status.h"
#include "base/strings.h"
#include "policy/evaluator.h"
#include "store/control_store.h"

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
                                              std::string_view source,
                                              const IngestAudit* audit) {
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
  std::vector<store::Event> events;
  std::vector<size_t> index_of;    // events[i] is item index_of[i]
  std::vector<bool> arrival_time;  // events[i] has no time of its own
  {
    auto snap = catalog_->Current();
    policy::Evaluator evaluator(&snap->sources());
    events.reserve(items->size());
    index_of.reserve(items->size());
    arrival_time.reserve(items->size());
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
      // No event time in the payload: the arrival's, unless the event is
      // already stored (the store then keeps the first arrival's time, so a
      // re-sent event is still a duplicate).
      e.time = env.has_time ? env.time : now;
      arrival_time.push_back(!env.has_time);
      index_of.push_back(i);
    }
    metrics_->ingest_bytes->Increment(static_cast<double>(bytes));
  }
  if (!events.empty()) {
    RETRO_RETURN_IF_ERROR(
        Append(type, audit, &events, index_of, arrival_time, &result));
  }
  std::sort(result.rejected.begin(), result.rejected.end(),
            [](const auto& a, const auto& b) { return a.index < b.index; });
  metrics_->events_accepted->Increment(static_cast<double>(result.accepted));
  metrics_->events_duplicate->Increment(static_cast<double>(result.duplicates));
  for (const auto& r : result.rejected) metrics_->Reject(r.code);
  return result;
}

absl::Status Ingestor::Append(std::string_view type, const IngestAudit* audit,
                              std::vector<store::Event>* events,
                              const std::vector<size_t>& index_of,
                              const std::vector<bool>& arrival_time,
                              IngestResult* result) {
  if (!live_->HasRoom(events->size())) {
    metrics_->Reject("backpressure", static_cast<double>(events->size()));
    return absl::ResourceExhaustedError(
        absl::StrCat("live processing is behind (", live_->depth(),
                     " events queued); retry after a short wait"));
  }
  store::AppendOptions ao;
  ao.sync = options_.sync;
  ao.arrival_time = &arrival_time;
  // The outcome, and the audit entry when one is wanted, decided before the
  // write so the entry is written with the events.
  ao.audit = [&](const store::AppendResult& r,
                 std::vector<store::AuditEntry>* entries) {
    for (const auto& rej : r.rejected) {
      result->rejected.push_back({index_of[rej.index], CodeOf(rej.status),
                                  std::string(rej.status.message())});
    }
    result->accepted = r.accepted;
    result->duplicates = r.duplicates;
    if (audit == nullptr) return;
    const bool conflict = r.accepted == 0 && r.duplicates == 0 &&
                          !result->rejected.empty() &&
                          result->conflicts() == result->rejected.size();
    store::AuditEntry& entry = entries->emplace_back();
    entry.time = absl::Now();
    entry.actor = audit->actor;
    entry.action = "events.ingest";
    entry.target = absl::StrCat("events/", base::AV(type));
    entry.outcome = conflict ? "conflict" : "ok";
    entry.details =
        absl::StrCat("{\"accepted\":", result->accepted,
                     ",\"duplicates\":", result->duplicates,
                     ",\"rejected\":", result->rejected.size(), "}");
    result->audited = true;
  };
  // Durable: hand the new events to live processing (in seq order: the
  // store calls this one append at a time).
  ao.durable = [&](const store::AppendResult& r) {
    const int64_t acked = SteadyNanos();
    std::vector<LiveEvent> live;
    live.reserve(r.accepted);
    uint64_t last = r.first_seq - 1;
    for (size_t i = 0; i < events->size(); ++i) {
      uint64_t seq = r.seqs[i];
      if (seq <= last) continue;  // duplicate, rejected, or repeated
      last = seq;
      (*events)[i].seq = seq;
      live.push_back({std::move((*events)[i]), acked});
    }
    live_->Submit(std::move(live), last);
  };
  const int64_t start = SteadyNanos();
  auto appended = store_->events().Append(*events, ao);
  if (!appended.ok()) {
    metrics_->Reject("store_error", static_cast<double>(events->size()));
    return appended.status();
  }
  live_->AddAppendLatency(SteadyNanos() - start);
  return absl::OkStatus();
}

}  // namespace retro::pipeline

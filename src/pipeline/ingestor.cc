#include "pipeline/ingestor.h"

#include <algorithm>
#include <chrono>

#include "absl/strings/str_cat.h"
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
  Pending p;
  p.type = type;
  p.audit = audit;
  p.result = &result;
  {
    auto snap = catalog_->Current();
    policy::Evaluator evaluator(&snap->sources());
    p.events.reserve(items->size());
    p.index_of.reserve(items->size());
    p.has_time.reserve(items->size());
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
      store::Event& e = p.events.emplace_back();
      e.type = std::string(type);
      e.id = env.id;
      e.tenant = env.tenant;
      e.source = std::string(source);
      e.data = std::string(item.json);
      // No event time in the payload: the leader keeps the first arrival's
      // time (CommitGroup), so a re-sent event is still a duplicate.
      e.time = env.has_time ? env.time : now;
      p.has_time.push_back(env.has_time);
      p.index_of.push_back(i);
    }
    metrics_->ingest_bytes->Increment(static_cast<double>(bytes));
  }
  if (!p.events.empty()) {
    std::unique_lock<std::mutex> lock(queue_mu_);
    queue_.push_back(&p);
    queue_cv_.wait(lock, [&] { return p.done || queue_.front() == &p; });
    if (!p.done) {
      // The leader: take the queued requests, up to the group's size.
      std::vector<Pending*> group;
      size_t n = 0;
      for (Pending* q : queue_) {
        if (!group.empty() &&
            n + q->events.size() > options_.max_events_per_group)
          break;
        group.push_back(q);
        n += q->events.size();
      }
      lock.unlock();
      CommitGroup(group);
      lock.lock();
      for (Pending* q : group) {
        queue_.pop_front();
        q->done = true;
      }
      queue_cv_.notify_all();
    }
  }
  if (!p.status.ok()) return p.status;
  std::sort(result.rejected.begin(), result.rejected.end(),
            [](const auto& a, const auto& b) { return a.index < b.index; });
  metrics_->events_accepted->Increment(static_cast<double>(result.accepted));
  metrics_->events_duplicate->Increment(static_cast<double>(result.duplicates));
  for (const auto& r : result.rejected) metrics_->Reject(r.code);
  return result;
}

void Ingestor::CommitGroup(const std::vector<Pending*>& group) {
  // Backpressure, request by request in queue order.
  std::vector<Pending*> admitted;
  size_t queued = 0;
  for (Pending* p : group) {
    if (!live_->HasRoom(queued + p->events.size())) {
      metrics_->Reject("backpressure", static_cast<double>(p->events.size()));
      p->status = absl::ResourceExhaustedError(
          absl::StrCat("live processing is behind (", live_->depth(),
                       " events queued); retry after a short wait"));
      continue;
    }
    queued += p->events.size();
    admitted.push_back(p);
  }
  if (admitted.empty()) return;

  // One batch, request after request. A time-less event keeps the time of
  // its first arrival: the stored event's, or that of an earlier request of
  // the group. Read here, after every earlier group's commit.
  std::vector<store::Event> events;
  events.reserve(queued);
  std::vector<size_t> offset;  // admitted[j]'s events start at offset[j]
  base::StringMap<absl::Time> first_time;
  for (Pending* p : admitted) {
    offset.push_back(events.size());
    for (size_t i = 0; i < p->events.size(); ++i) {
      store::Event& e = p->events[i];
      if (!p->has_time[i]) {
        auto [it, inserted] = first_time.try_emplace(
            absl::StrCat(e.type.size(), ":", e.type, e.id), e.time);
        if (inserted) {
          auto existing = store_->events().Get(e.type, e.id);
          if (existing.ok() && existing->has_value()) {
            it->second = (*existing)->time;
          }
        }
        e.time = it->second;
      }
      events.push_back(std::move(e));
    }
  }
  auto owner = [&](size_t i) {
    return static_cast<size_t>(
        std::upper_bound(offset.begin(), offset.end(), i) - offset.begin() - 1);
  };

  const uint64_t before = store_->events().MaxSeq();
  store::AppendOptions ao;
  ao.sync = options_.sync;
  // Each request's outcome, and the audit entries of those that want one,
  // decided before the write so they are written with the events.
  ao.audit = [&](const store::AppendResult& r,
                 std::vector<store::AuditEntry>* audit) {
    for (const auto& rej : r.rejected) {
      size_t j = owner(rej.index);
      admitted[j]->result->rejected.push_back(
          {admitted[j]->index_of[rej.index - offset[j]], CodeOf(rej.status),
           std::string(rej.status.message())});
    }
    uint64_t last = before;
    for (size_t i = 0; i < events.size(); ++i) {
      uint64_t seq = r.seqs[i];
      if (seq == 0) continue;  // rejected
      IngestResult* result = admitted[owner(i)]->result;
      if (seq > last) {
        last = seq;
        ++result->accepted;
      } else {
        ++result->duplicates;  // stored, or repeated in the group
      }
    }
    absl::Time now = absl::Now();
    for (Pending* p : admitted) {
      if (p->audit == nullptr) continue;
      const IngestResult& res = *p->result;
      bool conflict = res.accepted == 0 && res.duplicates == 0 &&
                      !res.rejected.empty() &&
                      res.conflicts() == res.rejected.size();
      store::AuditEntry& entry = audit->emplace_back();
      entry.time = now;
      entry.actor = p->audit->actor;
      entry.action = "events.ingest";
      entry.target = absl::StrCat("events/", base::AV(p->type));
      entry.outcome = conflict ? "conflict" : "ok";
      entry.details = absl::StrCat("{\"accepted\":", res.accepted,
                                   ",\"duplicates\":", res.duplicates,
                                   ",\"rejected\":", res.rejected.size(), "}");
      p->result->audited = true;
    }
  };
  auto appended = store_->events().Append(events, ao);
  if (!appended.ok()) {
    for (Pending* p : admitted) {
      metrics_->Reject("store_error", static_cast<double>(p->events.size()));
      p->status = appended.status();
    }
    return;
  }
  const int64_t acked = SteadyNanos();
  const uint64_t after = store_->events().MaxSeq();
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

}  // namespace retro::pipeline

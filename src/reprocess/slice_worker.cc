#include "reprocess/slice_worker.h"

#include <algorithm>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "base/status.h"
#include "base/time.h"
#include "cel/json.h"
#include "pipeline/record_convert.h"

namespace retro::reprocess {
namespace {

using policy::OutcomeKind;

// The outcome of every target for an event none of them may select.
const policy::Outcome kUnselected;

// The object GET /v1/records serves for a record.
std::string RecordJson(const store::Record& r) {
  std::string out = "{\"policy\":";
  cel::AppendJsonString(r.key.policy, &out);
  out.append(",\"origin_type\":");
  cel::AppendJsonString(r.key.origin_type, &out);
  out.append(",\"origin_id\":");
  cel::AppendJsonString(r.key.origin_id, &out);
  out.append(",\"rule\":");
  cel::AppendJsonString(r.rule, &out);
  absl::StrAppend(&out, ",\"generation\":", r.generation, ",\"tenant\":");
  cel::AppendJsonString(r.tenant, &out);
  out.append(",\"time\":");
  cel::AppendJsonString(base::FormatRfc3339(r.key.time), &out);
  out.append(",\"record\":");
  out.append(r.payload.empty() ? "null" : r.payload);
  out.push_back('}');
  return out;
}

void Count(Counters* c, OutcomeKind kind, bool matched_added,
           bool matched_changed) {
  ++c->processed;
  switch (kind) {
    case OutcomeKind::kMatched:
      ++c->matched;
      if (matched_added) {
        ++c->added;
      } else if (matched_changed) {
        ++c->changed;
      } else {
        ++c->unchanged;
      }
      break;
    case OutcomeKind::kUnselected:
    case OutcomeKind::kUnmatched:
      ++c->unmatched;
      break;
    case OutcomeKind::kDropped:
      ++c->dropped;
      break;
    case OutcomeKind::kError:
      ++c->errors;
      break;
  }
}

void CountReason(base::StringMap<uint64_t>* reasons, std::string_view reason) {
  auto it = reasons->find(reason);
  if (it != reasons->end()) {
    ++it->second;
  } else if (reasons->size() < kMaxReasonsPerSlice) {
    reasons->emplace(std::string(reason), 1);
  } else {
    ++(*reasons)[std::string(kOtherReasons)];
  }
}

}  // namespace

SliceWorker::SliceWorker(const ExecContext* ctx, store::Store* store)
    : ctx_(ctx),
      store_(store),
      evaluator_(&ctx->compiled->sources(), policy::StoredEventOptions()),
      visible_(ctx->compiled->targets.size()),
      n_visible_(ctx->compiled->targets.size()),
      join_pos_(ctx->compiled->targets.size()),
      point_visible_(ctx->compiled->targets.size()) {}

SliceWorker::~SliceWorker() = default;

absl::StatusOr<std::string> SliceWorker::ReadScan(const SlicePlan& plan,
                                                  const std::string& cursor,
                                                  size_t max_events) {
  store::EventFilter f;
  f.from = plan.from;
  f.to = plan.to;
  f.types = ctx_->types;
  f.tenants = ctx_->tenants;
  f.max_seq = ctx_->cutoff_seq;
  // With a filter, every event is loaded to evaluate it; without one, an
  // event no target may select is kept as its metadata only.
  const CompiledRun& run = *ctx_->compiled;
  const bool prefilter = run.filter == nullptr;
  return store_->events().Visit(
      f, cursor, max_events, [&](const store::EventView& v) {
        if (n_events_ == events_.size()) events_.emplace_back();
        Ev& e = events_[n_events_++];
        e.type.assign(v.type);
        e.id.assign(v.id);
        e.tenant.assign(v.tenant);
        e.time = v.time;
        e.seq = v.seq;
        e.unselectable = prefilter;
        if (prefilter) {
          for (const CompiledTarget& t : run.targets) {
            if (t.compiled->MaySelect(v.type, v.data, run.sources())) {
              e.unselectable = false;
              break;
            }
          }
        }
        if (e.unselectable) {
          e.data.clear();
        } else {
          // Spare capacity for the parser's padding: parsed where it lies.
          e.data.reserve(v.data.size() + cel::kJsonPadding);
          e.data.assign(v.data);
        }
        return true;
      });
}

absl::StatusOr<std::string> SliceWorker::ReadRetry(const SlicePlan& plan,
                                                   const std::string& cursor,
                                                   size_t max_events) {
  uint64_t next = plan.begin;
  if (!cursor.empty() && !absl::SimpleAtoi(cursor, &next)) {
    return absl::DataLossError("malformed retry cursor");
  }
  uint64_t end = std::min<uint64_t>(plan.end, next + max_events);
  for (; next < end; ++next) {
    const std::string& key = ctx_->retry_keys[next];
    size_t sep = key.find('\x1f');
    if (sep == std::string::npos) continue;
    RETRO_ASSIGN_OR_RETURN(
        std::optional<store::Event> ev,
        store_->events().Get(std::string_view(key).substr(0, sep),
                             std::string_view(key).substr(sep + 1)));
    if (n_events_ == events_.size()) events_.emplace_back();
    Ev& e = events_[n_events_++];
    if (!ev) {  // dropped by retention since: scanned, nothing to do
      e.type.clear();
      continue;
    }
    e.unselectable = false;
    e.type = std::move(ev->type);
    e.id = std::move(ev->id);
    e.tenant = std::move(ev->tenant);
    e.data = std::move(ev->data);
    e.data.reserve(e.data.size() + cel::kJsonPadding);
    e.time = ev->time;
    e.seq = ev->seq;
  }
  if (next >= plan.end) return std::string();
  return absl::StrCat(next);
}

absl::Status SliceWorker::ReadVisible() {
  const auto& targets = ctx_->compiled->targets;
  for (size_t t = 0; t < targets.size(); ++t) {
    n_visible_[t] = 0;
    join_pos_[t] = 0;
    if (ctx_->retry) {
      auto& pv = point_visible_[t];
      pv.assign(n_events_, std::nullopt);
      for (size_t i = 0; i < n_events_; ++i) {
        const Ev& e = events_[i];
        if (e.type.empty()) continue;
        store::RecordKey key{targets[t].policy, e.type, e.id, e.time};
        RETRO_ASSIGN_OR_RETURN(pv[i], store_->records().Get(key));
      }
      continue;
    }
    if (n_events_ == 0) continue;
    store::RecordQuery q;
    q.policy = targets[t].policy;
    q.from = events_[0].time;
    q.to = events_[n_events_ - 1].time + absl::Nanoseconds(1);
    auto& vis = visible_[t];
    size_t& n = n_visible_[t];
    RETRO_RETURN_IF_ERROR(
        store_->records().VisitVisible(q, [&](const store::Record& r) {
          if (n == vis.size()) {
            vis.push_back(r);
          } else {
            vis[n] = r;
          }
          ++n;
          return true;
        }));
  }
  return absl::OkStatus();
}

// Events come in (time, seq) order and records in (time, type, id) order:
// advance to the event's time, then look through the records of that
// instant (usually one or none).
const store::Record* SliceWorker::FindVisible(size_t target, size_t event) {
  const Ev& e = events_[event];
  if (ctx_->retry) {
    const auto& pv = point_visible_[target][event];
    return pv ? &*pv : nullptr;
  }
  const auto& vis = visible_[target];
  const size_t n = n_visible_[target];
  size_t& pos = join_pos_[target];
  while (pos < n && vis[pos].key.time < e.time) ++pos;
  for (size_t j = pos; j < n && vis[j].key.time == e.time; ++j) {
    if (vis[j].key.origin_id == e.id && vis[j].key.origin_type == e.type) {
      return &vis[j];
    }
  }
  return nullptr;
}

absl::StatusOr<size_t> SliceWorker::RunBatch(size_t index,
                                             const SlicePlan& plan,
                                             size_t max_events,
                                             SliceProgress* progress) {
  if (progress->done) return 0;
  n_events_ = 0;
  std::string next;
  if (ctx_->retry) {
    RETRO_ASSIGN_OR_RETURN(next, ReadRetry(plan, progress->cursor, max_events));
  } else {
    RETRO_ASSIGN_OR_RETURN(next, ReadScan(plan, progress->cursor, max_events));
  }
  RETRO_RETURN_IF_ERROR(ReadVisible());
  batch_.Clear();
  ProgressChunk chunk;
  Evaluate(progress, &chunk);
  progress->cursor = next;
  progress->done = next.empty();
  progress->scanned += n_events_;
  if (!chunk.empty()) {
    batch_.PutCheckpoint(ctx_->run_id,
                         ChunkCheckpointName(index, progress->chunks),
                         chunk.Encode());
    ++progress->chunks;
  }
  batch_.PutCheckpoint(ctx_->run_id, SliceCheckpointName(index),
                       progress->Encode());
  store::WriteOptions wo;
  // The checkpoint is in the same batch as the outputs it covers, so an
  // unsynced tail lost in a machine crash is simply redone. Nothing here is
  // synced: the run document that says the run ended is written with a
  // synced write, which makes every batch before it durable too (one WAL).
  wo.sync = false;
  RETRO_RETURN_IF_ERROR(store_->records().Commit(batch_, wo));
  return n_events_;
}

void SliceWorker::Evaluate(SliceProgress* progress, ProgressChunk* chunk) {
  const CompiledRun& run = *ctx_->compiled;
  const size_t k_samples = ctx_->samples_per_category;
  const size_t k_issues = ctx_->issues_kept;
  for (size_t i = 0; i < n_events_; ++i) {
    const Ev& e = events_[i];
    if (e.type.empty()) continue;  // a retry's event no longer stored
    if (ctx_->retry &&
        ((!ctx_->types.empty() && !ctx_->types.contains(e.type)) ||
         (!ctx_->tenants.empty() && !ctx_->tenants.contains(e.tenant)))) {
      progress->skipped += run.targets.size();
      continue;
    }
    // Stored events passed their envelope at ingest, so not loading an
    // unselectable one changes no outcome (src/reprocess/README.md).
    if (!e.unselectable) (void)evaluator_.LoadPadded(e.type, e.data);
    if (run.filter != nullptr &&
        evaluator_.Evaluate(*run.filter).kind == OutcomeKind::kUnselected) {
      progress->skipped += run.targets.size();
      continue;
    }
    Counters* tenant = nullptr;
    for (size_t t = 0; t < run.targets.size(); ++t) {
      const CompiledTarget& target = run.targets[t];
      const store::Record* vis = FindVisible(t, i);
      const policy::Outcome& o =
          e.unselectable ? kUnselected : evaluator_.Evaluate(*target.compiled);
      const OutcomeKind kind = o.kind;
      if (kind == OutcomeKind::kUnselected && vis == nullptr) {
        ++progress->skipped;
        continue;
      }
      if (tenant == nullptr) {
        auto it = progress->tenants.find(e.tenant);
        if (it == progress->tenants.end()) {
          it = progress->tenants.emplace(e.tenant, Counters{}).first;
        }
        tenant = &it->second;
      }
      const bool matched = kind == OutcomeKind::kMatched;
      const bool added = matched && vis == nullptr;
      const bool changed = matched && vis != nullptr &&
                           vis->content_hash != o.record.content_hash;
      Count(&progress->counters, kind, added, changed);
      Count(tenant, kind, added, changed);

      Category cat;
      switch (kind) {
        case OutcomeKind::kMatched:
          cat = added ? Category::kAdded
                      : (changed ? Category::kChanged : Category::kUnchanged);
          break;
        case OutcomeKind::kDropped:
          cat = Category::kDropped;
          break;
        case OutcomeKind::kError:
          cat = Category::kError;
          break;
        default:
          cat = Category::kUnmatched;
          break;
      }
      const bool remove = ctx_->purge_unmatched && vis != nullptr && !matched &&
                          kind != OutcomeKind::kError;
      if (remove) {
        cat = Category::kRemoved;
        ++progress->counters.removed;
        ++tenant->removed;
        if (ctx_->stage) {
          batch_.StageTombstone(ctx_->run_id, vis->key, target.generation);
        }
      }

      key_scratch_.assign(target.policy).push_back('\x1f');
      if (vis != nullptr) key_scratch_.append(vis->rule);
      key_scratch_.push_back('\x1f');
      if (matched) key_scratch_.append(o.rule);
      auto tr = progress->transitions.find(key_scratch_);
      if (tr != progress->transitions.end()) {
        ++tr->second;
      } else {
        progress->transitions.emplace(key_scratch_, 1);
      }

      const bool want_sample =
          static_cast<size_t>(progress->samples_in[static_cast<int>(cat)]) <
          k_samples;
      std::optional<store::Record> record;
      if (matched && (added || changed || want_sample)) {
        record = pipeline::ToStoreRecord(o, target.policy, target.generation,
                                         e.type, e.id, e.time, &json_scratch_);
      }
      if (kind == OutcomeKind::kDropped) {
        CountReason(&progress->drop_reasons, o.reason);
        if (progress->drops.size() < k_issues) {
          EventIssue issue{e.type, e.id, target.policy, o.reason};
          progress->drops.push_back(issue);
          chunk->drops.push_back(std::move(issue));
        }
      } else if (kind == OutcomeKind::kError) {
        CountReason(&progress->error_reasons, o.reason);
        if (progress->errors.size() < k_issues) {
          EventIssue issue{e.type, e.id, target.policy, o.reason};
          progress->errors.push_back(issue);
          chunk->errors.push_back(std::move(issue));
        }
        std::string value = target.policy;
        value.push_back('\x1f');
        value.append(o.reason);
        batch_.PutCheckpoint(ctx_->run_id, ErrorCheckpointName(e.type, e.id),
                             std::move(value));
      }
      if (want_sample) {
        Sample s;
        s.category = std::string(CategoryName(cat));
        s.policy = target.policy;
        s.origin_type = e.type;
        s.origin_id = e.id;
        s.tenant = e.tenant;
        s.time = e.time;
        if (vis != nullptr) s.old_record = RecordJson(*vis);
        if (record) s.new_record = RecordJson(*record);
        if (kind == OutcomeKind::kDropped || kind == OutcomeKind::kError) {
          s.reason = o.reason;
        }
        ++progress->samples_in[static_cast<int>(cat)];
        progress->samples.push_back(s);
        chunk->samples.push_back(std::move(s));
      }
      if (ctx_->stage && (added || changed)) {
        batch_.Stage(ctx_->run_id, std::move(*record));
      }
    }
  }
}

}  // namespace retro::reprocess

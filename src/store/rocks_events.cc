// EventStore on RocksDB: column families events, event_seq, event_ids,
// event_counts (docs/formats/store.md).
#include <algorithm>
#include <limits>
#include <map>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "base/status.h"
#include "base/strings.h"
#include "base/time.h"
#include "rocksdb/write_batch.h"
#include "store/codec.h"
#include "store/rocks_store.h"
#include "store/rocks_values.h"

namespace retro::store::rocks {
namespace {

using base::AV;

constexpr size_t kRetentionChunk = 4096;

std::string EncodeCursor(std::string_view key) {
  std::string raw = "\x01";
  raw.append(key);
  return codec::ToHex(raw);
}

// The key after which to resume, or an error for a malformed cursor.
absl::StatusOr<std::string> DecodeCursor(std::string_view cursor,
                                         size_t key_size) {
  std::string raw;
  if (!codec::FromHex(cursor, &raw) || raw.size() != key_size + 1 ||
      raw[0] != '\x01') {
    return absl::InvalidArgumentError("malformed cursor");
  }
  return raw.substr(1);
}

bool Matches(const base::StringSet& set, std::string_view v) {
  return set.empty() || set.contains(v);
}

struct SnapshotHolder {
  rocksdb::DB* db;
  const rocksdb::Snapshot* snapshot;
  ~SnapshotHolder() { db->ReleaseSnapshot(snapshot); }
};

// Append's write batch: the bytes it will hold for the new events (so the
// batch is allocated once), with room for counts, meta and audit entries.
size_t AppendBatchBytes(std::span<const Event> events,
                        const std::vector<size_t>& fresh,
                        const std::vector<std::string>& id_keys) {
  if (fresh.empty()) return 0;
  size_t bytes = 4096;
  for (size_t i : fresh) {
    const Event& e = events[i];
    // Per record: tag, cf id, two varint lengths (at most 1 + 1 + 5 + 5).
    bytes += 3 * 12 + 16 + 8 + 8 + id_keys[i].size() + 1 + 8 + 8 + 16 + 1 +
             5 * 5 + e.type.size() + e.id.size() + e.tenant.size() +
             e.source.size() + e.data.size();
  }
  return bytes;
}

struct EventCfs {
  rocksdb::ColumnFamilyHandle* events;
  rocksdb::ColumnFamilyHandle* event_seq;
  rocksdb::ColumnFamilyHandle* event_ids;
};

// Puts the new events `fresh` (input indices, in seq order) and their index
// entries. Each column family's entries go in key order: the memtable's
// skip list then inserts next to the previous key instead of searching
// from the top for each one (the order of a batch's puts of distinct keys
// does not change what it writes).
void PutNewEvents(std::span<const Event> events,
                  const std::vector<size_t>& fresh,
                  const std::vector<std::string>& id_keys,
                  const std::vector<base::Hash128>& hashes,
                  const std::vector<uint64_t>& seqs, const EventCfs& cfs,
                  rocksdb::WriteBatch* wb) {
  if (fresh.empty()) return;
  struct ByTime {
    int64_t nanos;
    uint64_t seq;
    size_t index;
  };
  std::vector<ByTime> by_time;
  by_time.reserve(fresh.size());
  for (size_t i : fresh) {
    by_time.push_back({codec::TimeNanos(events[i].time), seqs[i], i});
  }
  std::sort(by_time.begin(), by_time.end(),
            [](const ByTime& a, const ByTime& b) {
              return a.nanos != b.nanos ? a.nanos < b.nanos : a.seq < b.seq;
            });
  std::string key, header;
  for (const ByTime& t : by_time) {
    const Event& e = events[t.index];
    key.clear();
    codec::PutTime(&key, e.time);
    codec::PutU64BE(&key, t.seq);
    // The value is EventValue(e), written in two parts so the payload is
    // copied once, straight into the batch.
    header.clear();
    header.push_back(static_cast<char>(codec::kValueVersion));
    codec::PutLp(&header, e.type);
    codec::PutLp(&header, e.id);
    codec::PutLp(&header, e.tenant);
    codec::PutLp(&header, e.source);
    codec::PutVarint(&header, e.data.size());
    rocksdb::Slice key_slice(key);
    rocksdb::Slice parts[2] = {rocksdb::Slice(header), rocksdb::Slice(e.data)};
    wb->Put(cfs.events, rocksdb::SliceParts(&key_slice, 1),
            rocksdb::SliceParts(parts, 2));
  }
  std::string value;
  for (size_t i : fresh) {  // seq order
    key.clear();
    codec::PutU64BE(&key, seqs[i]);
    value.clear();
    codec::PutTime(&value, events[i].time);
    wb->Put(cfs.event_seq, key, value);
  }
  std::vector<size_t> by_id = fresh;
  std::sort(by_id.begin(), by_id.end(),
            [&](size_t a, size_t b) { return id_keys[a] < id_keys[b]; });
  for (size_t i : by_id) {
    wb->Put(cfs.event_ids, id_keys[i],
            EncodeEventId({seqs[i], events[i].time, hashes[i]}));
  }
}

absl::Status BeforeFloor(absl::Time time, absl::Time floor) {
  return absl::OutOfRangeError(absl::StrCat(
      "event time ", base::FormatRfc3339(time),
      " is before the oldest retained day ", base::FormatRfc3339(floor)));
}

}  // namespace

absl::Time RocksStore::OldestRetained() const {
  int64_t ns = retention_floor_ns_.load();
  if (ns == std::numeric_limits<int64_t>::min()) return absl::InfinitePast();
  return absl::FromUnixNanos(ns);
}

absl::Status RocksStore::CheckRetention(absl::Time from) const {
  absl::Time floor = OldestRetained();
  if (from == absl::InfinitePast() || from >= floor) return absl::OkStatus();
  return absl::OutOfRangeError(absl::StrCat(
      "range starts at ", base::FormatRfc3339(from),
      ", before the oldest retained day ", base::FormatRfc3339(floor),
      " (raw events are kept for ", options_.retention_days, " days)"));
}

absl::Status RocksStore::ValidateEvent(const Event& e) const {
  auto too_long = [&](std::string_view field, std::string_view v) {
    return absl::InvalidArgumentError(
        absl::StrCat("event ", AV(field), " is ", v.size(),
                     " bytes; the limit is ", options_.max_key_bytes));
  };
  if (e.type.empty()) return absl::InvalidArgumentError("event type is empty");
  if (e.id.empty()) return absl::InvalidArgumentError("event id is empty");
  if (e.type.size() > options_.max_key_bytes) return too_long("type", e.type);
  if (e.id.size() > options_.max_key_bytes) return too_long("id", e.id);
  if (e.tenant.size() > options_.max_key_bytes) {
    return too_long("tenant", e.tenant);
  }
  if (e.source.size() > options_.max_key_bytes) {
    return too_long("source", e.source);
  }
  if (e.data.size() > options_.max_event_bytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("event payload is ", e.data.size(),
                     " bytes; the limit is ", options_.max_event_bytes));
  }
  static const absl::Time kMin =
      absl::FromUnixNanos(std::numeric_limits<int64_t>::min() + 1);
  static const absl::Time kMax =
      absl::FromUnixNanos(std::numeric_limits<int64_t>::max() - 1);
  if (e.time < kMin || e.time > kMax) {
    return absl::InvalidArgumentError(
        "event time is outside the years 1678..2262");
  }
  return absl::OkStatus();
}

absl::StatusOr<AppendResult> RocksStore::Append(std::span<const Event> events,
                                                const AppendOptions& options) {
  const size_t n = events.size();
  AppendResult result;
  result.seqs.assign(n, 0);
  std::vector<absl::Status> status(n);
  std::vector<std::string> id_keys(n);
  std::vector<base::Hash128> hashes(n);
  for (size_t i = 0; i < n; ++i) {
    status[i] = ValidateEvent(events[i]);
    if (!status[i].ok()) continue;
    id_keys[i] = EventIdKey(events[i].type, events[i].id);
    hashes[i] = EventContentHash(events[i]);
  }
  auto arrival_time = [&](size_t i) {
    return options.arrival_time != nullptr && (*options.arrival_time)[i];
  };

  // Decide, under events_mu_: each event's fate and seq, in input order.
  std::vector<size_t> fresh;  // input indices of the new events, seq order
  fresh.reserve(n);
  std::vector<std::string> fresh_keys;  // their id keys, for inflight_
  std::map<std::string, uint64_t> counts;
  std::vector<AuditEntry> audit;
  uint64_t next_audit = 0;  // after this append's entries
  uint64_t ticket = 0;
  uint64_t seq = 0;
  {
    absl::MutexLock lock(&events_mu_);
    absl::Time floor = OldestRetained();
    // What is known per key: from an append in flight, the store, or an
    // earlier event of this batch. Keys are looked up once each.
    absl::flat_hash_map<std::string_view, EventIdValue> known;
    std::vector<rocksdb::Slice> lookup_keys;
    {
      absl::MutexLock inflight(&inflight_mu_);
      for (size_t i = 0; i < n; ++i) {
        if (!status[i].ok()) continue;
        if (events[i].time < floor && !arrival_time(i)) {
          status[i] = BeforeFloor(events[i].time, floor);
          continue;
        }
        auto [it, inserted] = known.try_emplace(id_keys[i]);
        if (!inserted) continue;
        auto flying = inflight_.find(id_keys[i]);
        if (flying != inflight_.end()) {
          it->second = flying->second;
        } else {
          lookup_keys.emplace_back(id_keys[i]);
        }
      }
    }
    if (!lookup_keys.empty()) {
      std::vector<std::string> values;
      std::vector<rocksdb::ColumnFamilyHandle*> cfs(lookup_keys.size(),
                                                    cf(kEventIds));
      std::vector<rocksdb::Status> got =
          db_->MultiGet(rocksdb::ReadOptions(), cfs, lookup_keys, &values);
      for (size_t k = 0; k < lookup_keys.size(); ++k) {
        std::string_view key(lookup_keys[k].data(), lookup_keys[k].size());
        if (got[k].IsNotFound()) {
          known.erase(key);
          continue;
        }
        RETRO_RETURN_IF_ERROR(FromRocks(got[k], "looking up event ids"));
        if (!ParseEventId(values[k], &known[key])) {
          return absl::DataLossError("malformed event id entry");
        }
      }
    }

    seq = next_seq_;
    for (size_t i = 0; i < n; ++i) {
      if (!status[i].ok()) continue;
      const Event& e = events[i];
      auto it = known.find(id_keys[i]);
      if (it != known.end()) {
        base::Hash128 hash = hashes[i];
        if (arrival_time(i) && it->second.time != e.time) {
          Event first = e;
          first.time = it->second.time;
          hash = EventContentHash(first);
        }
        if (it->second.content_hash == hash) {
          ++result.duplicates;
          result.seqs[i] = it->second.seq;
        } else {
          status[i] = absl::AlreadyExistsError(
              absl::StrCat("event (", e.type, ", ", e.id,
                           ") is already stored with different content (seq ",
                           it->second.seq, "); events are immutable"));
        }
        continue;
      }
      if (e.time < floor) {  // an arrival time, yet before the floor
        status[i] = BeforeFloor(e.time, floor);
        continue;
      }
      const uint64_t s = seq++;
      known.emplace(id_keys[i], EventIdValue{s, e.time, hashes[i]});
      ++counts[CountKey(e.time, e.type, e.tenant)];
      result.seqs[i] = s;
      fresh.push_back(i);
      ++result.accepted;
    }
    if (result.accepted > 0) result.first_seq = next_seq_;
    for (size_t i = 0; i < n; ++i) {
      if (!status[i].ok()) result.rejected.push_back({i, std::move(status[i])});
    }
    if (options.audit) options.audit(result, &audit);
    if (!audit.empty()) {
      absl::MutexLock control(&control_mu_);
      next_audit = next_audit_;
      for (AuditEntry& entry : audit) entry.number = next_audit++;
      next_audit_ = next_audit;
    }
    if (!fresh.empty()) {
      fresh_keys.reserve(fresh.size());
      absl::MutexLock inflight(&inflight_mu_);
      for (size_t i : fresh) {
        fresh_keys.push_back(id_keys[i]);
        inflight_.emplace(id_keys[i], EventIdValue{result.seqs[i],
                                                   events[i].time, hashes[i]});
      }
    }
    // Every append takes a ticket, also one with nothing to write: its
    // duplicates may be of events still in flight, and it must not answer
    // before they are durable.
    ticket = issued_tickets_.load() + 1;
    issued_tickets_.store(ticket);
    next_seq_ = seq;
  }

  // Write, concurrently with other appends.
  absl::Status written;
  if (result.accepted > 0 || !audit.empty()) {
    rocksdb::WriteBatch wb(AppendBatchBytes(events, fresh, id_keys));
    PutNewEvents(events, fresh, id_keys, hashes, result.seqs,
                 {cf(kEvents), cf(kEventSeq), cf(kEventIds)}, &wb);
    std::string v;
    if (result.accepted > 0) {
      for (const auto& [key, count] : counts) {
        v.clear();
        codec::PutU64BE(&v, count);
        wb.Merge(cf(kEventCounts), key, v);
      }
      // Two appends' batches may land in either order: the meta counters
      // are merged with max (docs/formats/store.md).
      v.clear();
      codec::PutU64BE(&v, seq);
      wb.Merge(cf(kDefault), "next_seq", v);
    }
    if (!audit.empty()) {
      for (const AuditEntry& entry : audit) {
        wb.Put(cf(kAudit), AuditKey(entry.time, entry.number),
               EncodeAudit(entry));
      }
      v.clear();
      codec::PutU64BE(&v, next_audit);
      wb.Merge(cf(kDefault), "next_audit", v);
    }
    if (hooks_.before_append_write) hooks_.before_append_write(ticket);
    written = Write(&wb, options.sync, "appending events");
  }
  RETRO_RETURN_IF_ERROR(
      FinishAppend(ticket, written, seq - 1, fresh_keys, result, options));
  return result;
}

void RocksStore::AwaitAppends(uint64_t ticket) {
  absl::MutexLock lock(&commit_mu_);
  while (finished_tickets_ < ticket) commit_cv_.Wait(&commit_mu_);
}

absl::Status RocksStore::FinishAppend(
    uint64_t ticket, const absl::Status& written, uint64_t last_seq,
    const std::vector<std::string>& fresh_keys, const AppendResult& result,
    const AppendOptions& options) {
  absl::MutexLock lock(&commit_mu_);
  while (finished_tickets_ + 1 < ticket) commit_cv_.Wait(&commit_mu_);
  if (!fresh_keys.empty()) {
    // Written (readable) or failed: either way no longer in flight.
    absl::MutexLock inflight(&inflight_mu_);
    for (const std::string& key : fresh_keys) inflight_.erase(key);
  }
  absl::Status outcome = written;
  if (!written.ok()) {
    // Appends decided before this one finished may count its events as
    // stored: they fail too, whatever their own write did.
    poisoned_through_ = std::max(poisoned_through_, issued_tickets_.load());
  } else {
    if (result.accepted > 0) {
      max_seq_.store(std::max(max_seq_.load(), last_seq));
      if (options.durable) options.durable(result);
    }
    if (ticket <= poisoned_through_) {
      outcome = absl::AbortedError(
          "an earlier append failed while this one was decided; send the "
          "events again (those already stored are then duplicates)");
    }
  }
  finished_tickets_ = ticket;
  commit_cv_.SignalAll();
  return outcome;
}

absl::StatusOr<std::optional<Event>> RocksStore::Get(std::string_view type,
                                                     std::string_view id) {
  const rocksdb::Snapshot* snap = db_->GetSnapshot();
  SnapshotHolder holder{db_.get(), snap};
  RETRO_ASSIGN_OR_RETURN(std::optional<std::string> idv,
                         GetRaw(kEventIds, EventIdKey(type, id), snap));
  if (!idv) return std::nullopt;
  EventIdValue v;
  if (!ParseEventId(*idv, &v)) {
    return absl::DataLossError("malformed event id entry");
  }
  RETRO_ASSIGN_OR_RETURN(std::optional<std::string> value,
                         GetRaw(kEvents, EventKey(v.time, v.seq), snap));
  if (!value) return std::nullopt;  // dropped by retention meanwhile
  EventView view;
  if (!ParseEventValue(*value, &view)) {
    return absl::DataLossError("malformed event");
  }
  view.time = v.time;
  view.seq = v.seq;
  return view.ToEvent();
}

absl::Status RocksStore::VisitEventsAt(const EventFilter& filter,
                                       std::string_view cursor, size_t limit,
                                       const rocksdb::Snapshot* snapshot,
                                       const EventVisitor& visit,
                                       std::string* next) {
  next->clear();
  RETRO_RETURN_IF_ERROR(CheckRetention(filter.from));
  std::string lower = EventKey(std::max(filter.from, OldestRetained()), 0);
  if (!cursor.empty()) {
    RETRO_ASSIGN_OR_RETURN(std::string after, DecodeCursor(cursor, 16));
    if (after >= lower) lower = codec::Successor(after);
  }
  std::string upper = EventKey(filter.to, 0);
  if (lower >= upper) return absl::OkStatus();
  rocksdb::Slice upper_slice(upper);
  rocksdb::ReadOptions ro;
  ro.snapshot = snapshot;
  ro.iterate_upper_bound = &upper_slice;
  ro.fill_cache = false;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, cf(kEvents)));
  size_t visited = 0;
  std::string last;
  for (it->Seek(lower); it->Valid(); it->Next()) {
    std::string_view key(it->key().data(), it->key().size());
    EventView view;
    if (!ParseEventKey(key, &view.time, &view.seq) ||
        !ParseEventValue({it->value().data(), it->value().size()}, &view)) {
      return absl::DataLossError("malformed event");
    }
    if (filter.max_seq != 0 && view.seq > filter.max_seq) continue;
    if (!Matches(filter.types, view.type) ||
        !Matches(filter.tenants, view.tenant)) {
      continue;
    }
    if (limit != 0 && visited == limit) {
      *next = EncodeCursor(last);  // more remain
      return absl::OkStatus();
    }
    ++visited;
    last.assign(key);
    if (!visit(view)) {
      *next = EncodeCursor(last);
      return absl::OkStatus();
    }
  }
  return FromRocks(it->status(), "scanning events");
}

absl::StatusOr<std::string> RocksStore::Visit(const EventFilter& filter,
                                              std::string_view cursor,
                                              size_t limit,
                                              const EventVisitor& visit) {
  std::string next;
  RETRO_RETURN_IF_ERROR(
      VisitEventsAt(filter, cursor, limit, nullptr, visit, &next));
  return next;
}

absl::StatusOr<EventPage> RocksStore::Scan(const EventFilter& filter,
                                           std::string_view cursor,
                                           size_t limit) {
  if (limit == 0) return absl::InvalidArgumentError("limit must be positive");
  EventPage page;
  RETRO_RETURN_IF_ERROR(VisitEventsAt(
      filter, cursor, limit, nullptr,
      [&](const EventView& v) {
        page.events.push_back(v.ToEvent());
        return true;
      },
      &page.next_cursor));
  return page;
}

absl::StatusOr<std::vector<Event>> RocksStore::ScanSeq(uint64_t after_seq,
                                                       uint64_t max_seq,
                                                       size_t limit) {
  if (limit == 0) return absl::InvalidArgumentError("limit must be positive");
  const rocksdb::Snapshot* snap = db_->GetSnapshot();
  SnapshotHolder holder{db_.get(), snap};
  rocksdb::ReadOptions ro;
  ro.snapshot = snap;
  std::vector<std::string> keys;
  {
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, cf(kEventSeq)));
    std::string start;
    codec::PutU64BE(&start, after_seq + 1);
    for (it->Seek(start); it->Valid() && keys.size() < limit; it->Next()) {
      std::string_view k(it->key().data(), it->key().size());
      uint64_t seq;
      if (!codec::GetU64BE(&k, &seq) || it->value().size() != 8) {
        return absl::DataLossError("malformed event_seq entry");
      }
      if (max_seq != 0 && seq > max_seq) break;
      std::string ekey(it->value().data(), 8);
      codec::PutU64BE(&ekey, seq);
      keys.push_back(std::move(ekey));
    }
    RETRO_RETURN_IF_ERROR(FromRocks(it->status(), "scanning event_seq"));
  }
  std::vector<rocksdb::Slice> slices(keys.begin(), keys.end());
  std::vector<rocksdb::ColumnFamilyHandle*> cfs(keys.size(), cf(kEvents));
  std::vector<std::string> values;
  std::vector<rocksdb::Status> got = db_->MultiGet(ro, cfs, slices, &values);
  std::vector<Event> out;
  out.reserve(keys.size());
  for (size_t i = 0; i < keys.size(); ++i) {
    if (got[i].IsNotFound()) continue;  // dropped by retention
    RETRO_RETURN_IF_ERROR(FromRocks(got[i], "reading events"));
    EventView view;
    if (!ParseEventKey(keys[i], &view.time, &view.seq) ||
        !ParseEventValue(values[i], &view)) {
      return absl::DataLossError("malformed event");
    }
    out.push_back(view.ToEvent());
  }
  return out;
}

absl::StatusOr<EventTotals> RocksStore::Count(const EventFilter& filter) {
  RETRO_RETURN_IF_ERROR(CheckRetention(filter.from));
  // A snapshot of every append decided so far, and nothing of a later one:
  // the counts and next_seq in it then agree.
  EventTotals totals;
  const rocksdb::Snapshot* snap;
  {
    absl::MutexLock lock(&events_mu_);
    AwaitAppends(issued_tickets_.load());
    snap = db_->GetSnapshot();
    totals.cutoff_seq = max_seq_.load();
  }
  SnapshotHolder holder{db_.get(), snap};
  const absl::Time from = std::max(filter.from, OldestRetained());
  const absl::Time to = filter.to;
  if (from >= to || totals.cutoff_seq == 0) return totals;

  auto scan = [&](absl::Time a, absl::Time b) -> absl::Status {
    EventFilter f = filter;
    f.from = a;
    f.to = b;
    f.max_seq = totals.cutoff_seq;
    std::string unused;
    return VisitEventsAt(
        f, "", 0, snap,
        [&](const EventView&) {
          ++totals.total;
          return true;
        },
        &unused);
  };
  int64_t first = codec::HourIndex(from);
  int64_t last = codec::HourIndex(to);  // the hour containing `to`
  bool head_partial = codec::HourStart(first) < from;
  bool tail_partial = codec::HourStart(last) < to;
  if (first == last) {
    RETRO_RETURN_IF_ERROR(scan(from, to));
    return totals;
  }
  int64_t full_begin = first, full_end = last;  // [begin, end) whole hours
  if (head_partial) {
    RETRO_RETURN_IF_ERROR(scan(from, codec::HourStart(first + 1)));
    ++full_begin;
  }
  if (tail_partial) {
    RETRO_RETURN_IF_ERROR(scan(codec::HourStart(last), to));
  }
  if (full_begin >= full_end) return totals;
  std::string lower, upper;
  codec::PutHour(&lower, codec::HourStart(full_begin));
  codec::PutHour(&upper, codec::HourStart(full_end));
  rocksdb::Slice upper_slice(upper);
  rocksdb::ReadOptions ro;
  ro.snapshot = snap;
  ro.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, cf(kEventCounts)));
  for (it->Seek(lower); it->Valid(); it->Next()) {
    int64_t hour;
    std::string type, tenant;
    std::string_view value(it->value().data(), it->value().size());
    uint64_t count;
    if (!ParseCountKey({it->key().data(), it->key().size()}, &hour, &type,
                       &tenant) ||
        !codec::GetU64BE(&value, &count)) {
      return absl::DataLossError("malformed event count");
    }
    if (Matches(filter.types, type) && Matches(filter.tenants, tenant)) {
      totals.total += count;
    }
  }
  RETRO_RETURN_IF_ERROR(FromRocks(it->status(), "reading event counts"));
  return totals;
}

absl::StatusOr<std::vector<HourCount>> RocksStore::HourlyCounts(
    const EventFilter& filter) {
  RETRO_RETURN_IF_ERROR(CheckRetention(filter.from));
  const absl::Time from = std::max(filter.from, OldestRetained());
  std::string lower;
  codec::PutHour(&lower, from);
  std::unique_ptr<rocksdb::Iterator> it(
      db_->NewIterator(rocksdb::ReadOptions(), cf(kEventCounts)));
  std::vector<HourCount> out;
  for (it->Seek(lower); it->Valid(); it->Next()) {
    HourCount hc;
    int64_t hour;
    std::string_view value(it->value().data(), it->value().size());
    if (!ParseCountKey({it->key().data(), it->key().size()}, &hour, &hc.type,
                       &hc.tenant) ||
        !codec::GetU64BE(&value, &hc.count)) {
      return absl::DataLossError("malformed event count");
    }
    hc.hour = codec::HourStart(hour);
    if (hc.hour >= filter.to) break;
    if (Matches(filter.types, hc.type) && Matches(filter.tenants, hc.tenant)) {
      out.push_back(std::move(hc));
    }
  }
  RETRO_RETURN_IF_ERROR(FromRocks(it->status(), "reading event counts"));
  return out;
}

absl::StatusOr<RetentionResult> RocksStore::ApplyRetention(absl::Time now) {
  const absl::Time wanted =
      codec::DayStart(now) - absl::Hours(24 * (options_.retention_days - 1));
  {
    absl::MutexLock lock(&events_mu_);
    if (wanted > OldestRetained()) {
      std::string v;
      codec::PutTime(&v, wanted);
      rocksdb::WriteBatch wb;
      wb.Put(cf(kDefault), "retention_floor", v);
      RETRO_RETURN_IF_ERROR(Write(&wb, true, "setting the retention floor"));
      retention_floor_ns_.store(codec::TimeNanos(wanted));
    }
    // Appends decided against the old floor may still be writing.
    AwaitAppends(issued_tickets_.load());
  }
  RetentionResult result;
  result.oldest_retained = OldestRetained();
  // Appends below the floor are refused from here on, so the range below it
  // only shrinks. Drop its index entries, then the range itself.
  const std::string end = EventKey(result.oldest_retained, 0);
  rocksdb::Slice end_slice(end);
  rocksdb::ReadOptions ro;
  ro.iterate_upper_bound = &end_slice;
  ro.fill_cache = false;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, cf(kEvents)));
  rocksdb::WriteBatch wb;
  size_t in_batch = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    std::string_view key(it->key().data(), it->key().size());
    EventView view;
    if (!ParseEventKey(key, &view.time, &view.seq) ||
        !ParseEventValue({it->value().data(), it->value().size()}, &view)) {
      return absl::DataLossError("malformed event");
    }
    wb.Delete(cf(kEventSeq), rocksdb::Slice(key.data() + 8, 8));
    wb.Delete(cf(kEventIds), EventIdKey(view.type, view.id));
    ++result.events_dropped;
    if (++in_batch == kRetentionChunk) {
      RETRO_RETURN_IF_ERROR(Write(&wb, false, "dropping old events"));
      wb.Clear();
      in_batch = 0;
    }
  }
  RETRO_RETURN_IF_ERROR(FromRocks(it->status(), "scanning old events"));
  if (in_batch > 0) {
    RETRO_RETURN_IF_ERROR(Write(&wb, false, "dropping old events"));
  }
  std::string count_end;
  codec::PutHour(&count_end, result.oldest_retained);
  wb.Clear();
  wb.DeleteRange(cf(kEvents), "", end);
  wb.DeleteRange(cf(kEventCounts), "", count_end);
  RETRO_RETURN_IF_ERROR(Write(&wb, true, "dropping old days"));
  return result;
}

}  // namespace retro::store::rocks

// EventStore: the raw event log (bronze) — immutable events, deduplicated by
// (type, id), numbered by a monotonic ingest seq, scanned by time or by seq,
// counted per hour, dropped by whole days.
//
// Thread-safety: all methods may be called concurrently from any thread.
// Concurrent appends decide their events' fates and seqs one at a time, in
// one order, and then write concurrently (so the backend can merge their
// syncs and share the work of applying them); they finish in that same
// order. Once MaxSeq() returns n, every event with seq ≤ n is readable.
// Reads never block appends for longer than a memtable lookup; Count waits
// for the appends in flight to finish (a write's time).
#ifndef RETRO_STORE_EVENT_STORE_H_
#define RETRO_STORE_EVENT_STORE_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "base/strings.h"

namespace retro::store {

// A raw event: the envelope plus the JSON payload bytes as received.
struct Event {
  std::string type;    // e.g. "audit"; non-empty
  std::string id;      // unique within type; non-empty
  std::string tenant;  // may be empty
  absl::Time time;     // event time, ns precision; must be finite
  std::string source;  // where it came from (not part of its content)
  uint64_t seq = 0;    // assigned by Append; ignored on input
  std::string data;    // the payload (JSON object bytes)

  friend bool operator==(const Event&, const Event&) = default;
};

// A borrowed view of a stored event, valid only inside the visitor call that
// receives it (no copies on the scan hot path).
struct EventView {
  std::string_view type, id, tenant, source, data;
  absl::Time time;
  uint64_t seq = 0;
  Event ToEvent() const;
};

struct AppendResult;
struct AuditEntry;  // control_store.h

struct AppendOptions {
  // true: the WAL is synced before Append returns, so an acknowledged event
  // survives a crash of the process or the machine.
  bool sync = true;
  // Optional: called once every event's fate is decided and before the
  // write; the audit entries it adds to `audit` are written in the same
  // atomic (and, with `sync`, synced) write as the events, also when no
  // event is new. Their numbers are assigned as by ControlStore::AppendAudit.
  // Runs under the store's writer lock: it must not call the store.
  std::function<void(const AppendResult&, std::vector<AuditEntry>* audit)>
      audit;
  // Optional, one flag per event: the event's time is its arrival's (the
  // payload gave none). When its (type, id) is already stored, or earlier in
  // this batch or in an append in flight, the stored time is its time, so a
  // re-sent event is a duplicate rather than a conflict.
  const std::vector<bool>* arrival_time = nullptr;
  // Optional: called once the accepted events are durable (with `sync`)
  // and readable and MaxSeq() covers them, before Append returns. Appends'
  // calls come one at a time in seq order, each after every earlier
  // append's, so a consumer sees new events in seq order. It must not call
  // the store. Not called when nothing was written.
  std::function<void(const AppendResult&)> durable;
};

struct AppendResult {
  struct Rejection {
    size_t index;         // position in the input batch
    absl::Status status;  // AlreadyExists: conflict (same key, other
                          // content); OutOfRange: before the oldest retained
                          // day; InvalidArgument: malformed envelope
  };
  size_t accepted = 0;
  size_t duplicates = 0;            // same (type, id) and same content: a no-op
  std::vector<Rejection> rejected;  // in input order
  // Per input index: the seq of the stored event (new or the existing one
  // for a duplicate); 0 when rejected.
  std::vector<uint64_t> seqs;
  // The accepted events have seqs first_seq .. first_seq + accepted - 1, in
  // input order (0 when none was accepted).
  uint64_t first_seq = 0;

  size_t conflicts() const;
};

// What to scan. Times are a half-open range [from, to).
struct EventFilter {
  // InfinitePast = from the oldest retained event. A finite `from` before the
  // oldest retained day is an OutOfRange error (never a silent partial scan).
  absl::Time from = absl::InfinitePast();
  absl::Time to = absl::InfiniteFuture();
  base::StringSet types;    // empty = all
  base::StringSet tenants;  // empty = all
  uint64_t max_seq = 0;     // 0 = no limit; else only events with seq ≤ it
};

struct EventPage {
  std::vector<Event> events;
  // Opaque; pass back to resume after the last event. Empty when the scan
  // reached the end of the range.
  std::string next_cursor;
};

struct EventTotals {
  uint64_t total = 0;       // events matching the filter with seq ≤ cutoff
  uint64_t cutoff_seq = 0;  // MaxSeq() at the same snapshot
};

struct HourCount {
  absl::Time hour;  // start of the UTC hour
  std::string type;
  std::string tenant;
  uint64_t count = 0;
};

struct RetentionResult {
  absl::Time oldest_retained;  // start of the oldest retained UTC day
  uint64_t events_dropped = 0;
};

// Returns false to stop a visit early.
using EventVisitor = std::function<bool(const EventView&)>;

class EventStore {
 public:
  virtual ~EventStore() = default;

  // Appends a batch. Each event is accepted, a duplicate, or rejected on its
  // own; a rejected event writes nothing. All accepted events of the batch
  // are written in one atomic write (durable before returning when
  // options.sync). A non-OK status means the batch's outcome is unknown:
  // usually nothing was written, but an append that was decided against an
  // earlier append whose write then failed reports Aborted even when its own
  // write went through. Sending the batch again is always safe (its events
  // are then accepted or duplicates).
  [[nodiscard]] virtual absl::StatusOr<AppendResult> Append(
      std::span<const Event> events, const AppendOptions& options) = 0;

  // The stored event with this key, or nullopt.
  [[nodiscard]] virtual absl::StatusOr<std::optional<Event>> Get(
      std::string_view type, std::string_view id) = 0;

  // Events in time order (ties by seq) matching `filter`, after `cursor`
  // (empty = from the start), at most `limit` (> 0). Every event present for
  // the whole scan is returned exactly once across resumed pages.
  [[nodiscard]] virtual absl::StatusOr<EventPage> Scan(
      const EventFilter& filter, std::string_view cursor, size_t limit) = 0;

  // The same scan without copies: calls `visit` for up to `limit` events
  // (0 = no limit) and returns the cursor after the last one visited (empty
  // when the range is exhausted).
  [[nodiscard]] virtual absl::StatusOr<std::string> Visit(
      const EventFilter& filter, std::string_view cursor, size_t limit,
      const EventVisitor& visit) = 0;

  // Events with after_seq < seq ≤ max_seq (0 = no upper limit) in seq order,
  // at most `limit`. Seqs dropped by retention are skipped.
  [[nodiscard]] virtual absl::StatusOr<std::vector<Event>> ScanSeq(
      uint64_t after_seq, uint64_t max_seq, size_t limit) = 0;

  // The highest seq assigned so far (0 when empty). Never decreases, also
  // across reopen and retention.
  virtual uint64_t MaxSeq() const = 0;

  // Exact number of events matching filter.from/to/types/tenants (max_seq is
  // ignored), read from one consistent snapshot together with the seq cutoff
  // of that snapshot: a run takes both before it starts. Whole hours come from
  // the per-hour counts; partial hours at the edges are scanned.
  [[nodiscard]] virtual absl::StatusOr<EventTotals> Count(
      const EventFilter& filter) = 0;

  // The per-hour counts of hours overlapping [from, to), filtered by
  // filter.types / filter.tenants, in (hour, type, tenant) order.
  [[nodiscard]] virtual absl::StatusOr<std::vector<HourCount>> HourlyCounts(
      const EventFilter& filter) = 0;

  // Drops whole UTC days older than the retention period (the newest
  // `retention_days` days including today's are kept). Idempotent; a crash
  // in the middle is finished by the next call.
  [[nodiscard]] virtual absl::StatusOr<RetentionResult> ApplyRetention(
      absl::Time now) = 0;

  // Start of the oldest retained day; InfinitePast before any retention.
  virtual absl::Time OldestRetained() const = 0;
};

}  // namespace retro::store

#endif  // RETRO_STORE_EVENT_STORE_H_

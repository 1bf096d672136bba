#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "store/store.h"
#include "store/test_util.h"

namespace retro::store {
namespace {

using testing::MakeEvent;
using testing::OpenOrDie;
using testing::T0;
using testing::TempDir;

class EventStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { Reopen(); }
  void Reopen() {
    store_.reset();
    StoreOptions o;
    o.path = dir_.path();
    o.retention_days = retention_days_;
    store_ = OpenOrDie(o);
    ASSERT_NE(store_, nullptr);
  }
  EventStore& events() { return store_->events(); }

  AppendResult Append(std::vector<Event> batch) {
    auto r = events().Append(batch, AppendOptions{});
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : AppendResult{};
  }

  // Every event of a filter by paging with `page` events per call.
  std::vector<Event> ScanAll(const EventFilter& f, size_t page) {
    std::vector<Event> out;
    std::string cursor;
    for (int guard = 0; guard < 100000; ++guard) {
      auto p = events().Scan(f, cursor, page);
      EXPECT_TRUE(p.ok()) << p.status();
      if (!p.ok()) break;
      EXPECT_LE(p->events.size(), page);
      out.insert(out.end(), p->events.begin(), p->events.end());
      if (p->next_cursor.empty()) break;
      cursor = p->next_cursor;
    }
    return out;
  }

  TempDir dir_;
  int retention_days_ = 60;
  std::unique_ptr<Store> store_;
};

TEST_F(EventStoreTest, AppendWritesAuditEntriesInTheSameWrite) {
  auto first = store_->control().AppendAudit(
      AuditEntry{T0(), "admin", "policy.apply", "policy/p", "ok", "", 0});
  ASSERT_TRUE(first.ok());
  AppendOptions ao;
  size_t accepted_seen = 0;
  ao.audit = [&](const AppendResult& r, std::vector<AuditEntry>* audit) {
    accepted_seen = r.accepted;
    audit->push_back(AuditEntry{T0() + absl::Seconds(1), "ingester",
                                "events.ingest", "events/a", "ok",
                                absl::StrCat(r.accepted), 0});
  };
  std::vector<Event> batch = {MakeEvent("a", "1", "t", T0()),
                              MakeEvent("a", "2", "t", T0())};
  ASSERT_TRUE(events().Append(batch, ao).ok());
  EXPECT_EQ(accepted_seen, 2u);
  // Nothing new: the entry is still written.
  ASSERT_TRUE(events().Append(batch, ao).ok());
  EXPECT_EQ(accepted_seen, 0u);
  Reopen();
  auto next = store_->control().AppendAudit(
      AuditEntry{T0() + absl::Seconds(2), "admin", "x", "y", "ok", "", 0});
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(*next, *first + 3);  // numbering survives the reopen
  auto page = store_->control().QueryAudit(absl::InfinitePast(),
                                           absl::InfiniteFuture(), "", 10);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->entries.size(), 4u);
  EXPECT_EQ(page->entries[1].details, "2");
  EXPECT_EQ(page->entries[1].number, *first + 1);
  EXPECT_EQ(page->entries[2].details, "0");
  EXPECT_EQ(events().MaxSeq(), 2u);
}

TEST_F(EventStoreTest, AppendAssignsMonotonicSeqsAndStoresEvents) {
  AppendResult r = Append({MakeEvent("audit", "a", "t1", T0()),
                           MakeEvent("audit", "b", "t1", T0() - absl::Hours(1)),
                           MakeEvent("event", "a", "t2", T0())});
  EXPECT_EQ(r.accepted, 3u);
  EXPECT_EQ(r.seqs, (std::vector<uint64_t>{1, 2, 3}));
  EXPECT_EQ(events().MaxSeq(), 3u);
  auto got = events().Get("audit", "b");
  ASSERT_TRUE(got.ok() && got->has_value());
  Event want = MakeEvent("audit", "b", "t1", T0() - absl::Hours(1));
  want.seq = 2;
  EXPECT_EQ(**got, want);
  auto missing = events().Get("audit", "zzz");
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(missing->has_value());
}

TEST_F(EventStoreTest, SameEventAgainIsACountedNoOp) {
  Append({MakeEvent("audit", "a", "t", T0())});
  AppendResult r = Append(
      {MakeEvent("audit", "a", "t", T0()), MakeEvent("audit", "b", "t", T0())});
  EXPECT_EQ(r.accepted, 1u);
  EXPECT_EQ(r.duplicates, 1u);
  EXPECT_TRUE(r.rejected.empty());
  EXPECT_EQ(r.seqs, (std::vector<uint64_t>{1, 2}));
  EXPECT_EQ(events().MaxSeq(), 2u);
  // A duplicate-only batch writes nothing.
  r = Append({MakeEvent("audit", "a", "t", T0())});
  EXPECT_EQ(r.duplicates, 1u);
  EXPECT_EQ(events().MaxSeq(), 2u);
  EXPECT_EQ(ScanAll({}, 10).size(), 2u);
}

TEST_F(EventStoreTest, SameKeyWithOtherContentIsRejectedAndNothingWritten) {
  Append({MakeEvent("audit", "a", "t", T0(), "{\"v\":1}")});
  AppendResult r = Append({MakeEvent("audit", "a", "t", T0(), "{\"v\":2}"),
                           MakeEvent("audit", "c", "t", T0())});
  EXPECT_EQ(r.accepted, 1u);
  ASSERT_EQ(r.rejected.size(), 1u);
  EXPECT_EQ(r.rejected[0].index, 0u);
  EXPECT_TRUE(absl::IsAlreadyExists(r.rejected[0].status))
      << r.rejected[0].status;
  EXPECT_EQ(r.conflicts(), 1u);
  EXPECT_EQ(r.seqs[0], 0u);
  auto got = events().Get("audit", "a");
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->data, "{\"v\":1}");
  // Other time or tenant is other content too.
  r = Append(
      {MakeEvent("audit", "a", "t", T0() + absl::Seconds(1), "{\"v\":1}"),
       MakeEvent("audit", "a", "u", T0(), "{\"v\":1}")});
  EXPECT_EQ(r.conflicts(), 2u);
  EXPECT_EQ(ScanAll({}, 10).size(), 2u);
}

TEST_F(EventStoreTest, DuplicatesAndConflictsInsideOneBatch) {
  AppendResult r = Append({MakeEvent("audit", "a", "t", T0(), "{\"v\":1}"),
                           MakeEvent("audit", "a", "t", T0(), "{\"v\":1}"),
                           MakeEvent("audit", "a", "t", T0(), "{\"v\":2}"),
                           MakeEvent("event", "a", "t", T0(), "{\"v\":2}")});
  EXPECT_EQ(r.accepted, 2u);
  EXPECT_EQ(r.duplicates, 1u);
  ASSERT_EQ(r.rejected.size(), 1u);
  EXPECT_EQ(r.rejected[0].index, 2u);
  EXPECT_EQ(r.seqs, (std::vector<uint64_t>{1, 1, 0, 2}));
}

TEST_F(EventStoreTest, MalformedEnvelopesAreRejectedWithAReason) {
  Event big = MakeEvent("audit", "big", "t", T0());
  big.data.assign((1 << 20) + 1, 'x');
  AppendResult r =
      Append({MakeEvent("audit", "", "t", T0()), MakeEvent("", "x", "t", T0()),
              MakeEvent("audit", "inf", "t", absl::InfiniteFuture()), big,
              MakeEvent("audit", "ok", "t", T0())});
  EXPECT_EQ(r.accepted, 1u);
  ASSERT_EQ(r.rejected.size(), 4u);
  for (const auto& rej : r.rejected) {
    EXPECT_TRUE(absl::IsInvalidArgument(rej.status)) << rej.status;
    EXPECT_FALSE(rej.status.message().empty());
  }
}

TEST_F(EventStoreTest, SeqStaysMonotonicAcrossReopen) {
  Append({MakeEvent("a", "1", "", T0()), MakeEvent("a", "2", "", T0())});
  Reopen();
  EXPECT_EQ(events().MaxSeq(), 2u);
  AppendResult r = Append({MakeEvent("a", "3", "", T0())});
  EXPECT_EQ(r.seqs, (std::vector<uint64_t>{3}));
  Reopen();
  r = Append({MakeEvent("a", "3", "", T0()), MakeEvent("a", "4", "", T0())});
  EXPECT_EQ(r.duplicates, 1u);
  EXPECT_EQ(r.seqs, (std::vector<uint64_t>{3, 4}));
}

TEST_F(EventStoreTest, ConcurrentAppendersGetUniqueGaplessSeqs) {
  constexpr int kThreads = 4, kBatches = 20, kPerBatch = 25;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int b = 0; b < kBatches; ++b) {
        std::vector<Event> batch;
        for (int i = 0; i < kPerBatch; ++i) {
          // Every thread also re-sends thread 0's events: duplicates.
          int owner = i % 5 == 0 ? 0 : t;
          batch.push_back(MakeEvent("a", absl::StrCat(owner, "/", b, "/", i),
                                    "", T0() + absl::Seconds(i)));
        }
        auto r = events().Append(batch, AppendOptions{false});
        ASSERT_TRUE(r.ok());
        ASSERT_TRUE(r->rejected.empty());
      }
    });
  }
  for (auto& th : threads) th.join();
  auto all = events().ScanSeq(0, 0, 100000);
  ASSERT_TRUE(all.ok());
  std::set<std::string> ids;
  for (size_t i = 0; i < all->size(); ++i) {
    EXPECT_EQ((*all)[i].seq, i + 1);
    EXPECT_TRUE(ids.insert((*all)[i].id).second);
  }
  const size_t unique =
      kBatches * kPerBatch + (kThreads - 1) * kBatches * kPerBatch * 4 / 5;
  EXPECT_EQ(all->size(), unique);
  EXPECT_EQ(events().MaxSeq(), unique);
}

TEST_F(EventStoreTest, ConcurrentSyncedAppendsFinishInSeqOrder) {
  // Four threads append at once, each batch with keys that every thread
  // sends in the same round (decided while another append of them may
  // still be writing) and keys of its own. A fifth thread counts meanwhile.
  constexpr int kThreads = 4, kRounds = 30, kShared = 10, kOwn = 10;
  std::mutex mu;
  uint64_t last_durable = 0;                              // guarded by mu
  bool in_order = true;                                   // guarded by mu
  std::map<std::string, std::set<uint64_t>> shared_seqs;  // guarded by mu
  std::atomic<bool> done{false};
  std::atomic<int> counts{0};
  std::thread counter([&] {
    while (!done) {
      auto totals = events().Count(EventFilter{});
      ASSERT_TRUE(totals.ok()) << totals.status();
      // Gapless seqs and every event in range: a consistent snapshot holds
      // exactly the events up to its cutoff.
      EXPECT_EQ(totals->total, totals->cutoff_seq);
      ++counts;
    }
  });
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < kRounds; ++round) {
        std::vector<Event> batch;
        for (int i = 0; i < kShared; ++i) {
          batch.push_back(MakeEvent("a", absl::StrCat("s/", round, "/", i), "",
                                    T0() + absl::Seconds(i)));
        }
        for (int i = 0; i < kOwn; ++i) {
          batch.push_back(MakeEvent("a", absl::StrCat(t, "/", round, "/", i),
                                    "", T0() + absl::Seconds(i)));
        }
        AppendOptions o;  // synced
        o.durable = [&](const AppendResult& r) {
          std::lock_guard<std::mutex> lock(mu);
          if (r.first_seq != last_durable + 1) in_order = false;
          last_durable = r.first_seq + r.accepted - 1;
        };
        auto r = events().Append(batch, o);
        ASSERT_TRUE(r.ok()) << r.status();
        ASSERT_TRUE(r->rejected.empty());
        EXPECT_EQ(r->accepted + r->duplicates, batch.size());
        std::lock_guard<std::mutex> lock(mu);
        for (int i = 0; i < kShared; ++i) {
          shared_seqs[batch[i].id].insert(r->seqs[i]);
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  done = true;
  counter.join();
  EXPECT_GT(counts.load(), 0);
  const uint64_t unique = kRounds * (kShared + kThreads * kOwn);
  EXPECT_TRUE(in_order);
  EXPECT_EQ(last_durable, unique);
  EXPECT_EQ(events().MaxSeq(), unique);
  // Each shared key was stored once: every thread got the same seq for it.
  EXPECT_EQ(shared_seqs.size(), static_cast<size_t>(kRounds * kShared));
  for (const auto& [id, seqs] : shared_seqs) EXPECT_EQ(seqs.size(), 1u) << id;
  auto totals = events().Count(EventFilter{});
  ASSERT_TRUE(totals.ok());
  EXPECT_EQ(totals->total, unique);
  // And the counters survive a reopen (the meta counters are merged).
  Reopen();
  EXPECT_EQ(events().MaxSeq(), unique);
  EXPECT_EQ(Append({MakeEvent("a", "after", "", T0())}).seqs[0], unique + 1);
}

TEST_F(EventStoreTest, AnArrivalTimeKeepsTheStoredTime) {
  // An event without a time of its own is stamped with its arrival; sent
  // again later, it is a duplicate of the stored one, not a conflict.
  Append({MakeEvent("u", "x", "", T0())});
  std::vector<Event> again = {MakeEvent("u", "x", "", T0() + absl::Hours(1)),
                              MakeEvent("u", "y", "", T0() + absl::Hours(1)),
                              MakeEvent("u", "y", "", T0() + absl::Hours(2))};
  std::vector<bool> arrival = {true, true, true};
  AppendOptions o;
  o.arrival_time = &arrival;
  auto r = events().Append(again, o);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->rejected.empty());
  EXPECT_EQ(r->accepted, 1u);    // y, at its first arrival
  EXPECT_EQ(r->duplicates, 2u);  // x (stored) and y (earlier in the batch)
  EXPECT_EQ(r->seqs, (std::vector<uint64_t>{1, 2, 2}));
  auto y = events().Get("u", "y");
  ASSERT_TRUE(y.ok() && y->has_value());
  EXPECT_EQ((*y)->time, T0() + absl::Hours(1));
  // Without the flag the other time is other content: a conflict.
  std::vector<Event> later = {MakeEvent("u", "x", "", T0() + absl::Hours(3))};
  auto c = events().Append(later, AppendOptions{});
  ASSERT_TRUE(c.ok());
  ASSERT_EQ(c->rejected.size(), 1u);
  EXPECT_EQ(c->rejected[0].status.code(), absl::StatusCode::kAlreadyExists);
}

TEST_F(EventStoreTest, TimeScanWithCursorResumeGivesEveryEventExactlyOnce) {
  std::mt19937 rng(7);
  std::vector<Event> all;
  for (int b = 0; b < 10; ++b) {
    std::vector<Event> batch;
    for (int i = 0; i < 100; ++i) {
      // Few distinct times, so many events share a timestamp.
      absl::Time t = T0() + absl::Minutes(rng() % 50);
      batch.push_back(MakeEvent(rng() % 3 ? "audit" : "event",
                                "e" + std::to_string(b * 100 + i),
                                "t" + std::to_string(rng() % 4), t));
    }
    Append(batch);
    all.insert(all.end(), batch.begin(), batch.end());
  }
  EventFilter f;
  f.from = T0() + absl::Minutes(10);
  f.to = T0() + absl::Minutes(40);
  f.types = {"audit"};
  f.tenants = {"t1", "t2"};
  std::multiset<std::string> want;
  for (const Event& e : all) {
    if (e.time >= f.from && e.time < f.to && e.type == "audit" &&
        (e.tenant == "t1" || e.tenant == "t2")) {
      want.insert(e.id);
    }
  }
  for (size_t page : {1, 7, 100, 5000}) {
    std::vector<Event> got = ScanAll(f, page);
    std::multiset<std::string> ids;
    for (size_t i = 0; i < got.size(); ++i) {
      ids.insert(got[i].id);
      if (i > 0) {
        EXPECT_TRUE(
            got[i - 1].time < got[i].time ||
            (got[i - 1].time == got[i].time && got[i - 1].seq < got[i].seq));
      }
    }
    EXPECT_EQ(ids, want) << "page " << page;
  }
  // max_seq cuts off later events.
  f = EventFilter{};
  f.max_seq = 250;
  std::vector<Event> got = ScanAll(f, 64);
  EXPECT_EQ(got.size(), 250u);
  for (const Event& e : got) EXPECT_LE(e.seq, 250u);
}

TEST_F(EventStoreTest, VisitStopsEarlyAndResumesFromItsCursor) {
  std::vector<Event> batch;
  for (int i = 0; i < 20; ++i) {
    batch.push_back(
        MakeEvent("a", std::to_string(i), "", T0() + absl::Seconds(i)));
  }
  Append(batch);
  std::vector<uint64_t> seen;
  auto cursor = events().Visit({}, "", 0, [&](const EventView& v) {
    seen.push_back(v.seq);
    return seen.size() < 5;
  });
  ASSERT_TRUE(cursor.ok());
  EXPECT_FALSE(cursor->empty());
  auto rest = events().Visit({}, *cursor, 0, [&](const EventView& v) {
    seen.push_back(v.seq);
    return true;
  });
  ASSERT_TRUE(rest.ok());
  EXPECT_TRUE(rest->empty());
  ASSERT_EQ(seen.size(), 20u);
  for (size_t i = 0; i < 20; ++i) EXPECT_EQ(seen[i], i + 1);
  EXPECT_TRUE(absl::IsInvalidArgument(events().Scan({}, "zz", 1).status()));
}

TEST_F(EventStoreTest, ScanBySeqFollowsIngestOrder) {
  Append({MakeEvent("a", "1", "", T0() + absl::Hours(2)),
          MakeEvent("a", "2", "", T0()),
          MakeEvent("a", "3", "", T0() + absl::Hours(1))});
  Append({MakeEvent("a", "4", "", T0() - absl::Hours(5))});
  auto got = events().ScanSeq(1, 0, 10);
  ASSERT_TRUE(got.ok());
  ASSERT_EQ(got->size(), 3u);
  EXPECT_EQ((*got)[0].id, "2");
  EXPECT_EQ((*got)[2].id, "4");
  got = events().ScanSeq(0, 3, 2);
  ASSERT_TRUE(got.ok());
  ASSERT_EQ(got->size(), 2u);
  EXPECT_EQ((*got)[1].seq, 2u);
  got = events().ScanSeq(0, 3, 10);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->size(), 3u);
}

TEST_F(EventStoreTest, HourlyCountsMatchScansForAnyRange) {
  std::mt19937 rng(11);
  for (int b = 0; b < 8; ++b) {
    std::vector<Event> batch;
    for (int i = 0; i < 250; ++i) {
      absl::Time t = T0() + absl::Seconds(rng() % (3 * 86400));
      batch.push_back(MakeEvent(rng() % 2 ? "audit" : "event",
                                std::to_string(b * 1000 + i),
                                "t" + std::to_string(rng() % 3), t));
    }
    Append(batch);
  }
  for (int trial = 0; trial < 40; ++trial) {
    EventFilter f;
    absl::Time a = T0() + absl::Seconds(rng() % (3 * 86400));
    absl::Time b = a + absl::Seconds(rng() % (2 * 86400));
    if (trial % 5 == 0)
      a = absl::FromUnixSeconds(absl::ToUnixSeconds(a) / 3600 * 3600);
    f.from = a;
    f.to = b;
    if (trial % 3 == 0) f.types = {"audit"};
    if (trial % 4 == 0) f.tenants = {"t0", "t2"};
    auto totals = events().Count(f);
    ASSERT_TRUE(totals.ok()) << totals.status();
    EXPECT_EQ(totals->cutoff_seq, events().MaxSeq());
    EXPECT_EQ(totals->total, ScanAll(f, 1000).size()) << "trial " << trial;
  }
  EventFilter all;
  auto hours = events().HourlyCounts(all);
  ASSERT_TRUE(hours.ok());
  uint64_t sum = 0;
  for (const HourCount& h : *hours) sum += h.count;
  EXPECT_EQ(sum, 2000u);
  auto total = events().Count(all);
  ASSERT_TRUE(total.ok());
  EXPECT_EQ(total->total, 2000u);
}

TEST_F(EventStoreTest, RetentionDropsWholeDaysAndRefusesOlderRanges) {
  retention_days_ = 2;
  Reopen();
  absl::Time today = absl::FromUnixSeconds(1715644800);  // a UTC midnight
  std::vector<Event> batch;
  for (int d = -4; d <= 0; ++d) {
    for (int i = 0; i < 10; ++i) {
      batch.push_back(MakeEvent("a",
                                std::to_string(d) + "/" + std::to_string(i),
                                "t", today + absl::Hours(24 * d + i)));
    }
  }
  Append(batch);
  auto r = events().ApplyRetention(today + absl::Hours(13));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->oldest_retained, today - absl::Hours(24));
  EXPECT_EQ(r->events_dropped, 30u);
  EXPECT_EQ(events().OldestRetained(), today - absl::Hours(24));

  EventFilter old;
  old.from = today - absl::Hours(30);
  auto scan = events().Scan(old, "", 10);
  EXPECT_TRUE(absl::IsOutOfRange(scan.status())) << scan.status();
  EXPECT_NE(scan.status().message().find("oldest retained day"),
            std::string::npos);
  EXPECT_TRUE(absl::IsOutOfRange(events().Count(old).status()));
  EXPECT_EQ(ScanAll({}, 7).size(), 20u);
  auto total = events().Count({});
  ASSERT_TRUE(total.ok());
  EXPECT_EQ(total->total, 20u);

  auto gone = events().Get("a", "-4/0");
  ASSERT_TRUE(gone.ok());
  EXPECT_FALSE(gone->has_value());
  // Too old to ingest; a dropped id may come back with a retained time.
  AppendResult ar = Append({MakeEvent("a", "old", "t", today - absl::Hours(25)),
                            MakeEvent("a", "-4/0", "t", today)});
  ASSERT_EQ(ar.rejected.size(), 1u);
  EXPECT_TRUE(absl::IsOutOfRange(ar.rejected[0].status));
  EXPECT_EQ(ar.accepted, 1u);
  EXPECT_EQ(ar.seqs[1], 51u);

  // Idempotent, and survives reopen.
  Reopen();
  EXPECT_EQ(events().OldestRetained(), today - absl::Hours(24));
  r = events().ApplyRetention(today + absl::Hours(13));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->events_dropped, 0u);
  EXPECT_EQ(events().MaxSeq(), 51u);
  auto seqs = events().ScanSeq(0, 0, 100);
  ASSERT_TRUE(seqs.ok());
  EXPECT_EQ(seqs->size(), 21u);
}

}  // namespace
}  // namespace retro::store

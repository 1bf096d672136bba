// Ingestor over a real RocksDB store and live processor: concurrent requests
// append at once, and each gets the outcome it would have had alone in the
// order the store decided them — duplicates, conflicts and time-less events included — with
// its audit entry written with its events.
#include "pipeline/ingestor.h"

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "store/test_util.h"

namespace retro::pipeline {
namespace {

class IngestorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store::StoreOptions options;
    options.path = dir_.path();
    store_ = store::testing::OpenOrDie(options);
    ASSERT_NE(store_, nullptr);
    catalog_ = std::make_unique<Catalog>(store_.get());
    ASSERT_TRUE(catalog_->Reload().ok());
    live_ = std::make_unique<LiveProcessor>(store_.get(), catalog_.get(),
                                            &metrics_, LiveOptions{});
    ASSERT_TRUE(live_->Start().ok());
    IngestOptions io;
    io.sync = false;  // the tests are about concurrency, not fsync
    ingestor_ = std::make_unique<Ingestor>(store_.get(), catalog_.get(),
                                           live_.get(), &metrics_, io);
  }
  void TearDown() override {
    ingestor_.reset();
    live_.reset();
  }

  // Runs `requests[i]` (type, body) from `threads` threads at once; returns
  // the results in request order.
  std::vector<IngestResult> RunConcurrently(
      const std::vector<std::pair<std::string, std::string>>& requests,
      int threads) {
    std::vector<IngestResult> results(requests.size());
    std::atomic<size_t> next{0};
    std::vector<std::thread> pool;
    IngestAudit audit{"tester"};
    for (int t = 0; t < threads; ++t) {
      pool.emplace_back([&] {
        for (size_t i = next++; i < requests.size(); i = next++) {
          auto r = ingestor_->Ingest(requests[i].first, requests[i].second,
                                     "test", &audit);
          EXPECT_TRUE(r.ok()) << r.status();
          if (r.ok()) results[i] = std::move(*r);
        }
      });
    }
    for (auto& t : pool) t.join();
    return results;
  }

  size_t AuditEntries() {
    auto page = store_->control().QueryAudit(absl::InfinitePast(),
                                             absl::InfiniteFuture(), "", 10000);
    EXPECT_TRUE(page.ok());
    return page.ok() ? page->entries.size() : 0;
  }

  store::testing::TempDir dir_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<Catalog> catalog_;
  Metrics metrics_;
  std::unique_ptr<LiveProcessor> live_;
  std::unique_ptr<Ingestor> ingestor_;
};

std::string AuditLine(const std::string& id, const std::string& verb) {
  return absl::StrCat(
      R"({"kind":"Event","apiVersion":"audit.k8s.io/v1","auditID":")", id,
      R"(","verb":")", verb,
      R"(","user":{"username":"alice"},"requestReceivedTimestamp":"2026-11-20T00:01:56.5Z"})");
}

TEST_F(IngestorTest, ConcurrentRequestsGetTheirOwnOutcomes) {
  // 40 requests of 50 events: ids overlap between neighbouring requests
  // (same content: duplicates), and every request also carries one id that
  // request 0 sends with another verb (a conflict for all but one).
  std::vector<std::pair<std::string, std::string>> requests;
  for (int r = 0; r < 40; ++r) {
    std::string body;
    for (int i = 0; i < 50; ++i) {
      body += AuditLine(absl::StrCat("e", r * 25 + i), "get") + "\n";
    }
    body += AuditLine("contested", r == 0 ? "create" : "delete") + "\n";
    body += "not json\n";
    requests.emplace_back("audit", std::move(body));
  }
  auto results = RunConcurrently(requests, 8);
  size_t accepted = 0, duplicates = 0, conflicts = 0;
  for (const IngestResult& r : results) {
    EXPECT_EQ(r.items, 52u);
    EXPECT_TRUE(r.audited);
    EXPECT_EQ(r.accepted + r.duplicates + r.rejected.size(), 52u);
    ASSERT_FALSE(r.rejected.empty());
    // Rejections in index order, with the item's own index.
    EXPECT_EQ(r.rejected.back().index, 51u);
    EXPECT_EQ(r.rejected.back().code, "invalid");
    accepted += r.accepted;
    duplicates += r.duplicates;
    conflicts += r.conflicts();
  }
  const size_t distinct = 39 * 25 + 50 + 1;  // e0..e1024 and "contested"
  EXPECT_EQ(accepted, distinct);
  EXPECT_EQ(duplicates + accepted + conflicts, 40u * 51);
  // One "contested" was stored; the 20 requests with the other content that
  // came after it conflict, those with the same content are duplicates.
  EXPECT_EQ(store_->events().MaxSeq(), distinct);
  EXPECT_EQ(AuditEntries(), requests.size());
  live_->WaitIdle();
}

TEST_F(IngestorTest, TimelessEventRepeatedConcurrentlyIsADuplicate) {
  // Type "usage" has no Source: json, id from "id", no time. The first
  // arrival's time is kept, so re-sends are duplicates, never conflicts.
  std::vector<std::pair<std::string, std::string>> requests(
      32, {"usage", "{\"id\":\"u1\",\"n\":1}\n{\"id\":\"u2\",\"n\":2}\n"});
  auto results = RunConcurrently(requests, 8);
  size_t accepted = 0, duplicates = 0;
  for (const IngestResult& r : results) {
    EXPECT_TRUE(r.rejected.empty())
        << r.rejected.front().code << ": " << r.rejected.front().error;
    accepted += r.accepted;
    duplicates += r.duplicates;
  }
  EXPECT_EQ(accepted, 2u);
  EXPECT_EQ(duplicates, 62u);
  EXPECT_EQ(store_->events().MaxSeq(), 2u);
}

TEST_F(IngestorTest, RequestWithNothingToStoreIsNotAuditedWithEvents) {
  IngestAudit audit{"tester"};
  auto r = ingestor_->Ingest("audit", "nope\n", "test", &audit);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_FALSE(r->audited);  // the caller audits it
  EXPECT_EQ(AuditEntries(), 0u);
}

}  // namespace
}  // namespace retro::pipeline

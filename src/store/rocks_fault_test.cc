// A write that fails in RocksDB's WAL, with appends decided around it: what
// each append answers, and what a reopened store holds.
#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "rocksdb/file_system.h"
#include "store/rocks_store.h"
#include "store/test_util.h"

namespace retro::store {
namespace {

using rocks::RocksStore;
using rocks::RocksTestHooks;
using testing::MakeEvent;
using testing::T0;
using testing::TempDir;

// The machine's file system, except that a WAL write holding `poison`
// fails; it notes whether a WAL write holding `watch` went through.
class FailingWalFs : public rocksdb::FileSystemWrapper {
 public:
  FailingWalFs(std::string poison, std::string watch)
      : FileSystemWrapper(rocksdb::FileSystem::Default()),
        poison_(std::move(poison)),
        watch_(std::move(watch)) {}

  const char* Name() const override { return "FailingWalFs"; }

  rocksdb::IOStatus NewWritableFile(
      const std::string& fname, const rocksdb::FileOptions& options,
      std::unique_ptr<rocksdb::FSWritableFile>* result,
      rocksdb::IODebugContext* dbg) override {
    rocksdb::IOStatus s =
        target()->NewWritableFile(fname, options, result, dbg);
    if (s.ok() && fname.ends_with(".log")) {
      *result = std::make_unique<Wal>(std::move(*result), this);
    }
    return s;
  }

  bool watched_written() const { return watched_written_.load(); }
  int failures() const { return failures_.load(); }

 private:
  class Wal : public rocksdb::FSWritableFileOwnerWrapper {
   public:
    Wal(std::unique_ptr<rocksdb::FSWritableFile> file, FailingWalFs* fs)
        : FSWritableFileOwnerWrapper(std::move(file)), fs_(fs) {}

    rocksdb::IOStatus Append(const rocksdb::Slice& data,
                             const rocksdb::IOOptions& options,
                             rocksdb::IODebugContext* dbg) override {
      if (fs_->Fails(data)) return Failure();
      rocksdb::IOStatus s = target()->Append(data, options, dbg);
      fs_->Wrote(data, s);
      return s;
    }
    rocksdb::IOStatus Append(const rocksdb::Slice& data,
                             const rocksdb::IOOptions& options,
                             const rocksdb::DataVerificationInfo& info,
                             rocksdb::IODebugContext* dbg) override {
      if (fs_->Fails(data)) return Failure();
      rocksdb::IOStatus s = target()->Append(data, options, info, dbg);
      fs_->Wrote(data, s);
      return s;
    }

   private:
    static rocksdb::IOStatus Failure() {
      return rocksdb::IOStatus::IOError("injected WAL write failure");
    }
    FailingWalFs* fs_;
  };

  bool Fails(const rocksdb::Slice& data) {
    if (data.ToStringView().find(poison_) == std::string_view::npos) {
      return false;
    }
    ++failures_;
    return true;
  }
  void Wrote(const rocksdb::Slice& data, const rocksdb::IOStatus& s) {
    if (s.ok() && data.ToStringView().find(watch_) != std::string_view::npos) {
      watched_written_ = true;
    }
  }

  const std::string poison_, watch_;
  std::atomic<bool> watched_written_{false};
  std::atomic<int> failures_{0};
};

std::string Payload(const std::string& id, const std::string& mark) {
  return "{\"id\":\"" + id + "\",\"mark\":\"" + mark + "\"}";
}

// Append A is decided first and holds shared/1; append B, decided while A
// is in flight, counts its copy of shared/1 as a duplicate of A's. B's write
// lands; A's fails in the WAL. A answers the write error; B answers Aborted
// (its duplicate relied on A), though its own events are durable and were
// handed on. After a reopen, B's events are there, A's are not, and sending
// both again stores what was missing once.
TEST(RocksFaultTest, AppendsDecidedBeforeAFailedWriteAreRefused) {
  TempDir dir;
  StoreOptions options;
  options.path = dir.path();
  auto fs = std::make_shared<FailingWalFs>("poison-a", "landed-b");
  std::atomic<bool> a_decided{false};
  RocksTestHooks hooks;
  hooks.file_system = fs;
  hooks.before_append_write = [&](uint64_t ticket) {
    if (ticket != 1) return;
    a_decided = true;
    // A writes only once B's write has gone through the WAL.
    for (int i = 0; i < 2000 && !fs->watched_written(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  };
  const std::vector<Event> batch_a = {
      MakeEvent("a", "a/1", "t", T0(), Payload("a/1", "poison-a")),
      MakeEvent("a", "shared/1", "t", T0(), Payload("shared/1", "same"))};
  const std::vector<Event> batch_b = {
      MakeEvent("a", "b/1", "t", T0(), Payload("b/1", "landed-b")),
      MakeEvent("a", "shared/1", "t", T0(), Payload("shared/1", "same"))};
  {
    auto opened = RocksStore::Open(options, hooks);
    ASSERT_TRUE(opened.ok()) << opened.status();
    RocksStore& store = **opened;

    absl::StatusOr<AppendResult> a = absl::UnknownError("not run");
    absl::StatusOr<AppendResult> b = absl::UnknownError("not run");
    int a_durable = 0;
    std::vector<uint64_t> b_durable_seqs;
    std::thread ta([&] {
      AppendOptions o;
      o.durable = [&](const AppendResult&) { ++a_durable; };
      a = store.Append(batch_a, o);
    });
    for (int i = 0; i < 2000 && !a_decided; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    ASSERT_TRUE(a_decided);
    std::thread tb([&] {
      AppendOptions o;
      o.durable = [&](const AppendResult& r) { b_durable_seqs = r.seqs; };
      b = store.Append(batch_b, o);
    });
    ta.join();
    tb.join();

    EXPECT_TRUE(fs->watched_written());
    EXPECT_GE(fs->failures(), 1);
    ASSERT_FALSE(a.ok());
    EXPECT_EQ(a.status().code(), absl::StatusCode::kUnavailable) << a.status();
    EXPECT_NE(a.status().message().find("injected WAL write failure"),
              std::string::npos)
        << a.status();
    EXPECT_EQ(a_durable, 0);
    ASSERT_FALSE(b.ok());
    EXPECT_EQ(b.status().code(), absl::StatusCode::kAborted) << b.status();
    EXPECT_NE(b.status().message().find("send the events again"),
              std::string::npos)
        << b.status();
    // B's new event was durable and handed on; its shared/1 was counted as
    // A's (seq assigned to A's copy).
    ASSERT_EQ(b_durable_seqs.size(), 2u);
    EXPECT_NE(b_durable_seqs[0], 0u);

    // The WAL failed: later appends are refused with a clear error, and
    // nothing is half-written.
    const std::vector<Event> batch_c = {MakeEvent("a", "c/1", "t", T0())};
    auto c = store.Append(batch_c, AppendOptions{});
    ASSERT_FALSE(c.ok());
    EXPECT_EQ(c.status().code(), absl::StatusCode::kUnavailable) << c.status();
  }

  auto reopened = RocksStore::Open(options);
  ASSERT_TRUE(reopened.ok()) << reopened.status();
  RocksStore& store = **reopened;
  auto get = [&](const std::string& id) {
    auto e = store.Get("a", id);
    EXPECT_TRUE(e.ok()) << e.status();
    return e.ok() && e->has_value();
  };
  EXPECT_TRUE(get("b/1"));
  EXPECT_FALSE(get("a/1"));
  EXPECT_FALSE(get("shared/1"));
  EXPECT_FALSE(get("c/1"));

  // Both senders send again: what was missing is stored, once.
  auto again_b = store.Append(batch_b, AppendOptions{});
  ASSERT_TRUE(again_b.ok()) << again_b.status();
  EXPECT_EQ(again_b->accepted, 1u);  // shared/1
  EXPECT_EQ(again_b->duplicates, 1u);
  auto again_a = store.Append(batch_a, AppendOptions{});
  ASSERT_TRUE(again_a.ok()) << again_a.status();
  EXPECT_EQ(again_a->accepted, 1u);  // a/1
  EXPECT_EQ(again_a->duplicates, 1u);
  auto page = store.Scan(EventFilter{}, "", 100);
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(page->events.size(), 3u);
}

}  // namespace
}  // namespace retro::store

// Crash test: a child process appends acknowledged (synced) event batches and
// commits records + the live cursor for them, and is killed with SIGKILL at
// a random moment; the next child reopens the store and checks that every
// acknowledged event is there exactly once, seqs are unique and increasing,
// and the live cursor never runs ahead of the records it covers. The gtest
// process itself never opens RocksDB, so forking it is safe.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "base/hash.h"
#include "gtest/gtest.h"
#include "store/store.h"
#include "store/test_util.h"

namespace retro::store {
namespace {

using testing::MakeEvent;
using testing::T0;
using testing::TempDir;

constexpr int kCycles = 24;
constexpr int kBatch = 50;

std::string BatchId(int cycle, int batch, int i) {
  return absl::StrCat("c", cycle, "-b", batch, "-", i);
}

std::vector<Event> MakeBatch(int cycle, int batch) {
  std::vector<Event> out;
  for (int i = 0; i < kBatch; ++i) {
    std::string id = BatchId(cycle, batch, i);
    absl::Time t = T0() + absl::Seconds(base::Hash64(id) % 86400);
    out.push_back(MakeEvent("audit", id, "t" + std::to_string(i % 3), t));
  }
  return out;
}

Record RecordFor(const Event& e) {
  Record r;
  r.key = RecordKey{"p", e.type, e.id, e.time};
  r.generation = 1;
  r.rule = "r";
  r.tenant = e.tenant;
  r.payload = "summary of " + e.id;
  r.content_hash = base::Hash128Of(r.payload);
  return r;
}

// Checks the reopened store against the acknowledged ids; "" when fine.
std::string Verify(Store& store, const std::set<std::string>& acked,
                   size_t* count) {
  auto all = store.events().ScanSeq(0, 0, 10'000'000);
  if (!all.ok()) return "scan: " + all.status().ToString();
  auto cursor = store.records().GetCursor("live");
  if (!cursor.ok()) return "cursor: " + cursor.status().ToString();
  std::set<std::string> ids;
  uint64_t prev_seq = 0;
  for (const Event& e : *all) {
    if (e.seq <= prev_seq) return "seqs not increasing";
    prev_seq = e.seq;
    if (!ids.insert(e.id).second) return "event stored twice: " + e.id;
    if (e.seq <= *cursor) {
      auto r = store.records().Get(RecordFor(e).key);
      if (!r.ok() || !r->has_value()) return "cursor ahead of records: " + e.id;
    }
  }
  for (const std::string& id : acked) {
    if (!ids.contains(id)) return "acknowledged event lost: " + id;
  }
  if (store.events().MaxSeq() < prev_seq) return "MaxSeq behind the scan";
  if (*cursor > prev_seq) return "cursor beyond the last event";
  *count = ids.size();
  return "";
}

std::string ReadAll(int fd) {
  std::string text;
  char buf[4096];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0) text.append(buf, n);
  return text;
}

// Each cycle forks a writer that reopens the store, verifies everything
// acknowledged so far (reported on `verdict`), then appends synced batches
// and acknowledges each on `acks` until the parent kills it.
TEST(StoreCrashTest, AcknowledgedEventsSurviveSigkillExactlyOnce) {
  TempDir dir;
  StoreOptions options;
  options.path = dir.path();
  std::mt19937 rng(20240514);
  std::set<std::string> acked;
  int resend_cycle = -1, resend_batch = -1;  // the batch in flight at a kill
  int verified = 0;

  for (int cycle = 0; cycle <= kCycles; ++cycle) {
    const bool last_cycle = cycle == kCycles;  // verify only
    const bool kill_early = cycle % 4 == 3;    // during open and recovery
    int acks[2], verdict[2];
    ASSERT_EQ(pipe(acks), 0);
    ASSERT_EQ(pipe(verdict), 0);
    pid_t writer = fork();
    if (writer == 0) {
      close(acks[0]);
      close(verdict[0]);
      auto store = OpenStore(options);
      std::string v = store.ok() ? "" : store.status().ToString();
      size_t count = 0;
      if (v.empty()) v = Verify(**store, acked, &count);
      std::string line = v.empty() ? absl::StrCat("OK ", count, " events\n")
                                   : "FAIL: " + v + "\n";
      if (write(verdict[1], line.data(), line.size()) < 0) _exit(6);
      close(verdict[1]);
      if (!v.empty() || last_cycle) _exit(v.empty() ? 0 : 1);
      auto write_batch = [&](const std::vector<Event>& batch) {
        auto r = (*store)->events().Append(batch, AppendOptions{true});
        if (!r.ok() || !r->rejected.empty()) _exit(4);
        RecordBatch rb;
        uint64_t max = 0;
        for (size_t i = 0; i < batch.size(); ++i) {
          rb.Put(RecordFor(batch[i]));
          max = std::max(max, r->seqs[i]);
        }
        uint64_t cursor = *(*store)->records().GetCursor("live");
        rb.SetCursor("live", std::max(cursor, max));
        if (!(*store)->records().Commit(rb, WriteOptions{true}).ok()) _exit(5);
      };
      if (resend_cycle >= 0) {  // maybe stored already: duplicates are fine
        write_batch(MakeBatch(resend_cycle, resend_batch));
        int32_t ack = -1;
        if (write(acks[1], &ack, sizeof ack) != sizeof ack) _exit(6);
      }
      for (int32_t b = 0;; ++b) {
        write_batch(MakeBatch(cycle, b));
        if (write(acks[1], &b, sizeof b) != sizeof b) _exit(6);
      }
    }
    close(acks[1]);
    close(verdict[1]);
    std::string verdict_text;
    if (kill_early && !last_cycle) {
      usleep(rng() % 400000);
    } else {
      verdict_text = ReadAll(verdict[0]);  // returns once verified
      usleep(1000 + rng() % 80000);
    }
    if (!last_cycle) kill(writer, SIGKILL);
    int status = 0;
    waitpid(writer, &status, 0);
    verdict_text += ReadAll(verdict[0]);
    close(verdict[0]);
    ASSERT_FALSE(verdict_text.starts_with("FAIL"))
        << "cycle " << cycle << ": " << verdict_text;
    if (verdict_text.starts_with("OK")) ++verified;
    if (last_cycle) {
      ASSERT_TRUE(verdict_text.starts_with("OK")) << verdict_text;
      close(acks[0]);
      break;
    }
    ASSERT_TRUE(WIFSIGNALED(status)) << "writer exited early: " << status;
    int32_t b = 0, last = -2;
    while (read(acks[0], &b, sizeof b) == sizeof b) {
      const int c = b < 0 ? resend_cycle : cycle;
      const int batch = b < 0 ? resend_batch : b;
      for (int i = 0; i < kBatch; ++i) acked.insert(BatchId(c, batch, i));
      last = b;
    }
    close(acks[0]);
    // The batch that may have been in flight when the writer died; the next
    // writer sends it again (it may be stored already: duplicates).
    if (last >= -1) {
      resend_cycle = cycle;
      resend_batch = last + 1;
    } else if (resend_cycle < 0) {
      resend_cycle = cycle;
      resend_batch = 0;
    }  // else nothing acknowledged: the pending resend stays pending
  }
  EXPECT_GT(acked.size(), 0u);
  EXPECT_GE(verified, kCycles * 3 / 4);
  std::printf("%d kills, %d reopens verified, %zu acknowledged events\n",
              kCycles, verified, acked.size());
}

}  // namespace
}  // namespace retro::store

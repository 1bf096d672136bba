// Crash test: a child process appends acknowledged (synced) event batches and
// commits records + the live cursor for them, and is killed with SIGKILL at
// a random moment; a second child reopens the store and checks that every
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

// Runs `body` in a child; returns its exit code and what it wrote to `out`.
template <typename F>
std::pair<int, std::string> RunChild(F body) {
  int fds[2];
  EXPECT_EQ(pipe(fds), 0);
  pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    FILE* out = fdopen(fds[1], "w");
    int code = body(out);
    fclose(out);
    _exit(code);
  }
  close(fds[1]);
  std::string text;
  char buf[4096];
  ssize_t n;
  while ((n = read(fds[0], buf, sizeof buf)) > 0) text.append(buf, n);
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : 100, text};
}

TEST(StoreCrashTest, AcknowledgedEventsSurviveSigkillExactlyOnce) {
  TempDir dir;
  StoreOptions options;
  options.path = dir.path();
  std::mt19937 rng(20240514);
  std::set<std::string> acked;
  int resend_cycle = -1, resend_batch = -1;  // the batch in flight at a kill

  for (int cycle = 0; cycle < kCycles; ++cycle) {
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    pid_t writer = fork();
    if (writer == 0) {
      close(fds[0]);
      auto store = OpenStore(options);
      if (!store.ok()) _exit(3);
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
      if (resend_cycle >= 0) {  // maybe already stored: duplicates are fine
        write_batch(MakeBatch(resend_cycle, resend_batch));
        int32_t ack = -1;
        if (write(fds[1], &ack, sizeof ack) != sizeof ack) _exit(6);
      }
      for (int32_t b = 0;; ++b) {
        write_batch(MakeBatch(cycle, b));
        if (write(fds[1], &b, sizeof b) != sizeof b) _exit(6);
      }
    }
    close(fds[1]);
    usleep(5000 + rng() % 150000);
    kill(writer, SIGKILL);
    int status = 0;
    waitpid(writer, &status, 0);
    ASSERT_TRUE(WIFSIGNALED(status)) << "writer exited early: " << status;
    int32_t b = 0, last = -2;
    while (read(fds[0], &b, sizeof b) == sizeof b) {
      const int c = b < 0 ? resend_cycle : cycle;
      const int batch = b < 0 ? resend_batch : b;
      for (int i = 0; i < kBatch; ++i) acked.insert(BatchId(c, batch, i));
      last = b;
    }
    close(fds[0]);
    // The batch that may have been in flight when the writer died; the next
    // writer sends it again (it may be stored already: duplicates).
    if (last >= -1) {
      resend_cycle = cycle;
      resend_batch = last + 1;
    } else if (resend_cycle < 0) {
      resend_cycle = cycle;
      resend_batch = 0;
    }  // else nothing acknowledged: the pending resend stays pending

    auto [code, message] = RunChild([&](FILE* out) -> int {
      auto store = OpenStore(options);
      if (!store.ok()) {
        fprintf(out, "reopen: %s", store.status().ToString().c_str());
        return 1;
      }
      EventStore& events = (*store)->events();
      std::set<std::string> ids;
      uint64_t prev_seq = 0;
      size_t n = 0;
      std::string error;
      auto all = events.ScanSeq(0, 0, 10'000'000);
      if (!all.ok()) {
        fprintf(out, "scan: %s", all.status().ToString().c_str());
        return 1;
      }
      uint64_t cursor = *(*store)->records().GetCursor("live");
      for (const Event& e : *all) {
        ++n;
        if (e.seq <= prev_seq) error = "seqs not increasing";
        prev_seq = e.seq;
        if (!ids.insert(e.id).second) error = "event stored twice: " + e.id;
        if (e.seq <= cursor) {
          auto r = (*store)->records().Get(RecordFor(e).key);
          if (!r.ok() || !r->has_value()) {
            error = "cursor ahead of records at " + e.id;
          }
        }
      }
      for (const std::string& id : acked) {
        if (!ids.contains(id)) error = "acknowledged event lost: " + id;
      }
      if (events.MaxSeq() != prev_seq) error = "MaxSeq disagrees with scan";
      if (cursor > prev_seq) error = "cursor beyond the last event";
      if (!error.empty()) {
        fprintf(out, "%s", error.c_str());
        return 1;
      }
      fprintf(out, "%zu events, cursor %llu", n,
              static_cast<unsigned long long>(cursor));
      return 0;
    });
    ASSERT_EQ(code, 0) << "cycle " << cycle << ": " << message;
  }
  EXPECT_GT(acked.size(), 0u);
}

}  // namespace
}  // namespace retro::store

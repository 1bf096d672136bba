#include "bench/reprocess_bench_lib.h"

#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/process.h"
#include "bench/reprocess_history.h"
#include "cel/json.h"
#include "pipeline/catalog.h"
#include "pipeline/handoff.h"
#include "pipeline/live_processor.h"
#include "pipeline/metrics.h"
#include "reprocess/run_manager.h"
#include "simdjson.h"
#include "store/store.h"

namespace retro::bench {
namespace {

using Clock = std::chrono::steady_clock;

double Since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

int Threads(int parallelism) {
  if (parallelism > 0) return parallelism;
  return std::max(1u, std::thread::hardware_concurrency());
}

// User + system CPU time of the process so far.
double CpuSeconds() {
  struct rusage u;
  if (getrusage(RUSAGE_SELF, &u) != 0) return 0;
  auto sec = [](const timeval& t) { return t.tv_sec + t.tv_usec / 1e6; };
  return sec(u.ru_utime) + sec(u.ru_stime);
}

double Mb(int64_t bytes) { return static_cast<double>(bytes) / (1 << 20); }

// Samples the resident set every 10 ms while it lives; peak() is the
// highest sample (ru_maxrss cannot say what one phase used).
class RssSampler {
 public:
  RssSampler() : peak_(CurrentRss()) {
    thread_ = std::thread([this] {
      std::unique_lock<std::mutex> lock(mu_);
      while (!stop_) {
        peak_ = std::max(peak_, CurrentRss());
        cv_.wait_for(lock, std::chrono::milliseconds(10));
      }
    });
  }
  ~RssSampler() { Stop(); }
  int64_t Stop() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
    return peak_ = std::max(peak_, CurrentRss());
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  int64_t peak_;
  std::thread thread_;
};

struct ScanResult {
  int64_t events = 0;
  double seconds = 0;
  uint64_t checksum = 0;  // keeps the touching from being optimised away
};

// Cuts [from, to) into about `target` slices of equal event counts at hour
// boundaries (the per-hour counts), as a run cuts its range.
absl::StatusOr<std::vector<std::pair<absl::Time, absl::Time>>> Slices(
    store::EventStore& events, const store::EventFilter& filter, int target) {
  auto hours = events.HourlyCounts(filter);
  if (!hours.ok()) return hours.status();
  uint64_t total = 0;
  for (const store::HourCount& h : *hours) total += h.count;
  uint64_t per_slice = std::max<uint64_t>(1, total / std::max(1, target));
  std::vector<std::pair<absl::Time, absl::Time>> slices;
  absl::Time start = filter.from;
  uint64_t in_slice = 0;
  for (size_t i = 0; i < hours->size(); ++i) {
    in_slice += (*hours)[i].count;
    bool hour_ends =
        i + 1 == hours->size() || (*hours)[i + 1].hour != (*hours)[i].hour;
    if (hour_ends && in_slice >= per_slice) {
      absl::Time end = std::min((*hours)[i].hour + absl::Hours(1), filter.to);
      if (end > start) slices.emplace_back(start, end);
      start = end;
      in_slice = 0;
    }
  }
  if (start < filter.to) slices.emplace_back(start, filter.to);
  return slices;
}

// The "scan and parse only" limit: every event of the range visited with
// `threads` threads over the slices, its payload parsed into a simdjson DOM
// and its top-level fields touched.
absl::StatusOr<ScanResult> ScanAndParse(store::EventStore& events,
                                        const store::EventFilter& filter,
                                        int threads) {
  auto slices = Slices(events, filter, 64);
  if (!slices.ok()) return slices.status();
  std::atomic<size_t> next{0};
  std::atomic<int64_t> visited{0};
  std::atomic<uint64_t> checksum{0};
  std::mutex error_mu;
  absl::Status error;
  auto start = Clock::now();
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      simdjson::dom::parser parser;
      int64_t n = 0;
      uint64_t sum = 0;
      for (size_t i; (i = next++) < slices->size();) {
        store::EventFilter f = filter;
        f.from = (*slices)[i].first;
        f.to = (*slices)[i].second;
        auto end = events.Visit(f, "", 0, [&](const store::EventView& e) {
          simdjson::dom::object object;
          if (parser.parse(e.data.data(), e.data.size()).get(object) !=
              simdjson::SUCCESS) {
            return true;
          }
          for (simdjson::dom::key_value_pair field : object) {
            sum += field.key.size();
            std::string_view s;
            if (field.value.get(s) == simdjson::SUCCESS) sum += s.size();
          }
          ++n;
          return true;
        });
        if (!end.ok()) {
          std::lock_guard<std::mutex> lock(error_mu);
          error = end.status();
          return;
        }
      }
      visited += n;
      checksum += sum;
    });
  }
  for (std::thread& t : pool) t.join();
  if (!error.ok()) return error;
  return ScanResult{visited.load(), Since(start), checksum.load()};
}

// The store and the engine, wired as api::Server wires them.
struct Engine {
  explicit Engine(std::unique_ptr<store::Store> s) : store(std::move(s)) {}
  ~Engine() {
    if (runs) runs->Stop();
    if (live) live->Stop();
  }
  absl::Status Start() {
    catalog = std::make_unique<pipeline::Catalog>(store.get());
    absl::Status st = catalog->Reload();
    if (!st.ok()) return st;
    pipeline::LiveOptions lo;
    lo.workers = 1;
    live = std::make_unique<pipeline::LiveProcessor>(store.get(), catalog.get(),
                                                     &metrics, lo, &handoffs);
    runs = std::make_unique<reprocess::RunManager>(reprocess::RunManager::Deps{
        store.get(), catalog.get(), live.get(), &handoffs, &metrics});
    st = runs->Recover();
    if (st.ok()) st = live->Start();
    if (st.ok()) st = runs->Start();
    return st;
  }

  std::unique_ptr<store::Store> store;
  pipeline::Metrics metrics;
  pipeline::HandoffRegistry handoffs;
  std::unique_ptr<pipeline::Catalog> catalog;
  std::unique_ptr<pipeline::LiveProcessor> live;
  std::unique_ptr<reprocess::RunManager> runs;
};

// One shadow run of the target generation over the whole history; the
// error is the engine's, as a message.
absl::Status TimeRun(Engine& engine, const History& h, int parallelism,
                     ReprocessRound* round, FILE* log) {
  reprocess::RunRequest request;
  request.policies = {h.policy};
  request.from = h.first;
  request.to = h.last + absl::Nanoseconds(1);
  request.mode = reprocess::RunMode::kShadow;
  request.parallelism = parallelism;
  request.reason = "retro bench reprocess";
  round->rss_before = CurrentRss();
  RssSampler sampler;
  const double cpu_start = CpuSeconds();
  auto start = Clock::now();
  auto created = engine.runs->Create(request, "bench");
  if (!created.ok()) {
    return absl::Status(
        created.status().code(),
        absl::StrCat("the run was refused: ", created.status().message()));
  }
  auto info = engine.runs->Wait(created->id, absl::Hours(24));
  round->run_seconds = Since(start);
  round->run_cpu_seconds = CpuSeconds() - cpu_start;
  round->rss_peak_during = sampler.Stop();
  round->rss_growth = round->rss_peak_during - round->rss_before;
  if (!info.ok()) return info.status();
  round->state = std::string(reprocess::RunStateName(info->state));
  round->counters = info->counters;
  round->scanned = info->scanned;
  round->setup_seconds = absl::ToDoubleSeconds(info->started - info->created);
  round->scan_seconds = absl::ToDoubleSeconds(info->finished - info->started);
  round->skipped = info->skipped;
  round->run_events_per_second =
      static_cast<double>(info->scanned) / round->run_seconds;
  round->run_events_per_cpu_second = static_cast<double>(info->scanned) /
                                     std::max(round->run_cpu_seconds, 1e-9);
  if (info->state != reprocess::RunState::kSucceeded) {
    return absl::InternalError(absl::StrCat("run ", info->id, " ended ",
                                            round->state, ": ", info->error));
  }
  if (info->scanned != static_cast<uint64_t>(h.events)) {
    return absl::InternalError(absl::StrCat("run ", info->id, " scanned ",
                                            info->scanned, " of ", h.events,
                                            " events"));
  }
  // Make way for the next round (one open run per policy).
  auto discarded = engine.runs->Discard(created->id, "bench");
  if (!discarded.ok()) return discarded.status();
  if (log != nullptr) {
    const reprocess::Counters& c = info->counters;
    std::fprintf(log,
                 "  run %s: %llu scanned, %llu skipped (not selected), %llu "
                 "processed (matched %llu: added %llu, changed "
                 "%llu, unchanged %llu; unmatched %llu, dropped %llu, errors "
                 "%llu)\n",
                 info->id.c_str(),
                 static_cast<unsigned long long>(info->scanned),
                 static_cast<unsigned long long>(info->skipped),
                 static_cast<unsigned long long>(c.processed),
                 static_cast<unsigned long long>(c.matched),
                 static_cast<unsigned long long>(c.added),
                 static_cast<unsigned long long>(c.changed),
                 static_cast<unsigned long long>(c.unchanged),
                 static_cast<unsigned long long>(c.unmatched),
                 static_cast<unsigned long long>(c.dropped),
                 static_cast<unsigned long long>(c.errors));
  }
  return absl::OkStatus();
}

void AppendCounters(const reprocess::Counters& c, std::string* out) {
  absl::StrAppend(out, "{\"processed\":", c.processed,
                  ",\"matched\":", c.matched, ",\"unmatched\":", c.unmatched,
                  ",\"dropped\":", c.dropped, ",\"errors\":", c.errors,
                  ",\"added\":", c.added, ",\"changed\":", c.changed,
                  ",\"unchanged\":", c.unchanged, ",\"removed\":", c.removed,
                  "}");
}

}  // namespace

absl::StatusOr<ReprocessBenchResult> RunReprocessBench(
    const ReprocessBenchOptions& options, FILE* log) {
  base::KeepLargeBuffersInHeap();  // as the server does
  auto history = BuildHistory(options.history, 1, log);
  if (!history.ok()) return history.status();
  HistoryCleanup cleanup(*history);
  const History& h = *history;
  ReprocessBenchResult result;
  result.events = h.events;
  result.bytes = h.bytes;
  result.load_seconds = h.load_seconds;
  result.load_events_per_second = h.events / std::max(h.load_seconds, 1e-9);
  result.parallelism = Threads(options.parallelism);
  if (log != nullptr) {
    std::fprintf(log,
                 "load: %lld events (%.0f MB of payload) in %.1f s = %.0f "
                 "events/s, then compacted as at rest in %.1f s (not "
                 "measured below)\n",
                 static_cast<long long>(h.events), Mb(h.bytes), h.load_seconds,
                 result.load_events_per_second, h.compact_seconds);
  }
  store::StoreOptions so;
  so.path = h.dir + "/store";
  auto store = store::OpenStore(so);
  if (!store.ok()) return store.status();
  Engine engine(std::move(*store));
  absl::Status st = engine.Start();
  if (!st.ok()) return st;

  store::EventFilter filter;
  filter.from = h.first;
  filter.to = h.last + absl::Nanoseconds(1);
  filter.types.insert("audit");
  filter.max_seq = h.max_seq;
  std::vector<double> run_rates, limit_rates;
  for (int r = 0; r < std::max(1, options.rounds); ++r) {
    ReprocessRound& round = result.rounds.emplace_back();
    // The limit first: the run then meets no colder cache than it did.
    const double cpu_start = CpuSeconds();
    auto scan =
        ScanAndParse(engine.store->events(), filter, result.parallelism);
    round.limit_cpu_seconds = CpuSeconds() - cpu_start;
    if (!scan.ok()) return scan.status();
    if (scan->events != h.events) {
      return absl::InternalError(absl::StrCat("the scan saw ", scan->events,
                                              " of ", h.events, " events"));
    }
    round.limit_seconds = scan->seconds;
    round.limit_events_per_second = scan->events / scan->seconds;
    round.limit_events_per_cpu_second =
        scan->events / std::max(round.limit_cpu_seconds, 1e-9);
    limit_rates.push_back(round.limit_events_per_second);
    if (result.error.empty()) {
      st = TimeRun(engine, h, options.parallelism, &round, log);
      if (!st.ok()) result.error = std::string(st.message());
    }
    if (result.error.empty()) {
      round.ratio = round.run_events_per_second / round.limit_events_per_second;
      run_rates.push_back(round.run_events_per_second);
    }
    if (log != nullptr) {
      if (result.error.empty()) {
        std::fprintf(
            log,
            "round %d: run %.0f events/s (%.2f s: setup %.2f, scan %.2f) | "
            "scan+parse limit %.0f "
            "events/s (%.2f s) | run/limit %.0f%% | RSS %.0f MB -> peak %.0f "
            "MB during the run (+%.0f MB) | per CPU second: run %.0f, "
            "limit %.0f (%.0f%%)\n",
            r + 1, round.run_events_per_second, round.run_seconds,
            round.setup_seconds, round.scan_seconds,
            round.limit_events_per_second, round.limit_seconds,
            round.ratio * 100, Mb(round.rss_before), Mb(round.rss_peak_during),
            Mb(round.rss_growth), round.run_events_per_cpu_second,
            round.limit_events_per_cpu_second,
            100 * round.run_events_per_cpu_second /
                std::max(round.limit_events_per_cpu_second, 1e-9));
      } else {
        std::fprintf(log,
                     "round %d: run FAILED (%s) | scan+parse limit %.0f "
                     "events/s (%.2f s)\n",
                     r + 1, result.error.c_str(), round.limit_events_per_second,
                     round.limit_seconds);
      }
    }
  }
  result.median_run_events_per_second = Median(run_rates);
  result.median_limit_events_per_second = Median(limit_rates);
  result.peak_rss = PeakRss();
  if (log != nullptr) {
    std::fprintf(log,
                 "summary: %lld events, parallelism %d: run %.0f events/s "
                 "(median), limit %.0f events/s, run/limit %.0f%% (goal >= "
                 "50%%); peak RSS %.0f MB (ru_maxrss)\n",
                 static_cast<long long>(h.events), result.parallelism,
                 result.median_run_events_per_second,
                 result.median_limit_events_per_second,
                 result.median_limit_events_per_second > 0
                     ? 100 * result.median_run_events_per_second /
                           result.median_limit_events_per_second
                     : 0.0,
                 Mb(result.peak_rss));
  }
  return result;
}

std::string ReprocessBenchJson(const ReprocessBenchResult& r) {
  std::string out = absl::StrCat(
      "{\"events\":", r.events, ",\"payload_bytes\":", r.bytes,
      ",\"load_seconds\":", absl::StrFormat("%.3f", r.load_seconds),
      ",\"load_events_per_second\":",
      absl::StrFormat("%.0f", r.load_events_per_second),
      ",\"parallelism\":", r.parallelism, ",\"rounds\":[");
  for (size_t i = 0; i < r.rounds.size(); ++i) {
    const ReprocessRound& x = r.rounds[i];
    if (i > 0) out.push_back(',');
    absl::StrAppend(
        &out, "{\"state\":\"", x.state, "\",\"scanned\":", x.scanned,
        ",\"skipped\":", x.skipped,
        ",\"run_seconds\":", absl::StrFormat("%.3f", x.run_seconds),
        ",\"setup_seconds\":", absl::StrFormat("%.3f", x.setup_seconds),
        ",\"scan_seconds\":", absl::StrFormat("%.3f", x.scan_seconds),
        ",\"run_events_per_second\":",
        absl::StrFormat("%.0f", x.run_events_per_second),
        ",\"limit_seconds\":", absl::StrFormat("%.3f", x.limit_seconds),
        ",\"limit_events_per_second\":",
        absl::StrFormat("%.0f", x.limit_events_per_second),
        ",\"run_over_limit\":", absl::StrFormat("%.3f", x.ratio),
        ",\"run_cpu_seconds\":", absl::StrFormat("%.3f", x.run_cpu_seconds),
        ",\"limit_cpu_seconds\":", absl::StrFormat("%.3f", x.limit_cpu_seconds),
        ",\"rss_before_bytes\":", x.rss_before,
        ",\"rss_peak_during_run_bytes\":", x.rss_peak_during,
        ",\"rss_growth_bytes\":", x.rss_growth, ",\"counters\":");
    AppendCounters(x.counters, &out);
    out.push_back('}');
  }
  absl::StrAppend(&out, "],\"median_run_events_per_second\":",
                  absl::StrFormat("%.0f", r.median_run_events_per_second),
                  ",\"median_limit_events_per_second\":",
                  absl::StrFormat("%.0f", r.median_limit_events_per_second),
                  ",\"peak_rss_bytes\":", r.peak_rss, ",\"error\":");
  cel::AppendJsonString(r.error, &out);
  out.push_back('}');
  return out;
}

}  // namespace retro::bench

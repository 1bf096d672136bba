// RunLiveLatencyBench (reprocess_bench_lib.h): live ingest latency over
// loopback HTTP with no run and while an adaptive shadow run re-processes
// the history, in alternating rounds.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <fstream>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "api/client.h"
#include "api/server.h"
#include "bench/audit_event_gen.h"
#include "bench/reprocess_bench_lib.h"
#include "bench/reprocess_history.h"
#include "cel/json.h"

namespace retro::bench {
namespace {

using Clock = std::chrono::steady_clock;

// Senders: enough that one slow request does not delay the next one due.
constexpr int kSenders = 4;

double Since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// NDJSON request bodies of fresh events (ids unlike the history's).
class Bodies {
 public:
  Bodies(uint64_t seed, int batch) : gen_(seed), batch_(batch) {}
  std::string Next() {
    std::lock_guard<std::mutex> lock(mu_);
    std::string body;
    for (int i = 0; i < batch_; ++i) {
      gen_.Next(&body);
      body.push_back('\n');
    }
    return body;
  }

 private:
  std::mutex mu_;
  AuditEventGenerator gen_;
  int batch_;
};

// p50, p99 and max of `latencies` (sorted here).
void Summarize(std::vector<double>* latencies, LatencyFigures* f) {
  std::sort(latencies->begin(), latencies->end());
  auto at = [&](double q) {
    if (latencies->empty()) return 0.0;
    size_t k = static_cast<size_t>(std::ceil(q * latencies->size()));
    return (*latencies)[std::min(latencies->size() - 1, k > 0 ? k - 1 : 0)];
  };
  f->requests = static_cast<int64_t>(latencies->size());
  f->p50_ms = at(0.5);
  f->p99_ms = at(0.99);
  f->max_ms = latencies->empty() ? 0 : latencies->back();
}

// Sends requests at `rate` events/s for `seconds` (or until `stop`) and
// measures each one from its send to its (accepted) answer, resends of
// 429/503 included; appends the latencies to `pooled`.
LatencyFigures Phase(const std::string& url, const std::string& token,
                     const LiveLatencyOptions& o, Bodies& bodies,
                     const std::atomic<bool>& stop, std::string* error,
                     std::vector<double>* pooled) {
  std::atomic<int64_t> next{0}, retried{0};
  std::mutex mu;
  std::vector<double> latencies;
  auto start = Clock::now();
  auto end = start + std::chrono::duration<double>(o.seconds);
  double interval = o.batch / o.rate;
  std::vector<std::thread> senders;
  for (int s = 0; s < kSenders; ++s) {
    senders.emplace_back([&] {
      api::Client client(api::ClientOptions{url, token, 60});
      for (;;) {
        int64_t i = next++;
        auto due = start + std::chrono::duration_cast<Clock::duration>(
                               std::chrono::duration<double>(i * interval));
        if (due >= end || stop.load()) return;
        std::string body = bodies.Next();
        std::this_thread::sleep_until(due);
        if (stop.load()) return;
        auto sent = Clock::now();
        for (;;) {
          auto r = client.Send("POST", "/v1/events?type=audit", body,
                               "application/x-ndjson");
          if (!r.ok() || (!r->ok() && r->status != 429 && r->status != 503)) {
            std::lock_guard<std::mutex> lock(mu);
            *error =
                r.ok() ? r->ErrorLine() : std::string(r.status().message());
            return;
          }
          if (r->ok()) break;
          ++retried;
          std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
        double ms = Since(sent) * 1e3;
        std::lock_guard<std::mutex> lock(mu);
        latencies.push_back(ms);
      }
    });
  }
  for (std::thread& t : senders) t.join();
  LatencyFigures f;
  f.seconds = Since(start);
  f.retried = retried.load();
  pooled->insert(pooled->end(), latencies.begin(), latencies.end());
  Summarize(&latencies, &f);
  return f;
}

void PrintPhase(FILE* log, const char* name, const LatencyFigures& f) {
  if (log == nullptr) return;
  std::fprintf(log,
               "%s: %lld requests in %.1f s: latency p50 %.2f ms, p99 %.2f ms, "
               "max %.2f ms; %lld resent (429/503); live lag p99 %.1f ms\n",
               name, static_cast<long long>(f.requests), f.seconds, f.p50_ms,
               f.p99_ms, f.max_ms, static_cast<long long>(f.retried),
               f.lag_p99_ms);
}

void AppendFigures(const LatencyFigures& f, std::string* out) {
  absl::StrAppend(
      out, "{\"requests\":", f.requests, ",\"resent\":", f.retried,
      ",\"seconds\":", absl::StrFormat("%.2f", f.seconds),
      ",\"p50_ms\":", absl::StrFormat("%.3f", f.p50_ms),
      ",\"p99_ms\":", absl::StrFormat("%.3f", f.p99_ms),
      ",\"max_ms\":", absl::StrFormat("%.3f", f.max_ms),
      ",\"live_lag_p99_ms\":", absl::StrFormat("%.3f", f.lag_p99_ms), "}");
}

bool Ongoing(reprocess::RunState s) {
  return s == reprocess::RunState::kQueued ||
         s == reprocess::RunState::kRunning ||
         s == reprocess::RunState::kPaused;
}

}  // namespace

absl::StatusOr<LiveLatencyResult> RunLiveLatencyBench(
    const LiveLatencyOptions& options, FILE* log) {
  if (options.rate <= 0 || options.batch <= 0 || options.seconds <= 0) {
    return absl::InvalidArgumentError(
        "--rate, --batch and --seconds must be positive");
  }
  auto history = BuildHistory(options.history, options.live_workers, log);
  if (!history.ok()) return history.status();
  HistoryCleanup cleanup(*history);
  const History& h = *history;
  LiveLatencyResult result;
  result.history = h.events;
  result.load_seconds = h.load_seconds;
  if (log != nullptr) {
    std::fprintf(log, "load: %lld events in %.1f s (not measured)\n",
                 static_cast<long long>(h.events), h.load_seconds);
  }

  api::ServerOptions so;
  so.data_dir = h.dir;
  so.listen = "127.0.0.1:0";
  so.live.workers = options.live_workers;
  auto server = api::Server::Open(so);
  if (!server.ok()) return server.status();
  api::Server* s = server->get();
  auto port = s->Bind();
  if (!port.ok()) return port.status();
  std::thread serving([s] { s->Run(); });
  std::string token;
  {
    std::ifstream in(s->admin_token_path());
    std::getline(in, token);
  }
  std::string url = s->url();
  Bodies bodies(options.history.seed + 1'000'003, options.batch);
  std::atomic<bool> stop{false};
  std::string error;
  if (log != nullptr) {
    std::fprintf(log,
                 "live ingest at %.0f events/s in batches of %d over HTTP "
                 "(synced), %d live workers, %.0f s per phase\n",
                 options.rate, options.batch, options.live_workers,
                 options.seconds);
  }

  std::vector<double> idle_pool, running_pool;
  LatencyFigures& idle = result.idle;
  LatencyFigures& running = result.running;
  // Once live processing has caught up: the phase's live lag, printed, and
  // added to the pooled figures of its kind.
  auto end_phase = [&](const char* name, LatencyFigures* phase,
                       LatencyFigures* pooled) {
    s->live().WaitIdle();
    phase->lag_p99_ms = s->metrics().lag.Quantile(0.99) * 1e3;
    PrintPhase(log, name, *phase);
    pooled->seconds += phase->seconds;
    pooled->retried += phase->retried;
    pooled->lag_p99_ms = std::max(pooled->lag_p99_ms, phase->lag_p99_ms);
  };
  for (int r = 0; r < options.rounds && error.empty() && result.error.empty();
       ++r) {
    if (log != nullptr && options.rounds > 1) {
      std::fprintf(log, "round %d of %d\n", r + 1, options.rounds);
    }
    LiveLatencyRound round;
    stop = false;
    s->metrics().lag.Reset();
    round.idle = Phase(url, token, options, bodies, stop, &error, &idle_pool);
    end_phase("  no run", &round.idle, &idle);
    if (!error.empty()) break;

    reprocess::RunRequest request;
    request.policies = {h.policy};
    request.from = h.first;  // to: up to the promote (live events hand off)
    request.mode = reprocess::RunMode::kShadow;
    request.adaptive = true;
    request.parallelism = options.parallelism;
    request.reason = "retro bench reprocess --live-latency";
    auto created = s->runs().Create(request, "bench");
    if (!created.ok()) {
      result.error =
          absl::StrCat("the run was refused: ", created.status().message());
      break;
    }
    s->metrics().lag.Reset();
    auto run_start = Clock::now();
    std::thread watcher([&] {  // ends the phase when the run ends
      while (!stop.load()) {
        auto info = s->runs().Get(created->id);
        if (!info.ok() || !Ongoing(info->state)) {
          stop = true;
          return;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
    });
    round.running =
        Phase(url, token, options, bodies, stop, &error, &running_pool);
    double window = Since(run_start);
    stop = true;
    watcher.join();
    auto info = s->runs().Get(created->id);
    if (info.ok()) {
      round.run_scanned = info->scanned;
      round.run_events_per_second = info->scanned / window;
      result.run_state = std::string(reprocess::RunStateName(info->state));
      if (!info->error.empty()) result.error = info->error;
      if (Ongoing(info->state)) (void)s->runs().Cancel(created->id, "bench");
      (void)s->runs().Wait(created->id, absl::Seconds(60));
      (void)s->runs().Discard(created->id, "bench");
    }
    end_phase("  during the run", &round.running, &running);
    if (round.idle.p99_ms > 0) {
      round.ratio = round.running.p99_ms / round.idle.p99_ms;
    }
    if (log != nullptr) {
      std::fprintf(log,
                   "  the run (adaptive, %s when the window ended) scanned "
                   "%llu of %lld events in the %.1f s window = %.0f "
                   "events/s; p99 ratio %.2fx\n",
                   result.run_state.c_str(),
                   static_cast<unsigned long long>(round.run_scanned),
                   static_cast<long long>(h.events), window,
                   round.run_events_per_second, round.ratio);
    }
    result.rounds.push_back(round);
  }
  Summarize(&idle_pool, &idle);
  Summarize(&running_pool, &running);
  std::vector<double> rates;
  for (const LiveLatencyRound& r : result.rounds) {
    rates.push_back(r.run_events_per_second);
  }
  result.run_events_per_second = Median(std::move(rates));
  if (!error.empty() && result.error.empty()) result.error = error;
  if (idle.p99_ms > 0) result.ratio = running.p99_ms / idle.p99_ms;
  if (log != nullptr) {
    if (!result.error.empty())
      std::fprintf(log, "error: %s\n", result.error.c_str());
    std::fprintf(log,
                 "summary over %zu round(s): ingest p99 %.2f ms with no run "
                 "(%lld requests), %.2f ms during the runs (%lld requests): "
                 "ratio %.2fx (goal <= 1.5x); the runs' median rate %.0f "
                 "events/s\n",
                 result.rounds.size(), idle.p99_ms,
                 static_cast<long long>(idle.requests), running.p99_ms,
                 static_cast<long long>(running.requests), result.ratio,
                 result.run_events_per_second);
  }
  s->Stop();
  serving.join();
  server->reset();
  return result;
}

std::string LiveLatencyJson(const LiveLatencyResult& r) {
  std::string out =
      absl::StrCat("{\"history\":", r.history, ",\"load_seconds\":",
                   absl::StrFormat("%.3f", r.load_seconds), ",\"no_run\":");
  AppendFigures(r.idle, &out);
  out.append(",\"during_run\":");
  AppendFigures(r.running, &out);
  absl::StrAppend(&out, ",\"p99_ratio\":", absl::StrFormat("%.3f", r.ratio),
                  ",\"run_events_per_second\":",
                  absl::StrFormat("%.0f", r.run_events_per_second),
                  ",\"rounds\":[");
  for (size_t i = 0; i < r.rounds.size(); ++i) {
    const LiveLatencyRound& x = r.rounds[i];
    if (i > 0) out.push_back(',');
    out.append("{\"no_run\":");
    AppendFigures(x.idle, &out);
    out.append(",\"during_run\":");
    AppendFigures(x.running, &out);
    absl::StrAppend(&out, ",\"p99_ratio\":", absl::StrFormat("%.3f", x.ratio),
                    ",\"run_scanned\":", x.run_scanned,
                    ",\"run_events_per_second\":",
                    absl::StrFormat("%.0f", x.run_events_per_second), "}");
  }
  out.append("],\"run_state\":");
  cel::AppendJsonString(r.run_state, &out);
  out.append(",\"error\":");
  cel::AppendJsonString(r.error, &out);
  out.push_back('}');
  return out;
}

}  // namespace retro::bench

// `retro bench ingest`: end-to-end ingest throughput over loopback HTTP
// (NDJSON batches of audit events, durable acknowledgements, live
// processing on) and live lag percentiles at a fixed fraction of that rate.
// Runs its own server on a temporary data directory. Registered under a name
// that sorts after "bench" so it can add itself to that command.
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "api/client.h"
#include "api/server.h"
#include "base/log.h"
#include "base/strings.h"
#include "cli/command.h"
#include "policy/loader.h"

namespace retro::cli {
namespace {

struct BenchFlags {
  std::string fixtures = "examples";
  size_t events = 300'000;
  // Sent first, untimed: a fresh server's first few hundred MB fault in
  // its memtables and heap, which a server that has been up does not pay.
  size_t warmup = 100'000;
  size_t batch = 1000;
  int clients = 8;  // as many as the server has HTTP threads
  double lag_fraction = 0.5;
  double lag_seconds = 5;
  int workers = 2;
};

// CPU time of the whole process (every thread: server, live workers,
// RocksDB, and the bench's own HTTP clients), in seconds.
double ProcessCpuSeconds() {
  rusage u;
  getrusage(RUSAGE_SELF, &u);
  auto secs = [](const timeval& t) { return t.tv_sec + t.tv_usec / 1e6; };
  return secs(u.ru_utime) + secs(u.ru_stime);
}

std::string NameOf(const std::string& doc) {
  size_t m = doc.find("metadata:");
  size_t n = doc.find("name:", m);
  size_t end = doc.find_first_of("}\n", n);
  std::string name = doc.substr(n + 5, end - n - 5);
  while (!name.empty() && name.front() == ' ') name.erase(0, 1);
  while (!name.empty() && name.back() == ' ') name.pop_back();
  return name;
}

// NDJSON batches of audit events built from the fixture lines, each with a
// unique auditID.
std::vector<std::string> MakeBatches(const std::vector<std::string>& lines,
                                     size_t events, size_t batch,
                                     std::string_view prefix) {
  std::vector<std::string> out;
  out.reserve(events / batch + 1);
  size_t line_bytes = 0;
  for (const std::string& l : lines) line_bytes += l.size() + 16;
  const size_t batch_bytes = line_bytes / lines.size() * batch * 5 / 4;
  std::string body;
  body.reserve(batch_bytes);
  for (size_t i = 0; i < events; ++i) {
    const std::string& t = lines[i % lines.size()];
    size_t k = t.find("\"auditID\":\"");
    size_t v = k + 11;
    size_t e = t.find('"', v);
    body.append(t, 0, v);
    absl::StrAppend(&body, base::AV(prefix), "-", i);
    body.append(t, e, std::string::npos);
    body.push_back('\n');
    if ((i + 1) % batch == 0 || i + 1 == events) {
      out.push_back(std::move(body));
      body = std::string();
      body.reserve(batch_bytes);
    }
  }
  return out;
}

// Sends every batch (retrying 429/503); returns events acknowledged.
size_t SendAll(const std::string& url, const std::string& token,
               const std::vector<std::string>& batches, size_t events,
               size_t batch, int clients, double rate) {
  std::atomic<size_t> next{0}, acked{0};
  auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&] {
      api::Client client(api::ClientOptions{url, token, 60});
      for (;;) {
        size_t i = next++;
        if (i >= batches.size()) return;
        if (rate > 0) {  // pace: batch i is due at i * batch_size / rate
          size_t n_before = i * batch;
          auto due = start + std::chrono::duration<double>(n_before / rate);
          std::this_thread::sleep_until(due);
        }
        for (;;) {
          auto r = client.Send("POST", "/v1/events?type=audit", batches[i],
                               "application/x-ndjson");
          if (!r.ok()) {
            std::fprintf(stderr, "error: %s\n",
                         std::string(r.status().message()).c_str());
            return;
          }
          if (r->status == 429 || r->status == 503) {
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
            continue;
          }
          if (r->ok()) acked += std::min(batch, events - i * batch);
          break;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  return acked;
}

void RunBenchIngest(const BenchFlags& f) {
  (void)base::InitLogging("warn");
  // Read the inputs before any thread exists (a missing file exits).
  const std::string sources_text =
      ReadFileOrExit(f.fixtures + "/policies/sources.yaml");
  const std::string policies_text =
      ReadFileOrExit(f.fixtures + "/policies/workloads.activity.yaml");
  const std::string audit_text =
      ReadFileOrExit(f.fixtures + "/events/audit.jsonl");
  std::string dir =
      absl::StrCat(std::filesystem::temp_directory_path().string(),
                   "/retro-bench-", getpid());
  api::ServerOptions options;
  options.data_dir = dir;
  options.listen = "127.0.0.1:0";
  options.live.workers = f.workers;
  auto server = api::Server::Open(options);
  if (!server.ok()) {
    std::fprintf(stderr, "error: %s\n",
                 std::string(server.status().message()).c_str());
    throw ExitRequest{kExitFailure};
  }
  auto port = (*server)->Bind();
  if (!port.ok()) throw ExitRequest{kExitUnavailable};
  api::Server* s = server->get();
  std::thread serving([s] { s->Run(); });
  std::string url = s->url();
  std::string token;
  {
    std::ifstream in(s->admin_token_path());
    std::getline(in, token);
  }
  api::Client admin(api::ClientOptions{url, token, 60});
  for (const std::string& doc : policy::SplitDocumentTexts(sources_text)) {
    if (doc.find("kind: Source") == std::string::npos) continue;
    (void)admin.Send("PUT", "/v1/sources/" + NameOf(doc), doc);
  }
  for (const std::string& doc : policy::SplitDocumentTexts(policies_text)) {
    if (doc.find("kind:") == std::string::npos) continue;
    (void)admin.Send("PUT", "/v1/policies/" + NameOf(doc), doc);
  }
  std::vector<std::string> lines;
  {
    std::istringstream in(audit_text);
    std::string l;
    while (std::getline(in, l))
      if (!l.empty()) lines.push_back(l);
  }
  std::printf(
      "retro bench ingest: %zu audit events in NDJSON batches of %zu, "
      "%d HTTP clients, %d live workers, synced WAL (after %zu untimed "
      "warm-up events)\n",
      f.events, f.batch, f.clients, f.workers, f.warmup);
  if (f.warmup > 0) {
    auto warm = MakeBatches(lines, f.warmup, f.batch, "warm");
    auto w0 = std::chrono::steady_clock::now();
    size_t warm_acked =
        SendAll(url, token, warm, f.warmup, f.batch, f.clients, 0);
    double warm_secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - w0)
            .count();
    s->live().WaitIdle();
    std::printf("warm-up: %zu events acknowledged at %.0f events/s\n",
                warm_acked, warm_acked / warm_secs);
  }
  auto batches = MakeBatches(lines, f.events, f.batch, "tput");
  double cpu0 = ProcessCpuSeconds();
  auto t0 = std::chrono::steady_clock::now();
  size_t acked = SendAll(url, token, batches, f.events, f.batch, f.clients, 0);
  double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
          .count();
  double rate = acked / secs;
  s->live().WaitIdle();
  double all_secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
          .count();
  double cpu = ProcessCpuSeconds() - cpu0;
  std::printf(
      "throughput: %zu events acknowledged in %.2fs = %.0f events/s "
      "(live processing done after %.2fs)\n",
      acked, secs, rate, all_secs);
  // Per event, so runs compare on a busy machine; RocksDB's background
  // flushes and compactions of these events may still be running.
  std::printf(
      "process cpu: %.2fs for ingest and live processing = %.1f us "
      "per event\n",
      cpu, acked ? cpu / acked * 1e6 : 0.0);

  double target = rate * f.lag_fraction;
  size_t n = static_cast<size_t>(target * f.lag_seconds);
  n = std::max<size_t>(n / f.batch, 1) * f.batch;
  auto lag_batches = MakeBatches(lines, n, f.batch, "lag");
  s->metrics().lag.Reset();
  t0 = std::chrono::steady_clock::now();
  acked = SendAll(url, token, lag_batches, n, f.batch, f.clients, target);
  secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
             .count();
  s->live().WaitIdle();
  std::printf(
      "live lag at %.0f events/s (achieved %.0f/s, %zu events): "
      "p50 %.1f ms, p99 %.1f ms, max-bucket p99.9 %.1f ms\n",
      target, acked / secs, acked, s->metrics().lag.Quantile(0.5) * 1e3,
      s->metrics().lag.Quantile(0.99) * 1e3,
      s->metrics().lag.Quantile(0.999) * 1e3);
  s->Stop();
  serving.join();
  server->reset();
  std::filesystem::remove_all(dir);
}

void RegisterBenchIngest(CLI::App& app) {
  CLI::App* bench = nullptr;
  try {
    bench = app.get_subcommand("bench");
  } catch (const CLI::OptionNotFound&) {
    bench = app.add_subcommand("bench", "Run benchmarks");
    bench->require_subcommand(1);
  }
  auto f = std::make_shared<BenchFlags>();
  CLI::App* cmd = bench->add_subcommand(
      "ingest",
      "Ingest throughput over loopback HTTP and live lag at half that rate");
  cmd->add_option("--fixtures", f->fixtures,
                  "folder with policies/ and events/audit.jsonl")
      ->capture_default_str();
  cmd->add_option("--events", f->events, "events for the throughput phase")
      ->capture_default_str();
  cmd->add_option("--warmup", f->warmup,
                  "events sent first, untimed (a fresh server faults in "
                  "its memtables and heap)")
      ->capture_default_str();
  cmd->add_option("--clients", f->clients, "concurrent HTTP clients")
      ->capture_default_str();
  cmd->add_option("--workers", f->workers, "live worker threads")
      ->capture_default_str();
  cmd->add_option("--lag-seconds", f->lag_seconds, "length of the lag phase")
      ->capture_default_str();
  cmd->callback([f] { RunBenchIngest(*f); });
}

}  // namespace

RETRO_REGISTER_COMMAND(bench_ingest, RegisterBenchIngest);

}  // namespace retro::cli

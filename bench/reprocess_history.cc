#include "bench/reprocess_history.h"

#include <malloc.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "base/file.h"
#include "base/strings.h"
#include "base/time.h"
#include "bench/audit_event_gen.h"
#include "pipeline/catalog.h"
#include "pipeline/record_convert.h"
#include "policy/evaluator.h"
#include "policy/loader.h"
#include "store/store.h"

namespace retro::bench {
namespace {

namespace fs = std::filesystem;

// Events (and their records) per append: big unsynced batches, since
// loading is not what is measured.
constexpr size_t kLoadBatch = 8192;

// Beside the store of a history built in a given --dir: what the benches
// need to reuse it instead of building it again.
constexpr const char* kHistoryFile = "bench-history.txt";

std::string HistoryText(const HistoryOptions& options, int live_workers,
                        const History& h) {
  return absl::StrCat("events ", h.events, "\nseed ", options.seed, "\npolicy ",
                      h.policy, "\nlive_workers ", live_workers, "\nbytes ",
                      h.bytes, "\nfirst_ns ", base::ToUnixNanos(h.first),
                      "\nlast_ns ", base::ToUnixNanos(h.last), "\nmax_seq ",
                      h.max_seq, "\nload_seconds ", h.load_seconds, "\n");
}

// A history built earlier in options.dir with the same events, seed, policy
// and live workers, whose store holds no event since: reused as it is (the
// benches' runs are discarded, so the store is as built). Nullopt when there
// is none to reuse.
std::optional<History> ReusableHistory(const HistoryOptions& options,
                                       int live_workers) {
  if (options.dir.empty() || !options.export_file.empty()) return std::nullopt;
  std::ifstream in(fs::path(options.dir) / kHistoryFile);
  if (!in) return std::nullopt;
  base::StringMap<std::string> kv;
  std::string key, value;
  while (in >> key >> value) kv[key] = value;
  auto num = [&](const char* k, auto* out) {
    auto it = kv.find(k);
    return it != kv.end() && absl::SimpleAtoi(it->second, out);
  };
  History h;
  h.dir = options.dir;
  h.policy = options.policy;
  int64_t seed = 0, workers = 0, first = 0, last = 0;
  if (!num("events", &h.events) || !num("seed", &seed) ||
      !num("live_workers", &workers) || !num("bytes", &h.bytes) ||
      !num("first_ns", &first) || !num("last_ns", &last) ||
      !num("max_seq", &h.max_seq) || !kv.contains("policy") ||
      !absl::SimpleAtod(kv["load_seconds"], &h.load_seconds)) {
    return std::nullopt;
  }
  if (h.events != options.events ||
      static_cast<uint64_t>(seed) != options.seed || workers != live_workers ||
      kv["policy"] != options.policy) {
    return std::nullopt;
  }
  h.first = absl::FromUnixNanos(first);
  h.last = absl::FromUnixNanos(last);
  store::StoreOptions so;
  so.path = h.dir + "/store";
  so.create_if_missing = false;
  auto store = store::OpenStore(so);
  if (!store.ok() || (*store)->events().MaxSeq() != h.max_seq) {
    return std::nullopt;
  }
  return h;
}

// A file of the checkout the binary was built from (examples/...), else of
// the configured source directory.
absl::StatusOr<std::string> FindCheckoutFile(std::string_view relative) {
  std::vector<fs::path> candidates;
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    for (fs::path dir = exe.parent_path(); dir.has_relative_path();
         dir = dir.parent_path()) {
      if (fs::exists(dir / "CMakeLists.txt", ec) &&
          fs::exists(dir / "src" / "policy", ec)) {
        candidates.push_back(dir / relative);
        break;
      }
    }
  }
#ifdef RETRO_SOURCE_DEFAULT
  candidates.push_back(fs::path(RETRO_SOURCE_DEFAULT) / relative);
#endif
  for (const fs::path& p : candidates) {
    if (fs::exists(p, ec)) return p.string();
  }
  return absl::NotFoundError(
      absl::StrCat("cannot find ", base::AV(relative),
                   " of the checkout; pass --policy and --source"));
}

std::string Problems(const std::vector<policy::Problem>& problems) {
  std::string out;
  for (const policy::Problem& p : problems) {
    if (p.is_error()) absl::StrAppend(&out, "\n  ", p.ToString());
  }
  return out;
}

// Stores every Source document of `file`.
absl::Status PutSources(const std::string& file, store::Store& store) {
  auto text = base::ReadFile(file);
  if (!text.ok()) return text.status();
  int n = 0;
  for (const std::string& doc : policy::SplitDocumentTexts(*text)) {
    std::vector<policy::Problem> problems;
    policy::FileDocs docs = policy::LoadDocuments(file, doc, &problems);
    if (policy::HasErrors(problems)) {
      return absl::InvalidArgumentError(
          absl::StrCat(file, " has errors:", Problems(problems)));
    }
    if (docs.sources.size() != 1) continue;
    store::Document d{"source", docs.sources[0].name.value, absl::Now(), doc};
    absl::Status st = store.control().PutDocument(d);
    if (!st.ok()) return st;
    ++n;
  }
  if (n == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(file,
                     " holds no Source document; pass --source with "
                     "the file of your Source documents"));
  }
  return absl::OkStatus();
}

// The text of policy `name`'s document in `file`.
absl::StatusOr<std::string> PolicyText(const std::string& file,
                                       const std::string& name) {
  auto text = base::ReadFile(file);
  if (!text.ok()) return text.status();
  for (const std::string& doc : policy::SplitDocumentTexts(*text)) {
    std::vector<policy::Problem> problems;
    policy::FileDocs docs = policy::LoadDocuments(file, doc, &problems);
    if (docs.policies.size() == 1 && docs.policies[0].name.value == name) {
      return doc;
    }
  }
  return absl::NotFoundError(absl::StrCat("no policy named '", name, "' in ",
                                          file, "; pick one with --name"));
}

// Generation 2: the same policy with the first rule's summary changed.
absl::StatusOr<std::string> ChangeSummary(const std::string& text,
                                          const std::string& name) {
  constexpr std::string_view kSummary = "summary: \"";
  size_t at = text.find(kSummary);
  if (at == std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat(
        "policy '", name,
        "' has no `summary: \"...\"` line to change for "
        "generation 2; use a policy whose summaries are double-quoted"));
  }
  std::string out = text;
  out.insert(at + kSummary.size(), "v2: ");
  return out;
}

absl::Status Apply(pipeline::Catalog& catalog, store::Store& store,
                   const std::string& name, const std::string& text,
                   bool activate) {
  std::string file = absl::StrCat(name, ".yaml");
  auto compiled = catalog.CompileWithSources(file, text);
  if (!compiled.ok()) return compiled.status();
  std::vector<policy::Problem> problems;
  for (const policy::Problem& p : (*compiled)->problems()) {
    if (p.file == file) problems.push_back(p);
  }
  if (policy::HasErrors(problems) || (*compiled)->policies().size() != 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "policy '", name, "' does not compile:", Problems(problems)));
  }
  auto applied = store.control().ApplyPolicy(
      name, text, (*compiled)->policies()[0]->generation(), absl::Now(),
      activate);
  if (!applied.ok()) return applied.status();
  return catalog.Reload();
}

absl::StatusOr<std::string> MakeDir(const HistoryOptions& options,
                                    bool* temporary) {
  std::error_code ec;
  if (options.dir.empty()) {
    std::string tmpl =
        (fs::temp_directory_path() / "retro-bench-reprocess-XXXXXX").string();
    if (mkdtemp(tmpl.data()) == nullptr) {
      return absl::InternalError("cannot create a temporary directory");
    }
    *temporary = true;
    return tmpl;
  }
  if (fs::exists(fs::path(options.dir) / "store", ec)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--dir ", options.dir,
        " already holds a store that is not a reusable bench history (no ",
        kHistoryFile,
        ", or built with other --events/--seed/--name, or changed since); "
        "pass a new or empty directory"));
  }
  fs::create_directories(options.dir, ec);
  if (ec) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot create --dir ", options.dir, ": ", ec.message()));
  }
  *temporary = false;
  return options.dir;
}

// Generates, stores and (optionally) exports the events; writes generation
// 1's records for them.
absl::Status Load(const HistoryOptions& options, int live_workers,
                  store::Store& store, const pipeline::CatalogSnapshot& snap,
                  FILE* out, History* h) {
  const pipeline::ActivePolicy* active = nullptr;
  for (const pipeline::ActivePolicy& p : snap.policies) {
    if (p.name == h->policy) active = &p;
  }
  if (active == nullptr) {
    return absl::InternalError("generation 1 is not active after applying it");
  }
  policy::Evaluator evaluator(&snap.sources());
  AuditEventGenerator gen(options.seed);
  std::vector<store::Event> events;
  store::RecordBatch records;
  std::string line, scratch, exported;
  store::AppendOptions append;
  append.sync = false;
  store::WriteOptions write;
  write.sync = false;
  h->first = absl::InfiniteFuture();
  h->last = absl::InfinitePast();
  for (int64_t i = 0; i < options.events; ++i) {
    line.clear();
    gen.Next(&line);
    if (out != nullptr) exported.append(line).push_back('\n');
    absl::Status st = evaluator.Load("audit", line);
    if (!st.ok()) {
      return absl::InternalError(absl::StrCat(
          "generated event ", i, " does not load: ", st.message()));
    }
    const policy::Envelope& env = evaluator.envelope();
    store::Event& e = events.emplace_back();
    e.type = "audit";
    e.id = env.id;
    e.tenant = env.tenant;
    e.time = env.time;
    e.source = "bench";
    e.data = line;
    h->first = std::min(h->first, e.time);
    h->last = std::max(h->last, e.time);
    h->bytes += static_cast<int64_t>(line.size());
    const policy::Outcome& o = evaluator.Evaluate(*active->compiled);
    if (o.kind == policy::OutcomeKind::kMatched) {
      records.Put(pipeline::ToStoreRecord(o, active->name, active->generation,
                                          e.type, e.id, e.time, &scratch));
    }
    if (events.size() == kLoadBatch || i + 1 == options.events) {
      auto appended = store.events().Append(events, append);
      if (!appended.ok()) return appended.status();
      if (appended->accepted != events.size()) {
        return absl::InternalError(absl::StrCat(
            "the store accepted ", appended->accepted, " of ", events.size(),
            " generated events (duplicate ids? try another --seed)"));
      }
      if (!records.empty()) {
        st = store.records().Commit(records, write);
        if (!st.ok()) return st;
      }
      if (out != nullptr && std::fwrite(exported.data(), 1, exported.size(),
                                        out) != exported.size()) {
        return absl::InternalError("writing the export file failed");
      }
      events.clear();
      records.Clear();
      exported.clear();
    }
  }
  h->events = options.events;
  h->max_seq = store.events().MaxSeq();
  // Live processing has seen everything: it must not re-evaluate the load.
  store::RecordBatch cursors;
  for (int i = 0; i < live_workers; ++i) {
    cursors.SetCursor(absl::StrCat("live/", i, "of", live_workers), h->max_seq);
  }
  return store.records().Commit(cursors, store::WriteOptions{true});
}

}  // namespace

HistoryCleanup::~HistoryCleanup() {
  if (!history_.temporary || history_.dir.empty()) return;
  std::error_code ec;
  fs::remove_all(history_.dir, ec);
}

int64_t CurrentRss() {
  FILE* f = std::fopen("/proc/self/statm", "r");
  if (f == nullptr) return 0;
  long long size = 0, resident = 0;
  int n = std::fscanf(f, "%lld %lld", &size, &resident);
  std::fclose(f);
  return n == 2 ? resident * sysconf(_SC_PAGESIZE) : 0;
}

int64_t PeakRss() {
  struct rusage usage;
  if (getrusage(RUSAGE_SELF, &usage) != 0) return 0;
  return static_cast<int64_t>(usage.ru_maxrss) * 1024;  // KiB on Linux
}

double Median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

absl::StatusOr<History> BuildHistory(const HistoryOptions& options,
                                     int live_workers, FILE* log) {
  std::string policy_file = options.policy_file;
  if (policy_file.empty()) {
    auto found = FindCheckoutFile("examples/policies/workloads.activity.yaml");
    if (!found.ok()) return found.status();
    policy_file = *found;
  }
  std::string sources_file = options.sources_file;
  if (sources_file.empty()) {
    auto found = FindCheckoutFile("examples/policies/sources.yaml");
    if (!found.ok()) return found.status();
    sources_file = *found;
  }
  auto gen1 = PolicyText(policy_file, options.policy);
  if (!gen1.ok()) return gen1.status();
  auto gen2 = ChangeSummary(*gen1, options.policy);
  if (!gen2.ok()) return gen2.status();

  if (std::optional<History> reused = ReusableHistory(options, live_workers)) {
    if (log != nullptr) {
      std::fprintf(log, "reusing the history of %lld events in %s\n",
                   static_cast<long long>(reused->events), reused->dir.c_str());
    }
    return *std::move(reused);
  }
  History h;
  h.policy = options.policy;
  auto dir = MakeDir(options, &h.temporary);
  if (!dir.ok()) return dir.status();
  h.dir = *dir;
  FILE* out = nullptr;
  if (!options.export_file.empty()) {
    out = std::fopen(options.export_file.c_str(), "wb");
    if (out == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("cannot write --export ", options.export_file));
    }
  }
  absl::Status st;
  {
    store::StoreOptions so;
    so.path = h.dir + "/store";
    auto store = store::OpenStore(so);
    if (!store.ok()) {
      if (out != nullptr) std::fclose(out);
      return store.status();
    }
    pipeline::Catalog catalog(store->get());
    st = PutSources(sources_file, **store);
    if (st.ok()) st = catalog.Reload();
    if (st.ok()) st = Apply(catalog, **store, h.policy, *gen1, true);
    if (st.ok()) {
      if (log != nullptr) {
        std::fprintf(log,
                     "loading %lld audit events (seed %llu) into %s, policy "
                     "'%s' generation 1 (%s) active...\n",
                     static_cast<long long>(options.events),
                     static_cast<unsigned long long>(options.seed),
                     h.dir.c_str(), h.policy.c_str(), policy_file.c_str());
      }
      auto start = std::chrono::steady_clock::now();
      st = Load(options, live_workers, **store, *catalog.Current(), out, &h);
      h.load_seconds = std::chrono::duration<double>(
                           std::chrono::steady_clock::now() - start)
                           .count();
    }
    // The run's target, applied after the load (live processing stays on
    // generation 1).
    if (st.ok()) st = Apply(catalog, **store, h.policy, *gen2, false);
    // History as it is at rest: compacted, not a fresh load's backlog of
    // background compactions competing with the first round.
    if (st.ok()) {
      auto start = std::chrono::steady_clock::now();
      st = (*store)->Compact();
      h.compact_seconds = std::chrono::duration<double>(
                              std::chrono::steady_clock::now() - start)
                              .count();
    }
  }
  if (out != nullptr && std::fclose(out) != 0 && st.ok()) {
    st = absl::InternalError("writing the export file failed");
  }
  if (!st.ok()) {
    HistoryCleanup cleanup(h);
    return st;
  }
  // The load's store is closed: give its freed heap (memtables, blocks,
  // the background threads' arenas) back, so that the RSS the benches
  // report is the engine's, not what malloc kept of the load.
  malloc_trim(0);
  if (!h.temporary) {
    std::ofstream meta(fs::path(h.dir) / kHistoryFile);
    meta << HistoryText(options, live_workers, h);
  }
  return h;
}

}  // namespace retro::bench

#include "reprocess/run_doc.h"

#include <limits>
#include <mutex>
#include <random>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cel/json.h"
#include "simdjson.h"

namespace retro::reprocess {
namespace {

int64_t TimeToInt(absl::Time t) {
  if (t == absl::InfinitePast()) return std::numeric_limits<int64_t>::min();
  if (t == absl::InfiniteFuture()) return std::numeric_limits<int64_t>::max();
  return absl::ToUnixNanos(t);
}

absl::Time IntToTime(int64_t v) {
  if (v == std::numeric_limits<int64_t>::min()) return absl::InfinitePast();
  if (v == std::numeric_limits<int64_t>::max()) return absl::InfiniteFuture();
  return absl::FromUnixNanos(v);
}

class Writer {
 public:
  explicit Writer(std::string* out) : out_(out) { out_->push_back('{'); }
  void Key(std::string_view k) {
    if (!first_) out_->push_back(',');
    first_ = false;
    cel::AppendJsonString(k, out_);
    out_->push_back(':');
  }
  void Str(std::string_view k, std::string_view v) {
    Key(k);
    cel::AppendJsonString(v, out_);
  }
  void Int(std::string_view k, int64_t v) {
    Key(k);
    absl::StrAppend(out_, v);
  }
  void Uint(std::string_view k, uint64_t v) {
    Key(k);
    absl::StrAppend(out_, v);
  }
  void Double(std::string_view k, double v) {
    Key(k);
    out_->append(absl::StrFormat("%.17g", v));
  }
  void Bool(std::string_view k, bool v) {
    Key(k);
    out_->append(v ? "true" : "false");
  }
  void Time(std::string_view k, absl::Time t) { Int(k, TimeToInt(t)); }
  void Strings(std::string_view k, const std::vector<std::string>& v) {
    Key(k);
    out_->push_back('[');
    for (size_t i = 0; i < v.size(); ++i) {
      if (i) out_->push_back(',');
      cel::AppendJsonString(v[i], out_);
    }
    out_->push_back(']');
  }
  std::string* out() { return out_; }
  void End() { out_->push_back('}'); }

 private:
  std::string* out_;
  bool first_ = true;
};

absl::Status Bad(std::string_view what) {
  return absl::DataLossError(absl::StrCat(
      "malformed run document: ", absl::string_view(what.data(), what.size())));
}

template <typename T>
bool Get(simdjson::dom::object o, std::string_view key, T* out) {
  auto v = o[key];
  if (v.error()) return false;
  return v.get(*out) == simdjson::SUCCESS;
}

std::string GetStr(simdjson::dom::object o, std::string_view key) {
  std::string_view v;
  return Get(o, key, &v) ? std::string(v) : std::string();
}

uint64_t GetU(simdjson::dom::object o, std::string_view key) {
  uint64_t v = 0;
  Get(o, key, &v);
  return v;
}

absl::Time GetTime(simdjson::dom::object o, std::string_view key) {
  int64_t v = std::numeric_limits<int64_t>::min();
  Get(o, key, &v);
  return IntToTime(v);
}

std::vector<std::string> GetStrings(simdjson::dom::object o,
                                    std::string_view key) {
  std::vector<std::string> out;
  simdjson::dom::array a;
  if (!Get(o, key, &a)) return out;
  for (auto e : a) {
    std::string_view s;
    if (e.get(s) == simdjson::SUCCESS) out.emplace_back(s);
  }
  return out;
}

}  // namespace

std::string EncodeRunDoc(const RunDoc& doc) {
  const RunInfo& i = doc.info;
  const RunRequest& r = i.request;
  std::string out;
  Writer w(&out);
  w.Int("version", 1);
  w.Str("id", i.id);
  w.Str("state", RunStateName(i.state));
  w.Str("mode", RunModeName(r.mode));
  w.Strings("policies", r.policies);
  w.Str("selector", r.selector);
  w.Time("from", r.from);
  w.Bool("has_to", r.to.has_value());
  w.Time("to", r.to.value_or(absl::InfiniteFuture()));
  w.Strings("tenants", r.tenants);
  w.Strings("types", r.types);
  w.Str("filter", r.filter);
  w.Bool("purge_unmatched", r.purge_unmatched);
  w.Double("max_rate", r.max_rate);
  w.Bool("adaptive", r.adaptive);
  w.Int("parallelism", r.parallelism);
  w.Double("min_coverage", r.gates.min_coverage);
  w.Uint("max_errors", r.gates.max_errors);
  if (r.gates.max_changed_ratio) {
    w.Double("max_changed_ratio", *r.gates.max_changed_ratio);
  }
  if (r.gates.max_removed) w.Uint("max_removed", *r.gates.max_removed);
  w.Str("retry_errors_of", r.retry_errors_of);
  w.Str("reason", r.reason);
  w.Key("targets");
  out.push_back('[');
  for (size_t k = 0; k < i.targets.size(); ++k) {
    if (k) out.push_back(',');
    Writer t(&out);
    t.Str("policy", i.targets[k].policy);
    t.Uint("from_generation", i.targets[k].from_generation);
    t.Uint("target_generation", i.targets[k].target_generation);
    t.End();
  }
  out.push_back(']');
  w.Str("created_by", i.created_by);
  w.Time("created", i.created);
  w.Time("started", i.started);
  w.Time("finished", i.finished);
  w.Time("promoted", i.promoted);
  w.Time("rolled_back", i.rolled_back);
  w.Uint("cutoff_seq", i.cutoff_seq);
  w.Uint("total", i.total);
  w.Str("error", i.error);
  w.Bool("forced", i.forced);
  w.Bool("has_cutoff", doc.has_cutoff);
  w.Bool("planned", doc.planned);
  w.Strings("scan_types", doc.scan_types);
  w.Str("waiting", doc.waiting);
  w.Key("slices");
  out.push_back('[');
  for (size_t k = 0; k < doc.slices.size(); ++k) {
    if (k) out.push_back(',');
    absl::StrAppend(&out, "[", TimeToInt(doc.slices[k].from), ",",
                    TimeToInt(doc.slices[k].to), ",", doc.slices[k].begin, ",",
                    doc.slices[k].end, "]");
  }
  out.push_back(']');
  w.End();
  return out;
}

absl::StatusOr<RunDoc> DecodeRunDoc(std::string_view json) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(json.data(), json.size()).get(root) != simdjson::SUCCESS) {
    return Bad("not JSON");
  }
  simdjson::dom::object o;
  if (root.get(o) != simdjson::SUCCESS) return Bad("not an object");
  RunDoc doc;
  RunInfo& i = doc.info;
  RunRequest& r = i.request;
  i.id = GetStr(o, "id");
  if (i.id.empty()) return Bad("no id");
  std::string state = GetStr(o, "state");
  bool found = false;
  for (RunState s :
       {RunState::kQueued, RunState::kRunning, RunState::kPaused,
        RunState::kSucceeded, RunState::kFailed, RunState::kCancelled,
        RunState::kPromoted, RunState::kDiscarded, RunState::kRolledBack}) {
    if (RunStateName(s) == state) {
      i.state = s;
      found = true;
    }
  }
  if (!found) return Bad(absl::StrCat("state '", state, "'"));
  std::string mode = GetStr(o, "mode");
  found = false;
  for (RunMode m : {RunMode::kDryRun, RunMode::kShadow, RunMode::kDirect}) {
    if (RunModeName(m) == mode) {
      r.mode = m;
      found = true;
    }
  }
  if (!found) return Bad(absl::StrCat("mode '", mode, "'"));
  r.policies = GetStrings(o, "policies");
  r.selector = GetStr(o, "selector");
  r.from = GetTime(o, "from");
  bool has_to = false;
  Get(o, "has_to", &has_to);
  if (has_to) r.to = GetTime(o, "to");
  r.tenants = GetStrings(o, "tenants");
  r.types = GetStrings(o, "types");
  r.filter = GetStr(o, "filter");
  Get(o, "purge_unmatched", &r.purge_unmatched);
  Get(o, "max_rate", &r.max_rate);
  Get(o, "adaptive", &r.adaptive);
  int64_t parallelism = 0;
  Get(o, "parallelism", &parallelism);
  r.parallelism = static_cast<int>(parallelism);
  Get(o, "min_coverage", &r.gates.min_coverage);
  Get(o, "max_errors", &r.gates.max_errors);
  double ratio;
  if (Get(o, "max_changed_ratio", &ratio)) r.gates.max_changed_ratio = ratio;
  uint64_t removed;
  if (Get(o, "max_removed", &removed)) r.gates.max_removed = removed;
  r.retry_errors_of = GetStr(o, "retry_errors_of");
  r.reason = GetStr(o, "reason");
  simdjson::dom::array targets;
  if (Get(o, "targets", &targets)) {
    for (auto e : targets) {
      simdjson::dom::object t;
      if (e.get(t) != simdjson::SUCCESS) return Bad("target");
      i.targets.push_back({GetStr(t, "policy"), GetU(t, "from_generation"),
                           GetU(t, "target_generation")});
    }
  }
  i.created_by = GetStr(o, "created_by");
  i.created = GetTime(o, "created");
  i.started = GetTime(o, "started");
  i.finished = GetTime(o, "finished");
  i.promoted = GetTime(o, "promoted");
  i.rolled_back = GetTime(o, "rolled_back");
  i.cutoff_seq = GetU(o, "cutoff_seq");
  i.total = GetU(o, "total");
  i.error = GetStr(o, "error");
  Get(o, "forced", &i.forced);
  Get(o, "has_cutoff", &doc.has_cutoff);
  Get(o, "planned", &doc.planned);
  doc.scan_types = GetStrings(o, "scan_types");
  doc.waiting = GetStr(o, "waiting");
  simdjson::dom::array slices;
  if (Get(o, "slices", &slices)) {
    for (auto e : slices) {
      simdjson::dom::array a;
      if (e.get(a) != simdjson::SUCCESS || a.size() != 4) return Bad("slice");
      int64_t from, to;
      uint64_t begin, end;
      if (a.at(0).get(from) || a.at(1).get(to) || a.at(2).get(begin) ||
          a.at(3).get(end)) {
        return Bad("slice");
      }
      doc.slices.push_back({IntToTime(from), IntToTime(to), begin, end});
    }
  }
  return doc;
}

std::string NewRunId(absl::Time now) {
  static std::mutex mu;
  static std::mt19937_64 rng{std::random_device{}()};
  uint64_t r;
  {
    std::lock_guard<std::mutex> lock(mu);
    r = rng();
  }
  return absl::StrCat(
      "r-", absl::FormatTime("%Y%m%d-%H%M%S", now, absl::UTCTimeZone()), "-",
      absl::StrFormat("%04x", r & 0xffff));
}

}  // namespace retro::reprocess

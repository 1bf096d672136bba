#include "cli/run_render.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/strings.h"

namespace retro::cli {
namespace {

constexpr const char* kCounterNames[] = {"processed", "matched",   "unmatched",
                                         "dropped",   "errors",    "added",
                                         "changed",   "unchanged", "removed"};

std::string Percent(double p) { return absl::StrFormat("%.1f%%", p); }

std::string Rate(double r) {
  if (r >= 1e6) return absl::StrFormat("%.2fM/s", r / 1e6);
  if (r >= 1e4) return absl::StrFormat("%.1fk/s", r / 1e3);
  return absl::StrFormat("%.0f/s", r);
}

// "added 10  changed 2000  …" (zeros left out except processed).
std::string CounterList(simdjson::dom::element c) {
  std::string out;
  for (const char* name : kCounterNames) {
    uint64_t v = JU64(c, name);
    if (v == 0 || std::string_view(name) == "processed" ||
        std::string_view(name) == "matched") {
      continue;
    }
    if (!out.empty()) out.append("  ");
    absl::StrAppend(&out, name, " ", v);
  }
  return out.empty() ? "nothing yet" : out;
}

void PrintCounterHeader(std::FILE* out, const char* first) {
  std::fprintf(out, "  %-20s", first);
  for (const char* name : kCounterNames) std::fprintf(out, " %10s", name);
  std::fprintf(out, "\n");
}

void PrintCounterRow(std::FILE* out, const std::string& label,
                     simdjson::dom::element c) {
  std::fprintf(out, "  %-20s", label.c_str());
  for (const char* name : kCounterNames) {
    std::fprintf(out, " %10llu",
                 static_cast<unsigned long long>(JU64(c, name)));
  }
  std::fprintf(out, "\n");
}

std::string Policies(simdjson::dom::element run) {
  std::string out;
  simdjson::dom::array ps;
  if (run["policies"].get_array().get(ps)) return out;
  for (auto p : ps) {
    if (!out.empty()) out.append(", ");
    absl::StrAppend(&out, JStr(p, "name"), " ", JU64(p, "from_generation"),
                    "->", JU64(p, "target_generation"));
  }
  return out;
}

// "[create g2] alice created …" for a record object, "(none)" for null.
std::string RecordLine(simdjson::dom::element r) {
  if (r.is_null()) return "(no record)";
  std::string summary = JStr(r, "summary");
  return absl::StrCat("[", JStr(r, "rule"), " g", JU64(r, "generation"), "] ",
                      summary.empty() ? "(no summary)" : summary);
}

std::string RuleOrNone(simdjson::dom::element t, const char* key) {
  std::string r = JStr(t, key);
  return r.empty() ? "(none)" : r;
}

}  // namespace

std::string JStr(simdjson::dom::element e, const char* key) {
  std::string_view v;
  if (e[key].get_string().get(v)) return "";
  return std::string(v);
}

uint64_t JU64(simdjson::dom::element e, const char* key) {
  uint64_t v = 0;
  if (e[key].get_uint64().get(v)) return 0;
  return v;
}

double JDouble(simdjson::dom::element e, const char* key) {
  double v = 0;
  if (e[key].get_double().get(v)) return 0;
  return v;
}

bool JBool(simdjson::dom::element e, const char* key) {
  bool v = false;
  if (e[key].get_bool().get(v)) return false;
  return v;
}

std::string FormatDuration(double s) {
  if (!std::isfinite(s) || s < 0) return "?";
  auto n = static_cast<uint64_t>(std::llround(s));
  if (n < 60) return absl::StrCat(n, "s");
  if (n < 3600) return absl::StrFormat("%dm%02ds", n / 60, n % 60);
  return absl::StrFormat("%dh%02dm", n / 3600, (n % 3600) / 60);
}

std::string ProgressLine(simdjson::dom::element run, int width) {
  simdjson::dom::element p = run["progress"];
  double percent = JDouble(p, "percent");
  int filled = std::clamp(static_cast<int>(percent / 100 * width), 0, width);
  std::string eta = "?";
  if (!p["eta_seconds"].is_null())
    eta = FormatDuration(JDouble(p, "eta_seconds"));
  return absl::StrFormat("[%s%s] %6s  %llu/%llu  %s  ETA %s  %s  %s",
                         std::string(filled, '#'),
                         std::string(width - filled, '.'), Percent(percent),
                         static_cast<unsigned long long>(JU64(p, "processed")),
                         static_cast<unsigned long long>(JU64(p, "total")),
                         Rate(JDouble(p, "rate")), eta, JStr(run, "state"),
                         CounterList(run["counters"]));
}

void PrintRun(simdjson::dom::element run, std::FILE* out) {
  std::fprintf(out, "run       %s\n", JStr(run, "id").c_str());
  std::fprintf(out, "state     %s%s\n", JStr(run, "state").c_str(),
               JBool(run, "forced") ? " (forced past its gates)" : "");
  std::fprintf(out, "mode      %s%s\n", JStr(run, "mode").c_str(),
               JBool(run, "purge_unmatched") ? ", purging unmatched" : "");
  std::fprintf(out, "policies  %s (generation from->target)\n",
               Policies(run).c_str());
  std::string to = JStr(run, "to");
  std::fprintf(out, "range     %s … %s\n", JStr(run, "from").c_str(),
               to.empty() ? "(up to the promote)" : to.c_str());
  std::string scope;
  simdjson::dom::array a;
  for (const char* key : {"tenants", "types"}) {
    if (run[key].get_array().get(a) || a.size() == 0) continue;
    absl::StrAppend(&scope, scope.empty() ? "" : "; ", key, ":");
    for (auto v : a) {
      std::string_view s;
      if (!v.get_string().get(s)) absl::StrAppend(&scope, " ", base::AV(s));
    }
  }
  if (std::string f = JStr(run, "filter"); !f.empty()) {
    absl::StrAppend(&scope, scope.empty() ? "" : "; ", "filter: ", f);
  }
  if (!scope.empty()) std::fprintf(out, "scope     %s\n", scope.c_str());
  simdjson::dom::element t = run["throttle"];
  double max_rate = JDouble(t, "max_rate");
  std::fprintf(out, "throttle  %s%s, parallelism %lld\n",
               max_rate > 0 ? Rate(max_rate).c_str() : "unlimited",
               JBool(t, "adaptive") ? " (adaptive)" : "",
               static_cast<long long>(JDouble(run, "parallelism")));
  std::fprintf(out, "progress  %s\n", ProgressLine(run, 30).c_str());
  std::fprintf(out, "cutoff    seq %llu\n",
               static_cast<unsigned long long>(JU64(run, "cutoff_seq")));
  std::fprintf(
      out,
      "counters  processed %llu = matched %llu + unmatched %llu"
      " + dropped %llu + errors %llu\n",
      static_cast<unsigned long long>(JU64(run["counters"], "processed")),
      static_cast<unsigned long long>(JU64(run["counters"], "matched")),
      static_cast<unsigned long long>(JU64(run["counters"], "unmatched")),
      static_cast<unsigned long long>(JU64(run["counters"], "dropped")),
      static_cast<unsigned long long>(JU64(run["counters"], "errors")));
  std::fprintf(
      out,
      "          matched = added %llu + changed %llu + "
      "unchanged %llu; removed %llu\n",
      static_cast<unsigned long long>(JU64(run["counters"], "added")),
      static_cast<unsigned long long>(JU64(run["counters"], "changed")),
      static_cast<unsigned long long>(JU64(run["counters"], "unchanged")),
      static_cast<unsigned long long>(JU64(run["counters"], "removed")));
  if (uint64_t skipped = JU64(run, "skipped"); skipped > 0) {
    std::fprintf(out, "skipped   %llu (event, policy) pairs out of scope\n",
                 static_cast<unsigned long long>(skipped));
  }
  if (std::string w = JStr(run, "waiting"); !w.empty()) {
    std::fprintf(out, "waiting   %s\n", w.c_str());
  }
  if (JU64(run["handoff"], "processed") > 0) {
    std::fprintf(
        out, "handoff   %llu live events after the cutoff: %s\n",
        static_cast<unsigned long long>(JU64(run["handoff"], "processed")),
        CounterList(run["handoff"]).c_str());
  }
  const std::pair<const char*, const char*> times[] = {
      {"created", "created_at"},
      {"started", "started_at"},
      {"finished", "finished_at"},
      {"promoted", "promoted_at"},
      {"rolled bk", "rolled_back_at"}};
  for (const auto& [label, key] : times) {
    std::string v = JStr(run, key);
    if (!v.empty()) std::fprintf(out, "%-9s %s\n", label, v.c_str());
  }
  if (std::string by = JStr(run, "created_by"); !by.empty()) {
    std::fprintf(out, "by        %s\n", by.c_str());
  }
  if (std::string r = JStr(run, "reason"); !r.empty()) {
    std::fprintf(out, "reason    %s\n", r.c_str());
  }
  if (std::string r = JStr(run, "retry_errors_of"); !r.empty()) {
    std::fprintf(out, "retries   the errors of %s\n", r.c_str());
  }
  if (JBool(run, "ready_to_promote")) {
    std::fprintf(out, "gates     pass: ready to promote\n");
  } else if (!run["blocking_reasons"].get_array().get(a) && a.size() > 0) {
    std::fprintf(out, "gates     blocking:\n");
    for (auto r : a) {
      std::string_view s;
      if (!r.get_string().get(s)) {
        std::fprintf(out, "            - %.*s\n", static_cast<int>(s.size()),
                     s.data());
      }
    }
  }
  if (std::string e = JStr(run, "error"); !e.empty()) {
    std::fprintf(out, "error     %s\n", e.c_str());
  }
}

void PrintRunList(simdjson::dom::array runs, std::FILE* out) {
  std::fprintf(out, "%-26s %-11s %-8s %-28s %7s %12s  %s\n", "ID", "STATE",
               "MODE", "POLICIES", "PERCENT", "PROCESSED", "CREATED");
  for (auto run : runs) {
    simdjson::dom::element p = run["progress"];
    std::fprintf(out, "%-26s %-11s %-8s %-28s %7s %12llu  %s\n",
                 JStr(run, "id").c_str(), JStr(run, "state").c_str(),
                 JStr(run, "mode").c_str(), Policies(run).c_str(),
                 Percent(JDouble(p, "percent")).c_str(),
                 static_cast<unsigned long long>(JU64(p, "processed")),
                 JStr(run, "created_at").c_str());
  }
}

void PrintDiff(simdjson::dom::element diff, std::FILE* out) {
  std::fprintf(out, "Diff of run %s (%s)\n\n", JStr(diff, "run").c_str(),
               JBool(diff, "final") ? "final" : "in progress: it may change");
  PrintCounterHeader(out, "");
  PrintCounterRow(out, "all", diff["counters"]);

  // The transition matrix per policy: rows = rule before, columns = after.
  simdjson::dom::array ts;
  if (!diff["transitions"].get_array().get(ts) && ts.size() > 0) {
    std::map<std::string,
             std::map<std::pair<std::string, std::string>, uint64_t>>
        by_policy;
    for (auto t : ts) {
      by_policy[JStr(t, "policy")][{RuleOrNone(t, "from"),
                                    RuleOrNone(t, "to")}] += JU64(t, "count");
    }
    for (const auto& [policy, cells] : by_policy) {
      std::set<std::string> rows, cols;
      for (const auto& [k, v] : cells) {
        rows.insert(k.first);
        cols.insert(k.second);
      }
      size_t w = 12;
      for (const auto& c : cols) w = std::max(w, c.size() + 1);
      size_t rw = std::string("before \\ after").size();
      for (const auto& r : rows) rw = std::max(rw, r.size());
      std::fprintf(out, "\nTransitions of %s (rule before -> rule after)\n",
                   policy.c_str());
      std::fprintf(out, "  %-*s", static_cast<int>(rw), "before \\ after");
      for (const auto& c : cols) {
        std::fprintf(out, " %*s", static_cast<int>(w), c.c_str());
      }
      std::fprintf(out, "\n");
      for (const auto& r : rows) {
        std::fprintf(out, "  %-*s", static_cast<int>(rw), r.c_str());
        for (const auto& c : cols) {
          auto it = cells.find({r, c});
          std::fprintf(out, " %*llu", static_cast<int>(w),
                       static_cast<unsigned long long>(
                           it == cells.end() ? 0 : it->second));
        }
        std::fprintf(out, "\n");
      }
    }
  }

  simdjson::dom::array tenants;
  if (!diff["tenants"].get_array().get(tenants) && tenants.size() > 0) {
    std::fprintf(out, "\nBy tenant\n");
    PrintCounterHeader(out, "tenant");
    for (auto t : tenants)
      PrintCounterRow(out, JStr(t, "tenant"), t["counters"]);
  }

  simdjson::dom::array samples;
  if (!diff["samples"].get_array().get(samples) && samples.size() > 0) {
    std::fprintf(out, "\nSamples\n");
    for (auto s : samples) {
      std::fprintf(out, "  %-9s %s %s/%s  tenant %s  %s\n",
                   JStr(s, "category").c_str(), JStr(s, "policy").c_str(),
                   JStr(s["origin"], "type").c_str(),
                   JStr(s["origin"], "id").c_str(), JStr(s, "tenant").c_str(),
                   JStr(s, "time").c_str());
      std::fprintf(out, "      - old %s\n", RecordLine(s["old"]).c_str());
      std::fprintf(out, "      + new %s\n", RecordLine(s["new"]).c_str());
      if (std::string r = JStr(s, "reason"); !r.empty()) {
        std::fprintf(out, "        reason: %s\n", r.c_str());
      }
    }
  }
}

void PrintErrors(simdjson::dom::element report, std::FILE* out) {
  std::fprintf(out, "Run %s\n", JStr(report, "run").c_str());
  for (const char* kind : {"error", "drop"}) {
    std::string key = absl::StrCat(kind, "_reasons");
    simdjson::dom::array reasons;
    if (report[key.c_str()].get_array().get(reasons)) continue;
    std::fprintf(out, "\n%s reasons (%zu)\n",
                 std::string_view(kind) == "error" ? "Error" : "Drop",
                 reasons.size());
    for (auto r : reasons) {
      std::fprintf(out, "  %10llu  %s\n",
                   static_cast<unsigned long long>(JU64(r, "count")),
                   JStr(r, "reason").c_str());
    }
  }
  for (const char* key : {"errors", "drops"}) {
    simdjson::dom::array items;
    if (report[key].get_array().get(items) || items.size() == 0) continue;
    std::fprintf(out, "\n%s\n",
                 std::string_view(key) == "errors" ? "Events that errored"
                                                   : "Events dropped");
    for (auto e : items) {
      std::fprintf(out, "  %s/%s  %s: %s\n", JStr(e, "type").c_str(),
                   JStr(e, "id").c_str(), JStr(e, "policy").c_str(),
                   JStr(e, "reason").c_str());
    }
  }
}

}  // namespace retro::cli

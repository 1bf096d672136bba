#include "reprocess/run_json.h"

#include <cmath>
#include <cstdint>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "base/strings.h"
#include "base/time.h"
#include "policy/canonical_json.h"
#include "simdjson.h"

namespace retro::reprocess {
namespace {

using base::AV;
using simdjson::dom::element;
using simdjson::dom::element_type;

constexpr int kMaxParallelism = 256;

constexpr std::string_view kFields[] = {
    "policies",        "selector",        "from",     "to",
    "tenants",         "types",           "filter",   "mode",
    "purge_unmatched", "max_rate",        "throttle", "parallelism",
    "gates",           "retry_errors_of", "reason"};
constexpr std::string_view kGateFields[] = {"min_coverage", "max_errors",
                                            "max_changed_ratio", "max_removed"};

std::string KnownList(const std::string_view* begin,
                      const std::string_view* end) {
  std::string out;
  for (const std::string_view* f = begin; f != end; ++f) {
    if (f != begin) out.append(", ");
    out.append(*f);
  }
  return out;
}

absl::Status Bad(std::string_view field, std::string_view message) {
  return absl::InvalidArgumentError(
      absl::StrCat("'", AV(field), "' ", AV(message)));
}

bool IsNumber(element e) {
  element_type t = e.type();
  return t == element_type::INT64 || t == element_type::UINT64 ||
         t == element_type::DOUBLE;
}

absl::Status GetString(element e, std::string_view field, std::string* out) {
  std::string_view v;
  if (e.get_string().get(v)) {
    return Bad(field, "must be a string");
  }
  *out = std::string(v);
  return absl::OkStatus();
}

absl::Status GetStringList(element e, std::string_view field,
                           std::string_view example,
                           std::vector<std::string>* out) {
  simdjson::dom::array items;
  if (e.get_array().get(items)) {
    return Bad(field,
               absl::StrCat("must be an array of strings, e.g. ", AV(example)));
  }
  base::StringSet seen;
  for (element item : items) {
    std::string_view v;
    if (item.get_string().get(v)) {
      return Bad(field, absl::StrCat("must be an array of strings, e.g. ",
                                     AV(example)));
    }
    if (v.empty()) return Bad(field, "must not contain an empty string");
    if (!seen.insert(std::string(v)).second) {
      return Bad(field, absl::StrCat("lists '", AV(v), "' twice"));
    }
    out->emplace_back(v);
  }
  return absl::OkStatus();
}

// A non-negative number; `integral` refuses fractions.
absl::Status GetNonNegative(element e, std::string_view field, bool integral,
                            std::string_view example, double* out) {
  double v = 0;
  if (!IsNumber(e) || e.get_double().get(v)) {
    return Bad(field, absl::StrCat("must be a number, e.g. ", AV(example)));
  }
  if (v < 0 || !std::isfinite(v)) {
    return Bad(field, absl::StrCat("must be 0 or more, e.g. ", AV(example)));
  }
  if (integral && v != std::floor(v)) {
    return Bad(field,
               absl::StrCat("must be a whole number, e.g. ", AV(example)));
  }
  *out = v;
  return absl::OkStatus();
}

absl::Status GetRatio(element e, std::string_view field, double* out) {
  absl::Status st = GetNonNegative(e, field, false, "0.5", out);
  if (!st.ok()) return st;
  if (*out > 1) {
    return Bad(field, "is a ratio: it must be between 0 and 1, e.g. 0.5");
  }
  return absl::OkStatus();
}

absl::Status GetTime(element e, std::string_view field, absl::Time now,
                     absl::Time* out) {
  std::string text;
  if (!e.is_string()) {
    return Bad(field,
               "must be a string: RFC 3339 (2026-11-25T00:00:00Z) or "
               "relative (-48h, -7d, -30m)");
  }
  absl::Status st = GetString(e, field, &text);
  if (!st.ok()) return st;
  auto t = base::ParseTimeOrRelative(text, now);
  if (!t.ok()) {
    return Bad(field, absl::StrCat("is not a time: ", t.status().message(),
                                   "; use RFC 3339 (2026-11-25T00:00:00Z) or "
                                   "relative (-48h, -7d, -30m)"));
  }
  *out = *t;
  return absl::OkStatus();
}

absl::Status ParseGates(element e, Gates* gates) {
  simdjson::dom::object obj;
  if (e.get_object().get(obj)) {
    return Bad("gates",
               "must be an object, e.g. {\"min_coverage\": 1.0, "
               "\"max_errors\": 0}");
  }
  base::StringSet seen;
  for (auto field : obj) {
    std::string_view key = field.key;
    std::string name = absl::StrCat("gates.", AV(key));
    if (!seen.insert(std::string(key)).second) {
      return Bad(name, "appears twice");
    }
    double v = 0;
    absl::Status st;
    if (key == "min_coverage") {
      st = GetRatio(field.value, name, &v);
      if (st.ok()) gates->min_coverage = v;
    } else if (key == "max_errors") {
      st = GetNonNegative(field.value, name, true, "0", &v);
      if (st.ok()) gates->max_errors = static_cast<uint64_t>(v);
    } else if (key == "max_changed_ratio") {
      if (field.value.is_null()) continue;
      st = GetRatio(field.value, name, &v);
      if (st.ok()) gates->max_changed_ratio = v;
    } else if (key == "max_removed") {
      if (field.value.is_null()) continue;
      st = GetNonNegative(field.value, name, true, "100", &v);
      if (st.ok()) gates->max_removed = static_cast<uint64_t>(v);
    } else {
      return absl::InvalidArgumentError(absl::StrCat(
          "unknown field '", name, "'; the gates are ",
          KnownList(std::begin(kGateFields), std::end(kGateFields))));
    }
    if (!st.ok()) return st;
  }
  return absl::OkStatus();
}

absl::Status ParseField(std::string_view key, element value, absl::Time now,
                        RunRequest* r, bool* has_to) {
  if (key == "policies") {
    return GetStringList(value, key, "[\"deployments\"]", &r->policies);
  }
  if (key == "selector") return GetString(value, key, &r->selector);
  if (key == "from") return GetTime(value, key, now, &r->from);
  if (key == "to") {
    if (value.is_null()) return absl::OkStatus();
    absl::Time t;
    absl::Status st = GetTime(value, key, now, &t);
    if (st.ok()) {
      r->to = t;
      *has_to = true;
    }
    return st;
  }
  if (key == "tenants") {
    return GetStringList(value, key, "[\"acme\"]", &r->tenants);
  }
  if (key == "types")
    return GetStringList(value, key, "[\"audit\"]", &r->types);
  if (key == "filter") return GetString(value, key, &r->filter);
  if (key == "mode") {
    std::string mode;
    absl::Status st = GetString(value, key, &mode);
    if (!st.ok()) return st;
    if (mode == "dry_run") {
      r->mode = RunMode::kDryRun;
    } else if (mode == "shadow") {
      r->mode = RunMode::kShadow;
    } else if (mode == "direct") {
      r->mode = RunMode::kDirect;
    } else {
      return Bad(
          key, absl::StrCat("is '", mode, "'; use dry_run, shadow or direct"));
    }
    return absl::OkStatus();
  }
  if (key == "purge_unmatched") {
    if (value.get_bool().get(r->purge_unmatched)) {
      return Bad(key, "must be true or false");
    }
    return absl::OkStatus();
  }
  if (key == "max_rate") {
    return GetNonNegative(value, key, false, "5000 (events/s; 0 = unlimited)",
                          &r->max_rate);
  }
  if (key == "throttle") {
    std::string throttle;
    absl::Status st = GetString(value, key, &throttle);
    if (!st.ok()) return st;
    if (throttle != "adaptive" && throttle != "fixed") {
      return Bad(key, absl::StrCat("is '", throttle,
                                   "'; use adaptive or fixed (with max_rate)"));
    }
    r->adaptive = throttle == "adaptive";
    return absl::OkStatus();
  }
  if (key == "parallelism") {
    double v = 0;
    absl::Status st = GetNonNegative(value, key, true, "2", &v);
    if (!st.ok()) return st;
    if (v > kMaxParallelism) {
      return Bad(key, absl::StrCat("must be at most ", kMaxParallelism,
                                   " (0 = the number of cores)"));
    }
    r->parallelism = static_cast<int>(v);
    return absl::OkStatus();
  }
  if (key == "gates") return ParseGates(value, &r->gates);
  if (key == "retry_errors_of") {
    return GetString(value, key, &r->retry_errors_of);
  }
  if (key == "reason") return GetString(value, key, &r->reason);
  return absl::InvalidArgumentError(
      absl::StrCat("unknown field '", AV(key), "'; the fields are ",
                   KnownList(std::begin(kFields), std::end(kFields))));
}

void AppendStr(std::string_view s, std::string* out) {
  policy::AppendJsonString(s, out);
}

void AppendTime(absl::Time t, std::string* out) {
  if (t == absl::InfinitePast() || t == absl::InfiniteFuture()) {
    out->append("null");
    return;
  }
  AppendStr(base::FormatRfc3339(t), out);
}

void AppendDouble(double d, std::string* out) {
  if (!std::isfinite(d)) {
    out->append("null");
    return;
  }
  policy::AppendJsonDouble(d, out);
}

void AppendStrings(const std::vector<std::string>& v, std::string* out) {
  out->push_back('[');
  for (size_t i = 0; i < v.size(); ++i) {
    if (i > 0) out->push_back(',');
    AppendStr(v[i], out);
  }
  out->push_back(']');
}

// A sample's record as docs/api/runs.md has it: the object GET /v1/records
// serves as `record`, plus `rule` and `generation`; null for none. The
// engine may hand over a records-list item ({"rule", "generation", …,
// "record": {…}}): it is flattened to that form.
void AppendSampleRecord(const std::string& json, std::string* out) {
  if (json.empty()) {
    out->append("null");
    return;
  }
  simdjson::dom::parser parser;
  simdjson::padded_string padded(json);
  simdjson::dom::element root;
  simdjson::dom::object record;
  if (parser.parse(padded).get(root) ||
      root["record"].get_object().get(record)) {
    out->append(json);  // already flat
    return;
  }
  std::string flat = simdjson::minify(record);
  flat.pop_back();  // '}'
  std::string_view rule;
  uint64_t generation = 0;
  if (root["rule"].get_string().get(rule)) rule = "";
  if (root["generation"].get_uint64().get(generation)) generation = 0;
  out->append(flat);
  out->append(flat.size() > 1 ? ",\"rule\":" : "\"rule\":");
  AppendStr(rule, out);
  absl::StrAppend(out, ",\"generation\":", generation, "}");
}

void AppendRuleOrNull(const std::string& rule, std::string* out) {
  if (rule.empty()) {
    out->append("null");
  } else {
    AppendStr(rule, out);
  }
}

void AppendCounters(const Counters& c, std::string* out) {
  absl::StrAppend(out, "{\"processed\":", c.processed,
                  ",\"matched\":", c.matched, ",\"unmatched\":", c.unmatched,
                  ",\"dropped\":", c.dropped, ",\"errors\":", c.errors,
                  ",\"added\":", c.added, ",\"changed\":", c.changed,
                  ",\"unchanged\":", c.unchanged, ",\"removed\":", c.removed,
                  "}");
}

void AppendReasons(const std::vector<std::pair<std::string, uint64_t>>& v,
                   std::string* out) {
  out->push_back('[');
  for (size_t i = 0; i < v.size(); ++i) {
    if (i > 0) out->push_back(',');
    out->append("{\"reason\":");
    AppendStr(v[i].first, out);
    absl::StrAppend(out, ",\"count\":", v[i].second, "}");
  }
  out->push_back(']');
}

void AppendIssues(const std::vector<EventIssue>& v, std::string* out) {
  out->push_back('[');
  for (size_t i = 0; i < v.size(); ++i) {
    if (i > 0) out->push_back(',');
    out->append("{\"type\":");
    AppendStr(v[i].origin_type, out);
    out->append(",\"id\":");
    AppendStr(v[i].origin_id, out);
    out->append(",\"policy\":");
    AppendStr(v[i].policy, out);
    out->append(",\"reason\":");
    AppendStr(v[i].reason, out);
    out->push_back('}');
  }
  out->push_back(']');
}

bool Finished(RunState s) {
  return s != RunState::kQueued && s != RunState::kRunning &&
         s != RunState::kPaused;
}

}  // namespace

absl::StatusOr<RunRequest> ParseRunRequest(std::string_view json,
                                           absl::Time now) {
  simdjson::dom::parser parser;
  simdjson::padded_string padded(json.data(), json.size());
  element root;
  if (auto error = parser.parse(padded).get(root)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the body is not valid JSON (", simdjson::error_message(error),
        "); send an object such as {\"policies\": [\"deployments\"], "
        "\"from\": \"-48h\"}"));
  }
  simdjson::dom::object obj;
  if (root.get_object().get(obj)) {
    return absl::InvalidArgumentError(
        "the body must be a JSON object such as {\"policies\": "
        "[\"deployments\"], \"from\": \"-48h\"}");
  }
  RunRequest r;
  r.from = now - absl::Hours(48);
  bool has_to = false;
  base::StringSet seen;
  for (auto field : obj) {
    std::string_view key = field.key;
    if (!seen.insert(std::string(key)).second) {
      return Bad(key, "appears twice");
    }
    absl::Status st = ParseField(key, field.value, now, &r, &has_to);
    if (!st.ok()) return st;
  }
  if (r.policies.empty() && r.selector.empty()) {
    return absl::InvalidArgumentError(
        "name the policies to re-process: \"policies\": [\"name\", …] or "
        "\"selector\": \"label=value\"");
  }
  if (!r.policies.empty() && !r.selector.empty()) {
    return absl::InvalidArgumentError(
        "give either 'policies' or 'selector', not both");
  }
  if (has_to && r.from >= *r.to) {
    return absl::InvalidArgumentError(absl::StrCat(
        "'from' (", base::FormatRfc3339(r.from), ") must be before 'to' (",
        base::FormatRfc3339(*r.to), ")"));
  }
  if (r.from > now) {
    return absl::InvalidArgumentError(
        absl::StrCat("'from' (", base::FormatRfc3339(r.from),
                     ") is in the future; use a past time such as -48h"));
  }
  return r;
}

void AppendRunJson(const RunInfo& run, std::string* out) {
  const RunRequest& q = run.request;
  out->append("{\"id\":");
  AppendStr(run.id, out);
  out->append(",\"state\":");
  AppendStr(RunStateName(run.state), out);
  out->append(",\"mode\":");
  AppendStr(RunModeName(q.mode), out);
  out->append(",\"policies\":[");
  if (!run.targets.empty()) {
    for (size_t i = 0; i < run.targets.size(); ++i) {
      const RunTarget& t = run.targets[i];
      if (i > 0) out->push_back(',');
      out->append("{\"name\":");
      AppendStr(t.policy, out);
      absl::StrAppend(out, ",\"from_generation\":", t.from_generation,
                      ",\"target_generation\":", t.target_generation, "}");
    }
  } else {
    for (size_t i = 0; i < q.policies.size(); ++i) {
      if (i > 0) out->push_back(',');
      out->append("{\"name\":");
      AppendStr(q.policies[i], out);
      out->append(",\"from_generation\":0,\"target_generation\":0}");
    }
  }
  out->append("],\"selector\":");
  AppendStr(q.selector, out);
  out->append(",\"from\":");
  AppendTime(q.from, out);
  out->append(",\"to\":");
  AppendTime(q.to ? *q.to : absl::InfiniteFuture(), out);
  out->append(",\"tenants\":");
  AppendStrings(q.tenants, out);
  out->append(",\"types\":");
  AppendStrings(q.types, out);
  out->append(",\"filter\":");
  AppendStr(q.filter, out);
  absl::StrAppend(out,
                  ",\"purge_unmatched\":", q.purge_unmatched ? "true" : "false",
                  ",\"throttle\":{\"max_rate\":");
  AppendDouble(q.max_rate, out);
  absl::StrAppend(out, ",\"adaptive\":", q.adaptive ? "true" : "false",
                  ",\"current_rate\":");
  AppendDouble(run.current_rate, out);
  absl::StrAppend(out, "},\"parallelism\":", q.parallelism,
                  ",\"gates\":{\"min_coverage\":");
  AppendDouble(q.gates.min_coverage, out);
  absl::StrAppend(out, ",\"max_errors\":", q.gates.max_errors,
                  ",\"max_changed_ratio\":");
  if (q.gates.max_changed_ratio) {
    AppendDouble(*q.gates.max_changed_ratio, out);
  } else {
    out->append("null");
  }
  out->append(",\"max_removed\":");
  if (q.gates.max_removed) {
    absl::StrAppend(out, *q.gates.max_removed);
  } else {
    out->append("null");
  }
  out->append("},\"retry_errors_of\":");
  AppendStr(q.retry_errors_of, out);
  out->append(",\"reason\":");
  AppendStr(q.reason, out);
  out->append(",\"created_by\":");
  AppendStr(run.created_by, out);
  out->append(",\"created_at\":");
  AppendTime(run.created, out);
  out->append(",\"started_at\":");
  AppendTime(run.started, out);
  out->append(",\"finished_at\":");
  AppendTime(run.finished, out);
  out->append(",\"promoted_at\":");
  AppendTime(run.promoted, out);
  out->append(",\"rolled_back_at\":");
  AppendTime(run.rolled_back, out);
  absl::StrAppend(out, ",\"cutoff_seq\":", run.cutoff_seq);

  // Progress counts events of the range read (each once, whatever the
  // number of policies), so it reaches total exactly.
  uint64_t processed = run.scanned;
  double percent = 0;
  if (run.total > 0) {
    percent = std::min(100.0, 100.0 * static_cast<double>(processed) /
                                  static_cast<double>(run.total));
  } else if (Finished(run.state)) {
    percent = 100;
  }
  percent = std::round(percent * 10) / 10;
  absl::StrAppend(out, ",\"progress\":{\"total\":", run.total,
                  ",\"processed\":", processed, ",\"percent\":");
  AppendDouble(percent, out);
  out->append(",\"rate\":");
  AppendDouble(run.rate, out);
  out->append(",\"eta_seconds\":");
  if (run.eta_seconds) {
    AppendDouble(*run.eta_seconds, out);
  } else {
    out->append("null");
  }
  absl::StrAppend(out, "},\"skipped\":", run.skipped, ",\"waiting\":");
  AppendStr(run.waiting, out);
  out->append(",\"counters\":");
  AppendCounters(run.counters, out);
  out->append(",\"handoff\":");
  AppendCounters(run.handoff, out);
  absl::StrAppend(
      out, ",\"ready_to_promote\":", run.ready_to_promote ? "true" : "false",
      ",\"blocking_reasons\":");
  AppendStrings(run.blocking_reasons, out);
  absl::StrAppend(out, ",\"forced\":", run.forced ? "true" : "false",
                  ",\"error\":");
  AppendStr(run.error, out);
  out->push_back('}');
}

void AppendDiffJson(std::string_view run_id, const Diff& diff,
                    std::string* out) {
  out->append("{\"run\":");
  AppendStr(run_id, out);
  absl::StrAppend(out, ",\"final\":", diff.final ? "true" : "false",
                  ",\"counters\":");
  AppendCounters(diff.counters, out);
  out->append(",\"transitions\":[");
  for (size_t i = 0; i < diff.transitions.size(); ++i) {
    const Transition& t = diff.transitions[i];
    if (i > 0) out->push_back(',');
    out->append("{\"policy\":");
    AppendStr(t.policy, out);
    out->append(",\"from\":");
    AppendRuleOrNull(t.from_rule, out);
    out->append(",\"to\":");
    AppendRuleOrNull(t.to_rule, out);
    absl::StrAppend(out, ",\"count\":", t.count, "}");
  }
  out->append("],\"tenants\":[");
  for (size_t i = 0; i < diff.tenants.size(); ++i) {
    if (i > 0) out->push_back(',');
    out->append("{\"tenant\":");
    AppendStr(diff.tenants[i].tenant, out);
    out->append(",\"counters\":");
    AppendCounters(diff.tenants[i].counters, out);
    out->push_back('}');
  }
  out->append("],\"samples\":[");
  for (size_t i = 0; i < diff.samples.size(); ++i) {
    const Sample& s = diff.samples[i];
    if (i > 0) out->push_back(',');
    out->append("{\"category\":");
    AppendStr(s.category, out);
    out->append(",\"policy\":");
    AppendStr(s.policy, out);
    out->append(",\"origin\":{\"type\":");
    AppendStr(s.origin_type, out);
    out->append(",\"id\":");
    AppendStr(s.origin_id, out);
    out->append("},\"tenant\":");
    AppendStr(s.tenant, out);
    out->append(",\"time\":");
    AppendTime(s.time, out);
    out->append(",\"old\":");
    AppendSampleRecord(s.old_record, out);
    out->append(",\"new\":");
    AppendSampleRecord(s.new_record, out);
    out->append(",\"reason\":");
    AppendStr(s.reason, out);
    out->push_back('}');
  }
  out->append("]}");
}

void AppendErrorsJson(std::string_view run_id, const ErrorReport& report,
                      std::string* out) {
  out->append("{\"run\":");
  AppendStr(run_id, out);
  out->append(",\"error_reasons\":");
  AppendReasons(report.error_reasons, out);
  out->append(",\"drop_reasons\":");
  AppendReasons(report.drop_reasons, out);
  out->append(",\"errors\":");
  AppendIssues(report.errors, out);
  out->append(",\"drops\":");
  AppendIssues(report.drops, out);
  out->push_back('}');
}

void AppendInsightsJson(const std::vector<Insight>& insights,
                        std::string* out) {
  out->append("{\"insights\":[");
  for (size_t i = 0; i < insights.size(); ++i) {
    const Insight& n = insights[i];
    if (i > 0) out->push_back(',');
    out->append("{\"kind\":");
    AppendStr(n.kind, out);
    out->append(",\"severity\":");
    AppendStr(n.severity, out);
    out->append(",\"run\":");
    AppendStr(n.run_id, out);
    out->append(",\"policy\":");
    AppendStr(n.policy, out);
    out->append(",\"message\":");
    AppendStr(n.message, out);
    out->append(",\"time\":");
    AppendTime(n.time, out);
    out->push_back('}');
  }
  out->append("]}");
}

}  // namespace retro::reprocess

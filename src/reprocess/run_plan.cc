#include "reprocess/run_plan.h"

#include <algorithm>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "base/status.h"
#include "base/strings.h"
#include "cel/json.h"

namespace retro::reprocess {
namespace {

using base::AV;

std::string Problems(const policy::PolicySet& set, std::string_view file) {
  std::vector<std::string> lines;
  for (const policy::Problem& p : set.problems()) {
    if (p.is_error() && p.file == file) lines.push_back(p.ToString());
  }
  return absl::StrJoin(lines, "; ");
}

}  // namespace

bool LabelSelector::Matches(
    const std::vector<std::pair<std::string, std::string>>& labels) const {
  for (const Term& t : terms) {
    const std::string* value = nullptr;
    for (const auto& [k, v] : labels) {
      if (k == t.key) value = &v;
    }
    switch (t.op) {
      case Term::Op::kExists:
        if (value == nullptr) return false;
        break;
      case Term::Op::kEquals:
        if (value == nullptr || *value != t.value) return false;
        break;
      case Term::Op::kNotEquals:
        if (value != nullptr && *value == t.value) return false;
        break;
    }
  }
  return true;
}

absl::StatusOr<LabelSelector> ParseSelector(std::string_view s) {
  LabelSelector sel;
  for (absl::string_view raw : absl::StrSplit(AV(s), ',')) {
    absl::string_view term = absl::StripAsciiWhitespace(raw);
    if (term.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "selector '", AV(s),
          "' has an empty term: write terms like 'team=apps,tier!=dev,beta' "
          "separated by commas"));
    }
    LabelSelector::Term t;
    size_t ne = term.find("!=");
    size_t eq = term.find('=');
    if (ne != absl::string_view::npos) {
      t.op = LabelSelector::Term::Op::kNotEquals;
      t.key = std::string(absl::StripAsciiWhitespace(term.substr(0, ne)));
      t.value = std::string(absl::StripAsciiWhitespace(term.substr(ne + 2)));
    } else if (eq != absl::string_view::npos) {
      t.op = LabelSelector::Term::Op::kEquals;
      t.key = std::string(absl::StripAsciiWhitespace(term.substr(0, eq)));
      t.value = std::string(absl::StripAsciiWhitespace(term.substr(eq + 1)));
    } else {
      t.key = std::string(term);
    }
    if (t.key.empty() || t.value.find('=') != std::string::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("selector term '", term,
                       "' is not 'key=value', 'key!=value' or 'key'"));
    }
    sel.terms.push_back(std::move(t));
  }
  return sel;
}

absl::StatusOr<CompiledTarget> CompileTarget(store::Store* store,
                                             pipeline::Catalog* catalog,
                                             const std::string& policy,
                                             uint64_t generation) {
  RETRO_ASSIGN_OR_RETURN(store::PolicyGeneration gen,
                         store->control().GetGeneration(policy, generation));
  const std::string file = absl::StrCat("policy/", policy);
  RETRO_ASSIGN_OR_RETURN(std::shared_ptr<policy::PolicySet> set,
                         catalog->CompileWithSources(file, gen.spec));
  const policy::CompiledPolicy* compiled = set->Find(policy);
  if (compiled == nullptr || set->has_errors()) {
    std::string problems = Problems(*set, file);
    return absl::InvalidArgumentError(
        absl::StrCat("policy ", policy, " generation ", generation,
                     " does not compile with the current sources",
                     problems.empty() ? "" : ": ", problems,
                     "; apply a fixed generation and start the run again"));
  }
  return CompiledTarget{policy, generation, std::move(set), compiled};
}

absl::StatusOr<std::shared_ptr<const policy::PolicySet>> CompileFilter(
    pipeline::Catalog* catalog, const std::string& filter,
    const std::vector<std::string>& types) {
  std::string text =
      "apiVersion: retro/v1\nkind: Policy\nmetadata:\n  name: run-filter\n"
      "spec:\n  input: [";
  for (size_t i = 0; i < types.size(); ++i) {
    if (i) text.append(", ");
    cel::AppendJsonString(types[i], &text);
  }
  text.append("]\n  select: ");
  cel::AppendJsonString(filter, &text);
  text.append(
      "\n  rules:\n    - name: in-scope\n      match: \"true\"\n"
      "      summary: \"x\"\n");
  const std::string file = "filter";
  RETRO_ASSIGN_OR_RETURN(std::shared_ptr<policy::PolicySet> set,
                         catalog->CompileWithSources(file, text));
  if (set->Find("run-filter") == nullptr || set->has_errors()) {
    std::vector<std::string> lines;
    for (const policy::Problem& p : set->problems()) {
      if (p.is_error() && p.file == file) lines.push_back(p.message);
    }
    return absl::InvalidArgumentError(absl::StrCat(
        "filter '", filter, "' does not compile: ", absl::StrJoin(lines, "; "),
        " (a CEL expression over `data` and `meta` that yields "
        "a bool, e.g. \"meta.tenant != 'test'\")"));
  }
  return std::shared_ptr<const policy::PolicySet>(std::move(set));
}

absl::StatusOr<std::shared_ptr<const CompiledRun>> CompileRun(
    store::Store* store, pipeline::Catalog* catalog, const RunDoc& doc) {
  auto run = std::make_shared<CompiledRun>();
  for (const RunTarget& t : doc.info.targets) {
    RETRO_ASSIGN_OR_RETURN(
        CompiledTarget ct,
        CompileTarget(store, catalog, t.policy, t.target_generation));
    run->targets.push_back(std::move(ct));
  }
  if (run->targets.empty()) {
    return absl::InvalidArgumentError("a run needs at least one policy");
  }
  if (!doc.info.request.filter.empty()) {
    std::vector<std::string> types = doc.scan_types;
    if (types.empty()) types = {"audit", "event"};
    RETRO_ASSIGN_OR_RETURN(
        run->filter_set,
        CompileFilter(catalog, doc.info.request.filter, types));
    run->filter = run->filter_set->Find("run-filter");
  }
  return std::shared_ptr<const CompiledRun>(std::move(run));
}

std::vector<std::string> TypesRead(const std::vector<CompiledTarget>& targets,
                                   const std::vector<std::string>& present) {
  std::vector<std::string> out;
  for (const CompiledTarget& t : targets) {
    const policy::CompiledPolicy& p = *t.compiled;
    if (p.kind() == policy::PolicyKind::kNative) {
      for (const std::string& in : p.inputs()) out.push_back(in);
      continue;
    }
    const policy::SourceSet& sources = t.set->sources();
    for (const std::string& type : present) {
      policy::SourceFormat f = sources.For(type).format();
      if ((f == policy::SourceFormat::kKubernetesAudit &&
           !p.audit_rules().rules.empty()) ||
          (f == policy::SourceFormat::kKubernetesEvent &&
           !p.event_rules().rules.empty())) {
        out.push_back(type);
      }
    }
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::vector<SlicePlan> CutSlices(absl::Time from, absl::Time to,
                                 const std::vector<store::HourCount>& hours,
                                 uint64_t total, size_t max_slices) {
  std::map<absl::Time, uint64_t> per_hour;
  for (const store::HourCount& h : hours) per_hour[h.hour] += h.count;
  uint64_t counted = 0;
  for (const auto& [hour, n] : per_hour) counted += n;
  std::vector<SlicePlan> out;
  SlicePlan current;
  current.from = from;
  if (max_slices > 1 && counted > 0) {
    uint64_t acc = 0;
    size_t k = 1;
    for (const auto& [hour, n] : per_hour) {
      acc += n;
      absl::Time boundary = hour + absl::Hours(1);
      if (boundary <= current.from || boundary >= to) continue;
      if (acc * max_slices >= counted * k) {
        current.to = boundary;
        out.push_back(current);
        current.from = boundary;
        while (k < max_slices && acc * max_slices >= counted * k) ++k;
        if (k >= max_slices) break;
      }
    }
  }
  (void)total;
  current.to = to;
  out.push_back(current);
  return out;
}

}  // namespace retro::reprocess

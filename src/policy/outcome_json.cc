#include "policy/outcome_json.h"

#include "absl/strings/str_cat.h"
#include "base/time.h"
#include "policy/canonical_json.h"

namespace retro::policy {
namespace {

void AppendHead(int64_t index, std::string_view id, std::string* out) {
  absl::StrAppend(out, "{\"index\":", index, ",\"id\":");
  AppendJsonString(id, out);
}

}  // namespace

void AppendOutcomeJson(const Outcome& outcome, int64_t index,
                       std::string_view id, std::string* out) {
  AppendHead(index, id, out);
  out->append(",\"policy\":");
  AppendJsonString(outcome.policy, out);
  out->append(",\"outcome\":");
  AppendJsonString(OutcomeKindName(outcome.kind), out);
  if (outcome.rule_index >= 0) {
    out->append(",\"rule\":");
    AppendJsonString(outcome.rule, out);
    absl::StrAppend(out, ",\"rule_index\":", outcome.rule_index);
  }
  if (outcome.kind == OutcomeKind::kMatched) {
    const Record& r = outcome.record;
    out->append(",\"record\":{\"summary\":");
    AppendJsonString(r.summary, out);
    out->append(",\"links\":");
    out->append(r.links_json);
    if (!r.fields.empty()) {
      out->append(",\"fields\":{");
      for (size_t i = 0; i < r.fields.size(); ++i) {
        if (i > 0) out->push_back(',');
        AppendJsonString(r.fields[i].name, out);
        out->push_back(':');
        out->append(r.fields[i].json);
      }
      out->push_back('}');
    }
    out->append(",\"record_id\":");
    AppendJsonString(r.record_id.Hex(), out);
    out->append(",\"content_hash\":");
    AppendJsonString(r.content_hash.Hex(), out);
    out->append(",\"tenant\":");
    AppendJsonString(r.tenant, out);
    out->append(",\"time\":");
    if (r.has_time) {
      AppendJsonString(base::FormatRfc3339(r.time), out);
    } else {
      out->append("null");
    }
    out->push_back('}');
  }
  if (outcome.kind == OutcomeKind::kDropped ||
      outcome.kind == OutcomeKind::kError) {
    out->append(",\"reason\":");
    AppendJsonString(outcome.reason, out);
  }
  out->push_back('}');
}

void AppendUnselectedJson(int64_t index, std::string_view id,
                          std::string* out) {
  AppendHead(index, id, out);
  out->append(",\"outcome\":\"unselected\"}");
}

std::string EvaluateLineToJson(const CompiledPolicy& policy,
                               const SourceSet& sources, std::string_view type,
                               std::string_view line) {
  Evaluator evaluator(&sources);
  const Outcome& outcome = evaluator.EvaluateLine(policy, type, line);
  std::string out;
  AppendOutcomeJson(outcome, 0, evaluator.envelope().id, &out);
  return out;
}

}  // namespace retro::policy

#include "policy/outcome_json.h"

#include <charconv>

#include "absl/strings/str_cat.h"
#include "base/time.h"
#include "policy/canonical_json.h"

namespace retro::policy {
namespace {

void AppendInt(int64_t v, std::string* out) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  out->append(buf, end);
}

void AppendHead(int64_t index, std::string_view id, std::string* out) {
  out->append("{\"index\":");
  AppendInt(index, out);
  out->append(",\"id\":");
  AppendJsonString(id, out);
}

// `"<32 lower-case hex digits>"`, as JSON: the bytes of Hash128::Hex().
void AppendHashJson(const base::Hash128& h, std::string* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  char buf[34];
  buf[0] = '"';
  for (int i = 0; i < 16; ++i) {
    buf[1 + i] = kHex[(h.high >> (60 - 4 * i)) & 15];
    buf[17 + i] = kHex[(h.low >> (60 - 4 * i)) & 15];
  }
  buf[33] = '"';
  out->append(buf, sizeof(buf));
}

void Put(char* p, int n, int64_t v) {
  for (int i = n - 1; i >= 0; --i) {
    p[i] = static_cast<char>('0' + v % 10);
    v /= 10;
  }
}

}  // namespace

void AppendRfc3339Json(absl::Time t, std::string* out) {
  int64_t secs = absl::ToUnixSeconds(t);  // floor
  int64_t ns = absl::ToInt64Nanoseconds(t - absl::FromUnixSeconds(secs));
  int64_t days = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
  int64_t sod = secs - days * 86400;
  // Civil date from days since 1970-01-01 (H. Hinnant's algorithm).
  int64_t z = days + 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  int64_t doe = z - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  int64_t day = doy - (153 * mp + 2) / 5 + 1;
  int64_t month = mp < 10 ? mp + 3 : mp - 9;
  int64_t year = yoe + era * 400 + (month <= 2);
  if (year < 1000 || year > 9999 || ns < 0 || ns >= 1'000'000'000) {
    AppendJsonString(base::FormatRfc3339(t), out);  // absl's rendering
    return;
  }
  // base::FormatRfc3339: 0, 3, 6 or 9 fraction digits.
  char buf[40];
  buf[0] = '"';
  Put(buf + 1, 4, year);
  buf[5] = '-';
  Put(buf + 6, 2, month);
  buf[8] = '-';
  Put(buf + 9, 2, day);
  buf[11] = 'T';
  Put(buf + 12, 2, sod / 3600);
  buf[14] = ':';
  Put(buf + 15, 2, sod / 60 % 60);
  buf[17] = ':';
  Put(buf + 18, 2, sod % 60);
  int n = 20;
  if (ns != 0) {
    buf[n++] = '.';
    if (ns % 1'000'000 == 0) {
      Put(buf + n, 3, ns / 1'000'000);
      n += 3;
    } else if (ns % 1000 == 0) {
      Put(buf + n, 6, ns / 1000);
      n += 6;
    } else {
      Put(buf + n, 9, ns);
      n += 9;
    }
  }
  buf[n++] = 'Z';
  buf[n++] = '"';
  out->append(buf, n);
}

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
    out->append(",\"rule_index\":");
    AppendInt(outcome.rule_index, out);
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
    AppendHashJson(r.record_id, out);
    out->append(",\"content_hash\":");
    AppendHashJson(r.content_hash, out);
    out->append(",\"tenant\":");
    AppendJsonString(r.tenant, out);
    out->append(",\"time\":");
    if (r.has_time) {
      AppendRfc3339Json(r.time, out);
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

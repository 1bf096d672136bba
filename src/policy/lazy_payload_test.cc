// Converting only what a policy reads: the payload paths collected at
// compile time, cel::JsonDocument against cel::JsonParser, and outcomes that
// are byte for byte those of converting every event whole, also when one
// loaded event is evaluated with several policies. Plus the fast RFC 3339
// rendering of outcome lines.
#include <random>
#include <set>
#include <string>
#include <vector>

#include "base/time.h"
#include "cel/cel.h"
#include "cel/json.h"
#include "gtest/gtest.h"
#include "policy/evaluator.h"
#include "policy/outcome_json.h"
#include "policy/policy_set.h"
#include "policy/test_util.h"

namespace retro::policy {
namespace {

using testing::Fixture;

const cel::JsonSelection* ChildOf(const cel::JsonSelection& s,
                                  std::string_view key) {
  for (const cel::JsonSelection& c : s.children) {
    if (c.key == key) return &c;
  }
  return nullptr;
}

TEST(PayloadPathsTest, DeploymentsReadsOnlyWhatItSelects) {
  PolicySet set;
  ASSERT_TRUE(set.AddFile(Fixture("policies/workloads.activity.yaml")));
  const CompiledPolicy* p = set.Find("deployments");
  ASSERT_NE(p, nullptr);
  const cel::JsonSelection& audit =
      p->audit_rules().payload.by_var[static_cast<int>(Var::kAudit)];
  EXPECT_FALSE(audit.whole);
  const cel::JsonSelection* verb = ChildOf(audit, "verb");
  ASSERT_NE(verb, nullptr);
  EXPECT_TRUE(verb->whole);
  // link(..., audit.objectRef) reads the whole objectRef.
  const cel::JsonSelection* ref = ChildOf(audit, "objectRef");
  ASSERT_NE(ref, nullptr);
  EXPECT_TRUE(ref->whole);
  EXPECT_TRUE(ref->empty_map_if_missing);
  // has(audit.requestObject.spec.replicas): only that path.
  const cel::JsonSelection* request = ChildOf(audit, "requestObject");
  ASSERT_NE(request, nullptr);
  EXPECT_FALSE(request->whole);
  ASSERT_NE(ChildOf(*request, "spec"), nullptr);
  EXPECT_TRUE(ChildOf(*ChildOf(*request, "spec"), "replicas")->whole);
  EXPECT_EQ(ChildOf(audit, "user"), nullptr);  // read through `actor`
  EXPECT_EQ(ChildOf(audit, "responseObject"), nullptr);
}

TEST(PayloadPathsTest, WholeUsesReadEverything) {
  PolicySet set;
  ASSERT_TRUE(set.AddText("p.yaml", R"(apiVersion: retro/v1
kind: Policy
metadata: {name: p}
spec:
  input: t
  select: "size(data) > 0"
  rules:
    - name: r
      match: "data.a.b == 1"
      summary: "{{ string(data.a) }}"
)")) << set.problems()[0].ToString();
  const cel::JsonSelection& data =
      set.Find("p")->rules().payload.by_var[static_cast<int>(Var::kData)];
  EXPECT_TRUE(data.whole);
  EXPECT_TRUE(data.children.empty());
}

// Every document JsonDocument accepts, JsonParser accepts with the same
// value (key order included); inputs it leaves to JsonParser are fine.
void ExpectSameAsParser(cel::JsonDocument& doc, const std::string& json) {
  cel::Arena arena;
  if (!doc.ParseObject(json)) return;
  auto reference = cel::ParseJson(json, arena);
  ASSERT_TRUE(reference.ok()) << json << "\n" << reference.status();
  ASSERT_EQ(reference->kind(), cel::Kind::kMap) << json;
  cel::JsonSelection whole;
  whole.whole = true;
  std::string a, b;
  ASSERT_TRUE(cel::ToJson(*reference, &a));
  ASSERT_TRUE(cel::ToJson(doc.Build(whole, arena), &b));
  EXPECT_EQ(a, b) << json;
}

TEST(JsonDocumentTest, AgreesWithJsonParser) {
  cel::JsonDocument doc;
  const char* cases[] = {
      R"({})",
      R"({"a":-0,"b":-0.0,"c":1e2,"d":1.5,"e":9223372036854775807})",
      R"({"big":9223372036854775808,"bigger":18446744073709551615})",
      R"({"huge":18446744073709551616})",
      R"({"neg":-9223372036854775809})",
      R"({"s":"\u00e9\n\"\\","t":"\ud83d\ude00","u":""})",
      R"({"a":1,"a":2})",
      R"({"a":{"b":1,"b":1}})",
      R"({"a":[1,{"x":null,"y":true,"z":false}],"b":{}})",
      R"({"a":1} x)",
      R"([1,2])",
      R"("s")",
      R"({"a":01})",
      R"({"a":1.})",
      R"({"a":tru})",
      "{\"a\":\"tab\there\"}",
      "{\"a\":\"\xff\"}",
      R"({"k0":0,"k1":1,"k2":2,"k3":3,"k4":4,"k5":5,"k6":6,"k7":7,"k8":8,
          "k9":9,"k10":10,"k11":11,"k12":12,"k13":13,"k14":14,"k15":15,
          "k16":16,"k17":17,"k3":18})",
  };
  for (const char* json : cases) ExpectSameAsParser(doc, json);
  EXPECT_FALSE(doc.ParseObject(R"({"a":1,"a":2})"));
  // Nested objects of up to four keys are compared pair by pair.
  EXPECT_FALSE(doc.ParseObject(R"({"x":{"ab":1,"ab":2}})"));
  EXPECT_FALSE(doc.ParseObject(R"({"x":{"ab":1,"cd":2,"ab":3}})"));
  EXPECT_FALSE(doc.ParseObject(R"({"x":{"a":1,"bc":2,"de":3,"de":4}})"));
  EXPECT_FALSE(doc.ParseObject(R"({"x":[{"k":{"":1,"":2}}]})"));
  EXPECT_TRUE(doc.ParseObject(R"({"x":{"ab":1,"ac":2,"ba":3,"a":4}})"));
  EXPECT_TRUE(doc.ParseObject(R"({"x":{"":1,"a":2}})"));
  // Objects over 32 keys take the sorting path.
  std::string many = "{";
  for (int i = 0; i < 40; ++i) {
    many += "\"key" + std::to_string(i) + "\":" + std::to_string(i) + ",";
  }
  EXPECT_TRUE(doc.ParseObject(many + "\"last\":0}"));
  ExpectSameAsParser(doc, many + "\"last\":0}");
  EXPECT_FALSE(doc.ParseObject(many + "\"key7\":0}"));
  EXPECT_FALSE(doc.ParseObject("{\"x\":" + many + "\"key39\":0}}"));
  EXPECT_FALSE(doc.ParseObject(R"([1])"));
  // Nesting: 256 levels are read, 257 are left to JsonParser (an error).
  std::string deep = "{\"a\":";
  for (int i = 0; i < 254; ++i) deep += "[";
  std::string deeper = deep + "[1]";
  deep += "1";
  for (int i = 0; i < 254; ++i) {
    deep += "]";
    deeper += "]";
  }
  deep += "}";
  deeper += "}";
  EXPECT_TRUE(doc.ParseObject(deep));
  ExpectSameAsParser(doc, deep);
  EXPECT_FALSE(doc.ParseObject(deeper));
  cel::Arena arena;
  EXPECT_FALSE(cel::ParseJson(deeper, arena).ok());
}

// Input accepted once before is parsed to the same value without its nested
// objects searched for repeated keys; the root's are still indexed.
TEST(JsonDocumentTest, ValidatedInputParsesTheSame) {
  cel::JsonDocument doc;
  cel::Arena arena;
  cel::JsonSelection whole;
  whole.whole = true;
  for (const std::string& line :
       testing::ReadLines(Fixture("events/audit.jsonl"))) {
    ASSERT_TRUE(doc.ParseObject(line));
    std::string a, b;
    ASSERT_TRUE(cel::ToJson(doc.Build(whole, arena), &a));
    ASSERT_TRUE(doc.ParseValidatedObject(line));
    ASSERT_TRUE(cel::ToJson(doc.Build(whole, arena), &b));
    EXPECT_EQ(a, b);
    EXPECT_EQ(doc.StringAt({"objectRef", "resource"}).empty(),
              line.find("\"resource\"") == std::string::npos);
  }
  const std::string nested = R"({"a":{"b":1,"b":2},"c":"x"})";
  EXPECT_FALSE(doc.ParseObject(nested));
  ASSERT_TRUE(doc.ParseValidatedObject(nested));
  EXPECT_EQ(doc.StringAt({"c"}), "x");
  EXPECT_FALSE(doc.ParseValidatedObject(R"({"a":1,"a":2})"));
  EXPECT_FALSE(doc.ParseValidatedObject(R"([1])"));
  EXPECT_FALSE(doc.ParseValidatedObject(R"({"a":)"));
}

// Padded input is parsed where it lies, and nothing past its end is read
// as part of it, whatever the padding holds.
TEST(JsonDocumentTest, PaddedInputParsesTheSame) {
  cel::JsonDocument doc;
  cel::Arena arena;
  cel::JsonSelection whole;
  whole.whole = true;
  auto padded = [](std::string_view json, char fill) {
    std::string s(json);
    s.append(cel::kJsonPadding, fill);
    s.resize(json.size());  // keeps the capacity and the bytes after
    return s;
  };
  for (const std::string& line :
       testing::ReadLines(Fixture("events/audit.jsonl"))) {
    ASSERT_TRUE(doc.ParseObject(line));
    std::string a, b;
    ASSERT_TRUE(cel::ToJson(doc.Build(whole, arena), &a));
    const std::string in = padded(line, '}');
    ASSERT_TRUE(doc.ParseValidatedObject(in, /*padded=*/true));
    ASSERT_TRUE(cel::ToJson(doc.Build(whole, arena), &b));
    EXPECT_EQ(a, b);
  }
  EXPECT_FALSE(doc.ParseValidatedObject(padded(R"({"a":)", '1'), true));
  EXPECT_FALSE(doc.ParseValidatedObject(padded(R"({"a":"x)", '"'), true));
  const std::string ok = padded(R"({"a":"x"})", '"');
  ASSERT_TRUE(doc.ParseValidatedObject(ok, true));
  EXPECT_EQ(doc.StringAt({"a"}), "x");
}

// Random byte changes to real events: whatever the fast path accepts must
// be what JsonParser accepts, with the same value.
TEST(JsonDocumentTest, MutatedEventsAgreeWithJsonParser) {
  std::vector<std::string> lines =
      testing::ReadLines(Fixture("events/audit.jsonl"));
  ASSERT_FALSE(lines.empty());
  std::mt19937_64 rng(7);
  const char kBytes[] = "{}[],:\"\\ -+.0123456789eEtrufalsn\x01\xc3\xa9x";
  cel::JsonDocument doc;
  int accepted = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string json = lines[rng() % lines.size()];
    int changes = 1 + static_cast<int>(rng() % 3);
    for (int c = 0; c < changes; ++c) {
      size_t at = rng() % json.size();
      char b = kBytes[rng() % (sizeof(kBytes) - 1)];
      switch (rng() % 3) {
        case 0:
          json[at] = b;
          break;
        case 1:
          json.insert(json.begin() + at, b);
          break;
        default:
          json.erase(at, 1);
      }
    }
    accepted += doc.ParseObject(json);
    ExpectSameAsParser(doc, json);
    if (HasFatalFailure()) return;
  }
  EXPECT_GT(accepted, 1000);
}

class LazyPayloadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* f :
         {"policies/sources.yaml", "policies/workloads.activity.yaml",
          "policies/pod-events.activity.yaml",
          "policies/usage-billing.policy.yaml",
          "policies/catalog-eligibility.policy.yaml"}) {
      ASSERT_TRUE(set_.AddFile(Fixture(f)));
    }
  }
  PolicySet set_;
};

// One Load, every policy in turn (each reads different fields), against
// converting the event whole: the same bytes out, for every fixture event
// and for variants with fields removed or retyped.
TEST_F(LazyPayloadTest, OutcomesAreThoseOfTheWholeEvent) {
  struct Input {
    const char* file;
    const char* type;
  };
  const Input inputs[] = {{"events/audit.jsonl", "audit"},
                          {"events/k8s-events.jsonl", "event"},
                          {"events/usage.jsonl", "usage"},
                          {"events/catalog.jsonl", "catalog_item"}};
  Evaluator lazy(&set_.sources());
  EvaluatorOptions options;
  options.convert_whole_payload = true;
  Evaluator whole(&set_.sources(), options);
  // As runs and live processing read events back from the store.
  Evaluator stored(&set_.sources(), StoredEventOptions());
  // The same, parsing the event where it lies (as runs do).
  Evaluator padded(&set_.sources(), StoredEventOptions());
  std::string spare;
  int compared = 0, matched = 0;
  auto compare = [&](std::string_view type, const std::string& line) {
    absl::Status a = lazy.Load(type, line);
    absl::Status b = whole.Load(type, line);
    ASSERT_EQ(a, b) << line;
    ASSERT_EQ(lazy.envelope().id, whole.envelope().id);
    ASSERT_EQ(lazy.envelope().tenant, whole.envelope().tenant);
    const bool store_accepts = a.ok();
    if (store_accepts) {
      ASSERT_TRUE(stored.Load(type, line).ok()) << line;
      spare.reserve(line.size() + cel::kJsonPadding);
      spare.assign(line);
      ASSERT_TRUE(padded.LoadPadded(type, spare).ok()) << line;
    }
    for (const auto& policy : set_.policies()) {
      std::string ja, jb, jc, jd;
      const Outcome& oa = lazy.Evaluate(*policy);
      AppendOutcomeJson(oa, 0, lazy.envelope().id, &ja);
      AppendOutcomeJson(whole.Evaluate(*policy), 0, whole.envelope().id, &jb);
      ASSERT_EQ(ja, jb) << line;
      if (store_accepts) {
        AppendOutcomeJson(stored.Evaluate(*policy), 0, stored.envelope().id,
                          &jc);
        ASSERT_EQ(ja, jc) << line;
        AppendOutcomeJson(padded.Evaluate(*policy), 0, padded.envelope().id,
                          &jd);
        ASSERT_EQ(ja, jd) << line;
      }
      ++compared;
      matched += oa.kind == OutcomeKind::kMatched;
    }
  };
  // Variants: drop or retype one top-level or nested member.
  const char* edits[][2] = {
      {"\"objectRef\":", "\"objectRefX\":"},
      {"\"responseStatus\":", "\"responseStatusX\":"},
      {"\"user\":", "\"userX\":"},
      {"\"code\":", "\"codeX\":"},
      {"\"name\":", "\"nameX\":"},
      {"\"verb\":\"", "\"verb\":\"x"},
      {"\"subresource\":", "\"subresourceX\":"},
      {"\"extra\":", "\"extraX\":"},
      {"\"regarding\":", "\"regardingX\":"},
      {"\"metadata\":", "\"metadataX\":"},
      {"\"data\":", "\"dataX\":"},
      {"\"requestObject\":{", "\"requestObject\":5,\"x\":{"},
  };
  for (const Input& input : inputs) {
    for (const std::string& line : testing::ReadLines(Fixture(input.file))) {
      compare(input.type, line);
      if (HasFatalFailure()) return;
      for (const auto& edit : edits) {
        size_t at = line.find(edit[0]);
        if (at == std::string::npos) continue;
        std::string variant = line;
        variant.replace(at, std::string_view(edit[0]).size(), edit[1]);
        compare(input.type, variant);
        if (HasFatalFailure()) return;
      }
    }
  }
  EXPECT_GT(compared, 500);
  EXPECT_GT(matched, 100);
}

// The tenant an evaluator remembers is keyed by exactly what the Source's
// expression reads: payloads that differ there (also only in structure)
// get their own tenant, in any order, and a changed Source is re-read.
TEST(RememberedTenantTest, FollowsWhatTheExpressionReads) {
  const std::string source = R"(
apiVersion: retro/v1
kind: Source
metadata: {name: audit}
spec:
  format: kubernetes-audit
  tenant: "has(audit.user.extra) && 't' in audit.user.extra ? audit.user.extra['t'].join('+') + ':' + string(size(audit.user.extra)) : 'none'"
)";
  PolicySet set;
  ASSERT_TRUE(set.AddText("sources.yaml", source));
  auto event = [](const std::string& extra) {
    return R"({"auditID":"a","requestReceivedTimestamp":"2026-11-20T00:00:00Z",)"
           R"("user":{"username":"u")" +
           extra + R"(},"verb":"get"})";
  };
  const std::vector<std::string> events = {
      event(R"(,"extra":{"t":["ab"]})"),
      event(R"(,"extra":{"t":["a","b"]})"),
      event(R"(,"extra":{"t":["a"],"u":["b"]})"),
      event(R"(,"extra":{"t":["a"]})"),
      event(R"(,"extra":{"u":["a"]})"),
      event(""),
      event(R"(,"extra":{"t":["a\"b"]})"),
      event(R"(,"extra":{"t":[]})"),
  };
  SourceSet sources = set.sources();
  Evaluator remembering(&sources);
  EvaluatorOptions whole_options;
  whole_options.convert_whole_payload = true;  // nothing remembered
  Evaluator whole(&set.sources(), whole_options);
  std::mt19937_64 rng(5);
  std::set<std::string> tenants;
  for (int i = 0; i < 400; ++i) {
    const std::string& e = events[rng() % events.size()];
    absl::Status st = remembering.Load("audit", e);
    ASSERT_TRUE(st.ok()) << st << " " << e;
    ASSERT_TRUE(whole.Load("audit", e).ok()) << e;
    ASSERT_EQ(remembering.envelope().tenant, whole.envelope().tenant) << e;
    tenants.insert(remembering.envelope().tenant);
  }
  EXPECT_EQ(tenants.size(), 7u);  // ["a"] and ["a"]+"u" differ in size only

  // Other sources in the same place: the next Load reads their tenant.
  PolicySet changed;
  ASSERT_TRUE(changed.AddText("sources2.yaml", R"(
apiVersion: retro/v1
kind: Source
metadata: {name: audit}
spec:
  format: kubernetes-audit
  tenant: "'changed'"
)"));
  sources = changed.sources();
  ASSERT_TRUE(remembering.Load("audit", events[0]).ok());
  EXPECT_EQ(remembering.envelope().tenant, "changed");
}

TEST(OutcomeJsonTest, Rfc3339IsBaseFormatByteForByte) {
  std::mt19937_64 rng(11);
  std::vector<absl::Time> times = {
      absl::UnixEpoch(),
      absl::FromUnixSeconds(-1),
      absl::FromUnixNanos(-1),
      absl::FromUnixSeconds(253402300799),
      absl::FromUnixSeconds(253402300800),
      absl::FromUnixSeconds(-62135596800),
      absl::FromUnixSeconds(-62135596801),
      absl::FromUnixSeconds(-30610224000),
      absl::FromUnixSeconds(951782400)};  // 2000-02-29
  for (int i = 0; i < 20000; ++i) {
    int64_t secs =
        static_cast<int64_t>(rng() % 600'000'000'000ULL) - 300'000'000'000LL;
    int64_t nanos = 0;
    switch (i % 4) {
      case 1:
        nanos = static_cast<int64_t>(rng() % 1000) * 1'000'000;
        break;
      case 2:
        nanos = static_cast<int64_t>(rng() % 1'000'000) * 1000;
        break;
      case 3:
        nanos = static_cast<int64_t>(rng() % 1'000'000'000);
        break;
    }
    times.push_back(absl::FromUnixSeconds(secs) + absl::Nanoseconds(nanos));
  }
  for (absl::Time t : times) {
    std::string fast, reference = "\"" + base::FormatRfc3339(t) + "\"";
    AppendRfc3339Json(t, &fast);
    ASSERT_EQ(fast, reference) << absl::ToUnixNanos(t);
  }
}

// cel::AppendJsonString scans eight bytes at a time: same bytes as the
// plain per-character rules, at every position and length.
TEST(OutcomeJsonTest, JsonStringEscapesExactly) {
  auto reference = [](std::string_view s) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out = "\"";
    for (unsigned char c : s) {
      switch (c) {
        case '"':
          out += "\\\"";
          break;
        case '\\':
          out += "\\\\";
          break;
        case '\n':
          out += "\\n";
          break;
        case '\r':
          out += "\\r";
          break;
        case '\t':
          out += "\\t";
          break;
        case '\b':
          out += "\\b";
          break;
        case '\f':
          out += "\\f";
          break;
        default:
          if (c < 0x20) {
            out += "\\u00";
            out += kHex[c >> 4];
            out += kHex[c & 15];
          } else {
            out += static_cast<char>(c);
          }
      }
    }
    return out + "\"";
  };
  std::mt19937_64 rng(3);
  const char kChars[] = "ab\"\\\n\x01\x1f\x7f\xc3\xa9 !#[]";
  for (int i = 0; i < 20000; ++i) {
    std::string s(rng() % 40, 'x');
    for (char& c : s) {
      c = rng() % 3 == 0 ? kChars[rng() % (sizeof(kChars) - 1)]
                         : static_cast<char>(rng() & 0xFF);
    }
    std::string out;
    cel::AppendJsonString(s, &out);
    ASSERT_EQ(out, reference(s));
  }
}

}  // namespace
}  // namespace retro::policy

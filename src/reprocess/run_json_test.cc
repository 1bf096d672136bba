#include "reprocess/run_json.h"

#include <string>

#include "base/time.h"
#include "gtest/gtest.h"
#include "simdjson.h"

namespace retro::reprocess {
namespace {

absl::Time Now() { return *base::ParseRfc3339("2026-11-25T18:15:00Z"); }

simdjson::dom::element Parse(simdjson::dom::parser& parser,
                             const std::string& json) {
  simdjson::dom::element root;
  EXPECT_FALSE(parser.parse(json).get(root)) << json;
  return root;
}

std::string Str(simdjson::dom::element e) {
  std::string_view v;
  if (e.get_string().get(v)) return "<not a string>";
  return std::string(v);
}

TEST(RunJsonTest, ParsesEveryField) {
  auto r = ParseRunRequest(R"({
    "policies": ["deployments", "pods"],
    "from": "-7d", "to": "2026-11-25T00:00:00Z",
    "tenants": ["acme"], "types": ["audit"],
    "filter": "meta.tenant != 'test'",
    "mode": "direct", "purge_unmatched": true,
    "max_rate": 5000, "throttle": "adaptive", "parallelism": 2,
    "gates": {"min_coverage": 0.9, "max_errors": 3,
              "max_changed_ratio": 0.5, "max_removed": 100},
    "retry_errors_of": "r-20261125-181500-7f3a",
    "reason": "fix the deployment summary"})",
                           Now());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->policies, (std::vector<std::string>{"deployments", "pods"}));
  EXPECT_EQ(r->from, Now() - absl::Hours(24 * 7));
  ASSERT_TRUE(r->to.has_value());
  EXPECT_EQ(base::FormatRfc3339(*r->to), "2026-11-25T00:00:00Z");
  EXPECT_EQ(r->tenants, std::vector<std::string>{"acme"});
  EXPECT_EQ(r->types, std::vector<std::string>{"audit"});
  EXPECT_EQ(r->filter, "meta.tenant != 'test'");
  EXPECT_EQ(r->mode, RunMode::kDirect);
  EXPECT_TRUE(r->purge_unmatched);
  EXPECT_EQ(r->max_rate, 5000);
  EXPECT_TRUE(r->adaptive);
  EXPECT_EQ(r->parallelism, 2);
  EXPECT_EQ(r->gates.min_coverage, 0.9);
  EXPECT_EQ(r->gates.max_errors, 3u);
  EXPECT_EQ(r->gates.max_changed_ratio, 0.5);
  EXPECT_EQ(r->gates.max_removed, 100u);
  EXPECT_EQ(r->retry_errors_of, "r-20261125-181500-7f3a");
  EXPECT_EQ(r->reason, "fix the deployment summary");
}

TEST(RunJsonTest, DefaultsAreTheLast48HoursInShadowMode) {
  auto r = ParseRunRequest(R"({"selector": "team=apps,tier!=dev"})", Now());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->selector, "team=apps,tier!=dev");
  EXPECT_EQ(r->from, Now() - absl::Hours(48));
  EXPECT_FALSE(r->to.has_value());
  EXPECT_EQ(r->mode, RunMode::kShadow);
  EXPECT_FALSE(r->purge_unmatched);
  EXPECT_EQ(r->max_rate, 0);
  EXPECT_FALSE(r->adaptive);
  EXPECT_EQ(r->parallelism, 0);
  EXPECT_EQ(r->gates.min_coverage, 1.0);
  EXPECT_EQ(r->gates.max_errors, 0u);
  EXPECT_FALSE(r->gates.max_changed_ratio.has_value());
  EXPECT_FALSE(r->gates.max_removed.has_value());
}

TEST(RunJsonTest, NullToAndNullGatesMeanUnset) {
  auto r = ParseRunRequest(
      R"({"policies": ["p"], "to": null, "throttle": "fixed",
          "gates": {"max_changed_ratio": null, "max_removed": null}})",
      Now());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_FALSE(r->to.has_value());
  EXPECT_FALSE(r->adaptive);
  EXPECT_FALSE(r->gates.max_changed_ratio.has_value());
  EXPECT_FALSE(r->gates.max_removed.has_value());
}

// Each bad body is refused with a message naming the field and the fix.
TEST(RunJsonTest, RefusesBadRequestsWithMessagesThatNameTheFix) {
  struct Case {
    const char* body;
    const char* message;  // a part of the message
  };
  const Case cases[] = {
      {"", "not valid JSON"},
      {"{\"policies\": [\"p\"]", "not valid JSON"},
      {"[1]", "must be a JSON object"},
      {"{}", "name the policies"},
      {R"({"policies": []})", "name the policies"},
      {R"({"policies": ["p"], "selector": "a=b"})", "not both"},
      {R"({"policies": "p"})", "'policies' must be an array of strings"},
      {R"({"policies": [1]})", "'policies' must be an array of strings"},
      {R"({"policies": ["p", "p"]})", "lists 'p' twice"},
      {R"({"policies": [""]})", "empty string"},
      {R"({"policies": ["p"], "polices": ["p"]})",
       "unknown field 'polices'; the fields are policies, selector"},
      {R"({"policies": ["p"], "policies": ["q"]})", "'policies' appears twice"},
      {R"({"policies": ["p"], "from": "yesterday"})", "'from' is not a time"},
      {R"({"policies": ["p"], "from": "-48x"})", "unit must be"},
      {R"({"policies": ["p"], "from": 48})", "'from' must be a string"},
      {R"({"policies": ["p"], "to": "2026-13-01T00:00:00Z"})",
       "'to' is not a time"},
      {R"({"policies": ["p"], "from": "-1d", "to": "-2d"})",
       "'from' (2026-11-24T18:15:00Z) must be before 'to' "
       "(2026-11-23T18:15:00Z)"},
      {R"({"policies": ["p"], "from": "-1h", "to": "-1h"})",
       "must be before 'to'"},
      {R"({"policies": ["p"], "from": "+1h"})", "in the future"},
      {R"({"policies": ["p"], "mode": "wet_run"})",
       "'mode' is 'wet_run'; use dry_run, shadow or direct"},
      {R"({"policies": ["p"], "mode": 1})", "'mode' must be a string"},
      {R"({"policies": ["p"], "purge_unmatched": "yes"})",
       "'purge_unmatched' must be true or false"},
      {R"({"policies": ["p"], "max_rate": -1})",
       "'max_rate' must be 0 or more"},
      {R"({"policies": ["p"], "max_rate": "fast"})",
       "'max_rate' must be a number"},
      {R"({"policies": ["p"], "throttle": "slow"})", "use adaptive or fixed"},
      {R"({"policies": ["p"], "parallelism": 1.5})",
       "'parallelism' must be a whole number"},
      {R"({"policies": ["p"], "parallelism": 100000})", "at most 256"},
      {R"({"policies": ["p"], "gates": [1]})", "'gates' must be an object"},
      {R"({"policies": ["p"], "gates": {"min_coverage": 2}})",
       "'gates.min_coverage' is a ratio"},
      {R"({"policies": ["p"], "gates": {"max_errors": -1}})",
       "'gates.max_errors' must be 0 or more"},
      {R"({"policies": ["p"], "gates": {"max_errors": 0.5}})",
       "'gates.max_errors' must be a whole number"},
      {R"({"policies": ["p"], "gates": {"max_eros": 1}})",
       "unknown field 'gates.max_eros'; the gates are min_coverage"},
      {R"({"policies": ["p"], "tenants": "acme"})",
       "'tenants' must be an array of strings, e.g. [\"acme\"]"},
      {R"({"policies": ["p"], "retry_errors_of": 7})",
       "'retry_errors_of' must be a string"},
  };
  for (const Case& c : cases) {
    auto r = ParseRunRequest(c.body, Now());
    ASSERT_FALSE(r.ok()) << c.body;
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << c.body;
    EXPECT_NE(r.status().message().find(c.message), std::string::npos)
        << c.body << "\n  got: " << r.status().message()
        << "\n  want: " << c.message;
  }
}

RunInfo SampleRun() {
  RunInfo run;
  run.id = "r-20261125-181500-7f3a";
  run.state = RunState::kRunning;
  run.request.policies = {"deployments"};
  run.request.from = Now() - absl::Hours(48);
  run.request.types = {"audit"};
  run.request.max_rate = 5000;
  run.request.parallelism = 2;
  run.request.gates.max_removed = 100;
  run.request.reason = "fix \"the\" summary";
  run.targets = {{"deployments", 1, 2}};
  run.created_by = "admin";
  run.created = Now();
  run.started = Now() + absl::Seconds(1);
  run.cutoff_seq = 120345;
  run.total = 100000;
  run.scanned = 41000;
  run.skipped = 7;
  run.waiting = "";
  run.counters.processed = 41000;
  run.counters.matched = 30000;
  run.counters.errors = 1000;
  run.handoff.processed = 12;
  run.rate = 20500;
  run.current_rate = 5000;
  run.eta_seconds = 2.9;
  run.blocking_reasons = {"1000 errors (max_errors 0)"};
  return run;
}

TEST(RunJsonTest, RunHasTheDocumentedShape) {
  std::string json;
  AppendRunJson(SampleRun(), &json);
  simdjson::dom::parser parser;
  auto root = Parse(parser, json);
  EXPECT_EQ(Str(root["id"]), "r-20261125-181500-7f3a");
  EXPECT_EQ(Str(root["state"]), "running");
  EXPECT_EQ(Str(root["mode"]), "shadow");
  EXPECT_EQ(Str(root["policies"].at(0)["name"]), "deployments");
  EXPECT_EQ(uint64_t(root["policies"].at(0)["from_generation"]), 1u);
  EXPECT_EQ(uint64_t(root["policies"].at(0)["target_generation"]), 2u);
  EXPECT_EQ(Str(root["from"]), "2026-11-23T18:15:00Z");
  EXPECT_TRUE(root["to"].is_null());
  EXPECT_EQ(Str(root["types"].at(0)), "audit");
  EXPECT_EQ(double(root["throttle"]["max_rate"]), 5000);
  EXPECT_FALSE(bool(root["throttle"]["adaptive"]));
  EXPECT_EQ(double(root["throttle"]["current_rate"]), 5000);
  EXPECT_EQ(int64_t(root["parallelism"]), 2);
  EXPECT_EQ(double(root["gates"]["min_coverage"]), 1.0);
  EXPECT_TRUE(root["gates"]["max_changed_ratio"].is_null());
  EXPECT_EQ(uint64_t(root["gates"]["max_removed"]), 100u);
  EXPECT_EQ(Str(root["reason"]), "fix \"the\" summary");
  EXPECT_EQ(Str(root["created_at"]), "2026-11-25T18:15:00Z");
  EXPECT_EQ(Str(root["started_at"]), "2026-11-25T18:15:01Z");
  EXPECT_TRUE(root["finished_at"].is_null());
  EXPECT_TRUE(root["promoted_at"].is_null());
  EXPECT_TRUE(root["rolled_back_at"].is_null());
  EXPECT_EQ(uint64_t(root["cutoff_seq"]), 120345u);
  EXPECT_EQ(uint64_t(root["progress"]["total"]), 100000u);
  EXPECT_EQ(uint64_t(root["progress"]["processed"]), 41000u);
  EXPECT_EQ(double(root["progress"]["percent"]), 41.0);
  EXPECT_EQ(double(root["progress"]["rate"]), 20500.0);
  EXPECT_EQ(double(root["progress"]["eta_seconds"]), 2.9);
  EXPECT_EQ(uint64_t(root["skipped"]), 7u);
  EXPECT_EQ(Str(root["waiting"]), "");
  EXPECT_EQ(uint64_t(root["counters"]["matched"]), 30000u);
  EXPECT_EQ(uint64_t(root["counters"]["errors"]), 1000u);
  EXPECT_EQ(uint64_t(root["handoff"]["processed"]), 12u);
  EXPECT_FALSE(bool(root["ready_to_promote"]));
  EXPECT_EQ(Str(root["blocking_reasons"].at(0)), "1000 errors (max_errors 0)");
  EXPECT_FALSE(bool(root["forced"]));
  EXPECT_EQ(Str(root["error"]), "");
}

TEST(RunJsonTest, UnknownEtaIsNullAndAnEmptyFinishedRunIsComplete) {
  RunInfo run = SampleRun();
  run.eta_seconds.reset();
  run.total = 0;
  run.scanned = 0;
  run.counters = {};
  run.state = RunState::kSucceeded;
  std::string json;
  AppendRunJson(run, &json);
  simdjson::dom::parser parser;
  auto root = Parse(parser, json);
  EXPECT_TRUE(root["progress"]["eta_seconds"].is_null());
  EXPECT_EQ(double(root["progress"]["percent"]), 100.0);
}

TEST(RunJsonTest, DiffNamesNoRecordAsNullAndEmbedsRecords) {
  Diff diff;
  diff.final = true;
  diff.counters.processed = 3;
  diff.transitions = {{"deployments", "create", "create", 2},
                      {"deployments", "", "scale", 1},
                      {"deployments", "delete", "", 1}};
  diff.tenants = {{"acme", diff.counters}};
  Sample s;
  s.category = "changed";
  s.policy = "deployments";
  s.origin_type = "audit";
  s.origin_id = "e1";
  s.tenant = "acme";
  s.time = Now();
  s.old_record = R"({"summary":"old","rule":"create","generation":1})";
  s.new_record = R"({"summary":"new","rule":"create","generation":2})";
  diff.samples.push_back(s);
  s.category = "unmatched";
  s.new_record.clear();
  // A records-list item is flattened: the record plus rule and generation.
  s.old_record =
      R"({"policy":"deployments","origin_type":"audit","origin_id":"e1",)"
      R"("rule":"create","generation":1,"tenant":"acme",)"
      R"("record":{"summary":"listed","links":[]}})";
  diff.samples.push_back(s);
  std::string json;
  AppendDiffJson("r-1", diff, &json);
  simdjson::dom::parser parser;
  auto root = Parse(parser, json);
  EXPECT_EQ(Str(root["run"]), "r-1");
  EXPECT_TRUE(bool(root["final"]));
  EXPECT_EQ(uint64_t(root["counters"]["processed"]), 3u);
  EXPECT_EQ(Str(root["transitions"].at(0)["from"]), "create");
  EXPECT_TRUE(root["transitions"].at(1)["from"].is_null());
  EXPECT_TRUE(root["transitions"].at(2)["to"].is_null());
  EXPECT_EQ(uint64_t(root["transitions"].at(0)["count"]), 2u);
  EXPECT_EQ(Str(root["tenants"].at(0)["tenant"]), "acme");
  EXPECT_EQ(Str(root["samples"].at(0)["origin"]["id"]), "e1");
  EXPECT_EQ(Str(root["samples"].at(0)["old"]["summary"]), "old");
  EXPECT_EQ(Str(root["samples"].at(0)["new"]["summary"]), "new");
  EXPECT_EQ(Str(root["samples"].at(0)["time"]), "2026-11-25T18:15:00Z");
  EXPECT_TRUE(root["samples"].at(1)["new"].is_null());
  EXPECT_EQ(simdjson::minify(root["samples"].at(1)["old"]),
            R"({"summary":"listed","links":[],"rule":"create",)"
            R"("generation":1})");
}

TEST(RunJsonTest, ErrorsAndInsightsHaveTheDocumentedShape) {
  ErrorReport report;
  report.error_reasons = {{"no such key: spec", 2}};
  report.drop_reasons = {{"missing data.orgId", 1}};
  report.errors = {{"audit", "e1", "deployments", "no such key: spec"}};
  report.drops = {{"usage", "u1", "billing", "missing data.orgId"}};
  std::string json;
  AppendErrorsJson("r-1", report, &json);
  simdjson::dom::parser parser;
  auto root = Parse(parser, json);
  EXPECT_EQ(Str(root["error_reasons"].at(0)["reason"]), "no such key: spec");
  EXPECT_EQ(uint64_t(root["error_reasons"].at(0)["count"]), 2u);
  EXPECT_EQ(Str(root["drop_reasons"].at(0)["reason"]), "missing data.orgId");
  EXPECT_EQ(Str(root["errors"].at(0)["type"]), "audit");
  EXPECT_EQ(Str(root["errors"].at(0)["id"]), "e1");
  EXPECT_EQ(Str(root["drops"].at(0)["policy"]), "billing");

  std::string insights;
  AppendInsightsJson({{"run_failed", "critical", "r-1", "deployments",
                       "the run failed: disk full", Now()}},
                     &insights);
  simdjson::dom::parser parser2;
  auto i = Parse(parser2, insights);
  EXPECT_EQ(Str(i["insights"].at(0)["kind"]), "run_failed");
  EXPECT_EQ(Str(i["insights"].at(0)["severity"]), "critical");
  EXPECT_EQ(Str(i["insights"].at(0)["run"]), "r-1");
  EXPECT_EQ(Str(i["insights"].at(0)["time"]), "2026-11-25T18:15:00Z");
}

// Every state, and an error text with control characters, give valid JSON.
TEST(RunJsonTest, RunJsonIsValidForEveryState) {
  for (RunState s :
       {RunState::kQueued, RunState::kRunning, RunState::kPaused,
        RunState::kSucceeded, RunState::kFailed, RunState::kCancelled,
        RunState::kPromoted, RunState::kDiscarded, RunState::kRolledBack}) {
    RunInfo run = SampleRun();
    run.state = s;
    run.error = "line\nbreak\t\x01";
    std::string json;
    AppendRunJson(run, &json);
    simdjson::dom::parser parser;
    simdjson::dom::element root;
    ASSERT_FALSE(parser.parse(json).get(root)) << json;
    EXPECT_EQ(Str(root["state"]), RunStateName(s));
    EXPECT_EQ(Str(root["error"]), "line\nbreak\t\x01");
  }
}

}  // namespace
}  // namespace retro::reprocess

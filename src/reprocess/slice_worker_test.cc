// SliceWorker's prefilter (CompiledPolicy::MaySelect): a run without a
// filter keeps only the metadata of events no target may select, and
// classifies them exactly as evaluating them would: skipped without a
// visible record, unmatched (or removed, with purge_unmatched) with one.
// The reference is the same batch with a filter that selects every event,
// which turns the prefilter off.
#include "reprocess/slice_worker.h"

#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "pipeline/record_convert.h"
#include "policy/policy_set.h"
#include "store/store.h"

namespace retro::reprocess {
namespace {

constexpr const char* kTarget = R"(apiVersion: activity.miloapis.com/v1alpha1
kind: ActivityPolicy
metadata: {name: deployments}
spec:
  resource: {apiGroup: apps, kind: Deployment}
  auditRules:
    - name: created
      match: "audit.verb == 'create'"
      summary: "v2 created {{ audit.objectRef.name }}"
---
apiVersion: activity.miloapis.com/v1alpha1
kind: ActivityPolicy
metadata: {name: pods}
spec:
  resource: {apiGroup: "", kind: Pod}
  auditRules:
    - name: deleted
      match: "audit.verb == 'delete'"
      summary: "deleted {{ audit.objectRef.name }}"
---
apiVersion: retro/v1
kind: Policy
metadata: {name: run-filter}
spec:
  input: [audit]
  select: "true"
  rules:
    - name: in-scope
      match: "true"
      summary: "x"
)";

std::string AuditEvent(int i, const std::string& resource,
                       const std::string& group, const std::string& verb) {
  return absl::StrCat(R"({"auditID":"e)", i, R"(","verb":")", verb,
                      R"(","user":{"username":"bob"},"objectRef":{"resource":)",
                      resource, R"(,"apiGroup":")", group,
                      R"(","namespace":"n","name":"x)", i,
                      R"("},"requestReceivedTimestamp":"2026-11-20T00:00:)",
                      absl::Dec(i % 60, absl::kZeroPad2), R"(Z"})");
}

class SlicePrefilterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = (std::filesystem::temp_directory_path() /
            absl::StrCat("retro-slice-prefilter-", getpid()))
               .string();
    std::filesystem::remove_all(dir_);
    store::StoreOptions so;
    so.path = dir_;
    auto opened = store::OpenStore(so);
    ASSERT_TRUE(opened.ok()) << opened.status();
    store_ = std::move(*opened);
    ASSERT_TRUE(set_->AddText("p.yaml", kTarget))
        << set_->problems()[0].ToString();

    // Deployments (created: matched; updated: unmatched), pods, an escaped
    // spelling of deployments, and a services event.
    std::vector<std::string> raws;
    for (int i = 0; i < 40; ++i) {
      switch (i % 5) {
        case 0:
          raws.push_back(AuditEvent(i, "\"deployments\"", "apps", "create"));
          break;
        case 1:
          raws.push_back(AuditEvent(i, "\"deployments\"", "apps", "update"));
          break;
        case 2:
          raws.push_back(AuditEvent(i, "\"pods\"", "", "delete"));
          break;
        case 3:
          raws.push_back(
              AuditEvent(i, R"("\u0064eployments")", "apps", "create"));
          break;
        default:
          raws.push_back(AuditEvent(i, "\"services\"", "", "delete"));
      }
    }
    policy::Evaluator ev(&set_->sources());
    std::vector<store::Event> events;
    store::RecordBatch visible;
    std::string scratch;
    for (const std::string& raw : raws) {
      ASSERT_TRUE(ev.Load("audit", raw).ok()) << raw;
      store::Event& e = events.emplace_back();
      e.type = "audit";
      e.id = ev.envelope().id;
      e.time = ev.envelope().time;
      e.data = raw;
      // Visible records "of an earlier generation" under the target's
      // name: for the deployments it creates, and for the pods (which the
      // target cannot select any more).
      for (const char* name : {"deployments", "pods"}) {
        const policy::Outcome& o = ev.Evaluate(*set_->Find(name));
        if (o.kind == policy::OutcomeKind::kMatched) {
          visible.Put(pipeline::ToStoreRecord(o, "deployments", 1, e.type, e.id,
                                              e.time, &scratch));
        }
      }
    }
    auto appended = store_->events().Append(events, store::AppendOptions{});
    ASSERT_TRUE(appended.ok()) << appended.status();
    ASSERT_EQ(appended->accepted, events.size());
    ASSERT_TRUE(store_->records().Commit(visible, store::WriteOptions{}).ok());
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  // One dry run over every event, in batches of 7.
  SliceProgress Run(bool with_filter, bool purge) {
    auto run = std::make_shared<CompiledRun>();
    run->targets.push_back(
        CompiledTarget{"deployments", 2, set_, set_->Find("deployments")});
    if (with_filter) {
      run->filter_set = set_;
      run->filter = set_->Find("run-filter");
    }
    ExecContext ctx;
    ctx.run_id = with_filter ? "r-filter" : "r-prefilter";
    ctx.stage = false;
    ctx.purge_unmatched = purge;
    ctx.cutoff_seq = store_->events().MaxSeq();
    ctx.compiled = run;
    SliceWorker worker(&ctx, store_.get());
    SliceProgress progress;
    SlicePlan plan;
    for (int i = 0; i < 100 && !progress.done; ++i) {
      auto n = worker.RunBatch(0, plan, 7, &progress);
      EXPECT_TRUE(n.ok()) << n.status();
      if (!n.ok()) break;
    }
    EXPECT_TRUE(progress.done);
    return progress;
  }

  std::string dir_;
  std::unique_ptr<store::Store> store_;
  std::shared_ptr<policy::PolicySet> set_ =
      std::make_shared<policy::PolicySet>();
};

TEST_F(SlicePrefilterTest, SkipsExactlyWhatEvaluatingWouldSkip) {
  for (bool purge : {false, true}) {
    SliceProgress fast = Run(false, purge);
    SliceProgress reference = Run(true, purge);
    EXPECT_EQ(fast.Encode(), reference.Encode()) << "purge " << purge;
    EXPECT_EQ(fast.samples.size(), reference.samples.size());
    for (size_t i = 0; i < fast.samples.size() && i < reference.samples.size();
         ++i) {
      EXPECT_EQ(fast.samples[i].origin_id, reference.samples[i].origin_id);
      EXPECT_EQ(fast.samples[i].category, reference.samples[i].category);
      EXPECT_EQ(fast.samples[i].old_record, reference.samples[i].old_record);
      EXPECT_EQ(fast.samples[i].new_record, reference.samples[i].new_record);
    }
    EXPECT_EQ(fast.scanned, 40u);
    // Services: skipped. Pods had a record: unmatched (removed with
    // purge). Deployments (escaped ones included): 16 created, 8 updated.
    EXPECT_EQ(fast.skipped, 8u);
    EXPECT_EQ(fast.counters.processed, 32u);
    EXPECT_EQ(fast.counters.matched, 16u);
    EXPECT_EQ(fast.counters.unmatched, 16u);
    EXPECT_EQ(fast.counters.removed, purge ? 8u : 0u);
  }
}

}  // namespace
}  // namespace retro::reprocess

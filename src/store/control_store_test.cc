#include <string>

#include "base/hash.h"
#include "gtest/gtest.h"
#include "store/store.h"
#include "store/test_util.h"

namespace retro::store {
namespace {

using testing::OpenOrDie;
using testing::T0;
using testing::TempDir;

class ControlStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { Reopen(); }
  void Reopen() {
    store_.reset();
    StoreOptions o;
    o.path = dir_.path();
    store_ = OpenOrDie(o);
    ASSERT_NE(store_, nullptr);
  }
  ControlStore& control() { return store_->control(); }
  ApplyPolicyResult Apply(const std::string& spec, bool activate = false) {
    auto r =
        control().ApplyPolicy("p", spec, base::Hash128Of(spec), T0(), activate);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : ApplyPolicyResult{};
  }

  TempDir dir_;
  std::unique_ptr<Store> store_;
};

TEST_F(ControlStoreTest, GenerationsAreCreatedOnlyForChangedContent) {
  EXPECT_EQ(Apply("v1").generation, 1u);
  ApplyPolicyResult again = Apply("v1");
  EXPECT_EQ(again.generation, 1u);
  EXPECT_FALSE(again.created);
  ApplyPolicyResult v2 = Apply("v2");
  EXPECT_EQ(v2.generation, 2u);
  EXPECT_TRUE(v2.created);
  auto p = control().GetPolicy("p");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->latest_generation, 2u);
  EXPECT_EQ(p->active_generation, 1u);  // the first is active; later on demand
  Apply("v3", /*activate=*/true);
  EXPECT_EQ(control().GetPolicy("p")->active_generation, 3u);
  auto gens = control().ListGenerations("p");
  ASSERT_TRUE(gens.ok());
  ASSERT_EQ(gens->size(), 3u);
  EXPECT_EQ((*gens)[1].spec, "v2");
  EXPECT_EQ((*gens)[1].content_hash, base::Hash128Of("v2"));
  EXPECT_EQ(control().GetGeneration("p", 1)->spec, "v1");
  EXPECT_TRUE(absl::IsNotFound(control().GetGeneration("p", 9).status()));
  EXPECT_TRUE(absl::IsNotFound(control().GetPolicy("nope").status()));
}

TEST_F(ControlStoreTest, ActivateDeleteAndUndelete) {
  Apply("v1");
  Apply("v2");
  ASSERT_TRUE(control().SetActiveGeneration("p", 2).ok());
  EXPECT_EQ(control().GetPolicy("p")->active_generation, 2u);
  EXPECT_TRUE(absl::IsNotFound(control().SetActiveGeneration("p", 5)));
  ASSERT_TRUE(control().DeletePolicy("p").ok());
  EXPECT_TRUE(control().GetPolicy("p")->deleted);
  EXPECT_TRUE(absl::IsNotFound(control().DeletePolicy("p")));
  EXPECT_EQ(control().ListGenerations("p")->size(), 2u);
  ApplyPolicyResult r = Apply("v2");
  EXPECT_FALSE(r.created);
  EXPECT_FALSE(control().GetPolicy("p")->deleted);
  auto all = control().ListPolicies();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ((*all)[0].name, "p");
}

TEST_F(ControlStoreTest, DocumentsByKindAndName) {
  ASSERT_TRUE(control().PutDocument({"source", "k8s", T0(), "spec1"}).ok());
  ASSERT_TRUE(control().PutDocument({"source", "nats", T0(), "spec2"}).ok());
  ASSERT_TRUE(control().PutDocument({"token", "admin", T0(), "hash"}).ok());
  ASSERT_TRUE(control().PutDocument({"source", "k8s", T0(), "spec3"}).ok());
  EXPECT_EQ(control().GetDocument("source", "k8s")->body, "spec3");
  auto sources = control().ListDocuments("source");
  ASSERT_TRUE(sources.ok());
  ASSERT_EQ(sources->size(), 2u);
  EXPECT_EQ((*sources)[1].name, "nats");
  ASSERT_TRUE(control().DeleteDocument("source", "k8s").ok());
  EXPECT_TRUE(
      absl::IsNotFound(control().GetDocument("source", "k8s").status()));
  EXPECT_TRUE(absl::IsNotFound(control().DeleteDocument("source", "k8s")));
  EXPECT_EQ(control().ListDocuments("token")->size(), 1u);
}

TEST_F(ControlStoreTest, AuditLedgerAppendsAndPagesInTimeOrder) {
  for (int i = 0; i < 25; ++i) {
    AuditEntry e{T0() + absl::Seconds(i % 5), "alice", "run.promote",
                 "run/r" + std::to_string(i), "ok",    "{}"};
    auto n = control().AppendAudit(e);
    ASSERT_TRUE(n.ok());
    EXPECT_EQ(*n, static_cast<uint64_t>(i + 1));
  }
  Reopen();
  auto n = control().AppendAudit(
      {T0(), "bob", "policy.apply", "policy/p", "denied", ""});
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 26u);
  std::vector<AuditEntry> all;
  std::string cursor;
  do {
    auto page = control().QueryAudit(T0(), T0() + absl::Seconds(4), cursor, 4);
    ASSERT_TRUE(page.ok()) << page.status();
    all.insert(all.end(), page->entries.begin(), page->entries.end());
    cursor = page->next_cursor;
  } while (!cursor.empty());
  ASSERT_EQ(all.size(), 21u);  // seconds 0..3 (5 each) + bob's
  for (size_t i = 1; i < all.size(); ++i) {
    EXPECT_TRUE(
        all[i - 1].time < all[i].time ||
        (all[i - 1].time == all[i].time && all[i - 1].number < all[i].number));
  }
  EXPECT_EQ(all[5].actor, "bob");
  EXPECT_EQ(all[5].outcome, "denied");
}

}  // namespace
}  // namespace retro::store

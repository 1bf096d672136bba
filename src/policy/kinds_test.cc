#include "policy/kinds.h"

#include "gtest/gtest.h"

namespace retro::policy {
namespace {

TEST(KindsTest, PluralsFromTheTable) {
  EXPECT_EQ(PluralOfKind("Deployment"), "deployments");
  EXPECT_EQ(PluralOfKind("Pod"), "pods");
  EXPECT_EQ(PluralOfKind("Secret"), "secrets");
  EXPECT_EQ(PluralOfKind("Ingress"), "ingresses");
  EXPECT_EQ(PluralOfKind("NetworkPolicy"), "networkpolicies");
  EXPECT_EQ(PluralOfKind("Endpoints"), "endpoints");
  EXPECT_EQ(PluralOfKind("StorageClass"), "storageclasses");
}

TEST(KindsTest, EnglishRulesForOtherKinds) {
  EXPECT_EQ(PluralOfKind("Widget"), "widgets");
  EXPECT_EQ(PluralOfKind("Box"), "boxes");
  EXPECT_EQ(PluralOfKind("Batch"), "batches");
  EXPECT_EQ(PluralOfKind("Mesh"), "meshes");
  EXPECT_EQ(PluralOfKind("Proxy"), "proxies");
  EXPECT_EQ(PluralOfKind("Gateway"), "gateways");
  EXPECT_EQ(PluralOfKind("Status"), "statuses");
}

TEST(KindsTest, GroupOfApiVersion) {
  EXPECT_EQ(GroupOfApiVersion("apps/v1"), "apps");
  EXPECT_EQ(GroupOfApiVersion("v1"), "");
  EXPECT_EQ(GroupOfApiVersion(""), "");
}

TEST(KindsTest, Dns1123Names) {
  EXPECT_TRUE(IsDns1123Name("write"));
  EXPECT_TRUE(IsDns1123Name("crash-loop.v2"));
  EXPECT_FALSE(IsDns1123Name("Write_Secret"));
  EXPECT_FALSE(IsDns1123Name("-x"));
  EXPECT_FALSE(IsDns1123Name("x-"));
  EXPECT_FALSE(IsDns1123Name(""));
  EXPECT_EQ(SuggestDns1123Name("Write_Secret"), "write-secret");
  EXPECT_EQ(SuggestDns1123Name("__"), "");
}

}  // namespace
}  // namespace retro::policy

#include "policy/canonical_json.h"

#include "cel/json.h"
#include "gtest/gtest.h"

namespace retro::policy {
namespace {

std::string Canon(std::string_view json) {
  cel::Arena arena;
  auto v = cel::ParseJson(json, arena);
  EXPECT_TRUE(v.ok()) << v.status();
  std::string out;
  EXPECT_TRUE(AppendCanonicalJson(*v, &out));
  return out;
}

std::string Double(double d) {
  std::string out;
  AppendJsonDouble(d, &out);
  return out;
}

TEST(CanonicalJsonTest, SortsKeysAndDropsWhitespace) {
  EXPECT_EQ(Canon(R"({"b": 1, "a": {"d": [1, 2], "c": null}})"),
            R"({"a":{"c":null,"d":[1,2]},"b":1})");
}

TEST(CanonicalJsonTest, EscapesOnlyWhatJsonRequires) {
  EXPECT_EQ(Canon(R"("a\"b\\c\n\u0001é/")"), "\"a\\\"b\\\\c\\n\\u0001é/\"");
}

TEST(CanonicalJsonTest, DoublesAsJavaScriptWritesThem) {
  EXPECT_EQ(Double(0.002), "0.002");
  EXPECT_EQ(Double(1.0), "1");
  EXPECT_EQ(Double(-2.5), "-2.5");
  EXPECT_EQ(Double(0.1 + 0.2), "0.30000000000000004");
  EXPECT_EQ(Double(1e21), "1e+21");
  EXPECT_EQ(Double(123456789012345680000.0), "123456789012345680000");
  EXPECT_EQ(Double(1e-7), "1e-7");
  EXPECT_EQ(Double(0.000001), "0.000001");
  EXPECT_EQ(Double(1.5e-10), "1.5e-10");
  EXPECT_EQ(Double(0.0), "0");
  EXPECT_EQ(Double(53.911), "53.911");
}

TEST(CanonicalJsonTest, ErrorsAreNotRepresentable) {
  cel::Arena arena;
  std::string out;
  EXPECT_FALSE(AppendCanonicalJson(cel::MakeError(arena, "boom"), &out));
}

}  // namespace
}  // namespace retro::policy

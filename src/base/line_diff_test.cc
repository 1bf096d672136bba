#include "base/line_diff.h"

#include "gtest/gtest.h"

namespace retro::base {
namespace {

TEST(LineDiffTest, SameLinesGiveNothing) {
  EXPECT_EQ(UnifiedLineDiff("a\nb\n", "a\nb\n"), "");
  EXPECT_EQ(UnifiedLineDiff("a\nb", "a\nb\n"), "");
  EXPECT_EQ(UnifiedLineDiff("", ""), "");
}

TEST(LineDiffTest, OneChangedLineWithContext) {
  std::string from = "1\n2\n3\n4\n5\n6\n7\n8\n9\n";
  std::string to = "1\n2\n3\n4\nFIVE\n6\n7\n8\n9\n";
  LineDiffOptions o;
  o.from_label = "generation 1";
  o.to_label = "generation 2";
  EXPECT_EQ(UnifiedLineDiff(from, to, o),
            "--- generation 1\n+++ generation 2\n"
            "@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+FIVE\n 6\n 7\n 8\n");
}

TEST(LineDiffTest, FarApartChangesMakeTwoHunks) {
  std::string from, to;
  for (int i = 1; i <= 20; ++i) {
    from += std::to_string(i) + "\n";
    to += (i == 2 ? "two" : i == 18 ? "eighteen" : std::to_string(i)) + "\n";
  }
  LineDiffOptions o;
  o.context = 1;
  EXPECT_EQ(UnifiedLineDiff(from, to, o),
            "@@ -1,3 +1,3 @@\n 1\n-2\n+two\n 3\n"
            "@@ -17,3 +17,3 @@\n 17\n-18\n+eighteen\n 19\n");
}

TEST(LineDiffTest, InsertionsAndDeletionsAtTheEnds) {
  EXPECT_EQ(UnifiedLineDiff("", "a\nb\n"), "@@ -0,0 +1,2 @@\n+a\n+b\n");
  EXPECT_EQ(UnifiedLineDiff("a\nb\n", ""), "@@ -1,2 +0,0 @@\n-a\n-b\n");
  EXPECT_EQ(UnifiedLineDiff("a\nb\n", "a\nb\nc\n"),
            "@@ -1,2 +1,3 @@\n a\n b\n+c\n");
}

TEST(LineDiffTest, KeepsCommonLinesBetweenEdits) {
  EXPECT_EQ(UnifiedLineDiff("a\nx\nb\ny\nc\n", "a\nb\nc\nz\n"),
            "@@ -1,5 +1,4 @@\n a\n-x\n b\n-y\n c\n+z\n");
}

}  // namespace
}  // namespace retro::base

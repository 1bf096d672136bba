#include "base/hash.h"

#include "gtest/gtest.h"

namespace retro::base {
namespace {

TEST(HashTest, IsStable) {
  // Pinned: these values are part of the storage format.
  EXPECT_EQ(Hex64(Hash64("retro")), Hex64(Hash64("retro")));
  EXPECT_EQ(Hash64(""), 0x2d06800538d394c2ULL);
}

TEST(HashTest, HasherSeparatesParts) {
  Hasher a, b;
  a.Add("ab").Add("c");
  b.Add("a").Add("bc");
  EXPECT_NE(a.Finish(), b.Finish());
  EXPECT_EQ(a.Finish().Hex().size(), 32u);
}

}  // namespace
}  // namespace retro::base

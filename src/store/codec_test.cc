#include "store/codec.h"

#include <algorithm>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace retro::store::codec {
namespace {

TEST(CodecTest, StrEncodingPreservesOrderAndIsPrefixFree) {
  std::vector<std::string> in = {"",      "a",        std::string("a\0", 2),
                                 "a\x01", "ab",       std::string("\0", 1),
                                 "b",     "\xff\xff", std::string("a\0b", 3)};
  std::sort(in.begin(), in.end());
  std::vector<std::string> enc;
  for (const auto& s : in) {
    std::string e;
    PutStr(&e, s);
    enc.push_back(e);
    std::string_view v = e;
    std::string back;
    ASSERT_TRUE(GetStr(&v, &back));
    EXPECT_EQ(back, s);
    EXPECT_TRUE(v.empty());
  }
  EXPECT_TRUE(std::is_sorted(enc.begin(), enc.end()));
  for (size_t i = 0; i < enc.size(); ++i) {
    for (size_t j = 0; j < enc.size(); ++j) {
      if (i != j) EXPECT_FALSE(enc[j].starts_with(enc[i])) << i << " " << j;
    }
  }
  // Composite keys compare field by field.
  std::string ab_c, a_bc;
  PutStr(&ab_c, "ab");
  PutStr(&ab_c, "c");
  PutStr(&a_bc, "a");
  PutStr(&a_bc, "bc");
  EXPECT_LT(a_bc, ab_c);
}

TEST(CodecTest, StrPrefixEndBoundsEveryKeyWithThePrefix) {
  std::string p, k;
  PutStr(&p, "run");
  k = p + "\xff\xff\xff";
  EXPECT_LT(k, StrPrefixEnd("run"));
  std::string other;
  PutStr(&other, "run2");
  EXPECT_FALSE(other >= p && other < StrPrefixEnd("run"));
}

TEST(CodecTest, TimeEncodingOrdersAcrossTheEpoch) {
  std::vector<absl::Time> times = {
      absl::FromUnixNanos(-5'000'000'000), absl::FromUnixNanos(-1),
      absl::UnixEpoch(), absl::FromUnixNanos(1),
      absl::FromUnixSeconds(1715670000) + absl::Nanoseconds(123)};
  std::string prev;
  for (absl::Time t : times) {
    std::string e;
    PutTime(&e, t);
    EXPECT_GT(e, prev);
    prev = e;
    std::string_view v = e;
    absl::Time back;
    ASSERT_TRUE(GetTime(&v, &back));
    EXPECT_EQ(back, t);
  }
}

TEST(CodecTest, HourAndDayBoundariesFloor) {
  absl::Time t = absl::FromUnixSeconds(3600 * 30 + 5);
  EXPECT_EQ(HourIndex(t), 30);
  EXPECT_EQ(HourStart(30), absl::FromUnixSeconds(3600 * 30));
  EXPECT_EQ(DayStart(t), absl::FromUnixSeconds(86400));
  EXPECT_EQ(HourIndex(absl::FromUnixNanos(-1)), -1);
  EXPECT_EQ(DayStart(absl::FromUnixNanos(-1)), absl::FromUnixSeconds(-86400));
}

TEST(CodecTest, VarintAndLpRoundTripAndRejectTruncation) {
  for (uint64_t v : {uint64_t{0}, uint64_t{127}, uint64_t{128},
                     uint64_t{1} << 35, ~uint64_t{0}}) {
    std::string e;
    PutVarint(&e, v);
    std::string_view in = e;
    uint64_t back;
    ASSERT_TRUE(GetVarint(&in, &back));
    EXPECT_EQ(back, v);
    std::string_view cut = std::string_view(e).substr(0, e.size() - 1);
    EXPECT_FALSE(GetVarint(&cut, &back));
  }
  std::string e;
  PutLp(&e, "hello");
  std::string_view in = std::string_view(e).substr(0, 3), out;
  EXPECT_FALSE(GetLp(&in, &out));
}

TEST(CodecTest, HexRoundTripsAndRejectsGarbage) {
  std::string bytes("\x00\x01\xfe\xff", 4), back;
  ASSERT_TRUE(FromHex(ToHex(bytes), &back));
  EXPECT_EQ(back, bytes);
  EXPECT_FALSE(FromHex("abc", &back));
  EXPECT_FALSE(FromHex("zz", &back));
}

}  // namespace
}  // namespace retro::store::codec

#include "cel/value.h"

#include <cmath>
#include <limits>

#include "gtest/gtest.h"

namespace retro::cel {
namespace {

TEST(ValueTest, IsSixteenBytesAndTriviallyCopyable) {
  static_assert(sizeof(Value) == 16);
  static_assert(std::is_trivially_copyable_v<Value>);
}

TEST(ValueTest, NumericEqualityIsHeterogeneous) {
  EXPECT_TRUE(Equal(Value::Int(1), Value::Uint(1)));
  EXPECT_TRUE(Equal(Value::Int(1), Value::Double(1.0)));
  EXPECT_FALSE(Equal(Value::Int(-1), Value::Uint(std::numeric_limits<uint64_t>::max())));
  EXPECT_FALSE(Equal(Value::Double(NAN), Value::Double(NAN)));
  EXPECT_FALSE(Equal(Value::Int(1), Value::String("1")));
}

TEST(ValueTest, OrdersAcrossNumericKindsExactly) {
  // As cel-go: within range the int converts to double, so 2^63-1 rounds to
  // 2^63 and compares equal to it.
  EXPECT_EQ(Compare(Value::Int(std::numeric_limits<int64_t>::max()),
                    Value::Double(9223372036854775808.0)),
            0);
  EXPECT_EQ(Compare(Value::Int(1), Value::Double(1e300)), -1);
  EXPECT_EQ(Compare(Value::Int(-1), Value::Uint(0)), -1);
  EXPECT_EQ(Compare(Value::Uint(3), Value::Double(2.5)), 1);
  EXPECT_EQ(Compare(Value::Int(2), Value::Double(2.5)), -1);
  EXPECT_FALSE(Compare(Value::Int(2), Value::Double(NAN)).has_value());
  EXPECT_FALSE(Compare(Value::Int(2), Value::String("a")).has_value());
}

TEST(ValueTest, MapFindsNumericKeysHeterogeneously) {
  Arena arena;
  Value keys[] = {Value::Int(1), Value::String("a"), Value::Bool(true)};
  Value values[] = {Value::String("one"), Value::Int(2), Value::Int(3)};
  const Value* dup = nullptr;
  const MapData* m = BuildMap(arena, keys, values, 3, &dup);
  ASSERT_NE(m, nullptr);
  ASSERT_NE(m->Find(Value::Uint(1)), nullptr);
  EXPECT_EQ(m->Find(Value::Double(1.0))->string_value(), "one");
  EXPECT_EQ(m->Find(Value::Double(1.5)), nullptr);
  EXPECT_EQ(m->FindString("a")->int_value(), 2);
}

TEST(ValueTest, LargeMapsAreIndexedAndRejectDuplicates) {
  Arena arena;
  std::vector<Value> keys, values;
  for (int i = 0; i < 100; ++i) {
    keys.push_back(Value::Int(i));
    values.push_back(Value::Int(i * 10));
  }
  const MapData* m = BuildMap(arena, keys.data(), values.data(), 100, nullptr);
  ASSERT_NE(m, nullptr);
  EXPECT_NE(m->index, nullptr);
  EXPECT_EQ(m->Find(Value::Uint(42))->int_value(), 420);
  EXPECT_EQ(m->Find(Value::Int(100)), nullptr);
  keys.push_back(Value::Uint(7));
  values.push_back(Value::Int(0));
  const Value* dup = nullptr;
  EXPECT_EQ(BuildMap(arena, keys.data(), values.data(), 101, &dup), nullptr);
  ASSERT_NE(dup, nullptr);
  EXPECT_EQ(dup->DebugString(), "7u");
}

TEST(ValueTest, TimestampsRoundTripThroughAbsl) {
  absl::Time t = absl::FromUnixNanos(-1);  // just before the epoch
  Value v = Value::FromTime(t);
  EXPECT_EQ(v.seconds(), -1);
  EXPECT_EQ(v.nanos(), 999999999u);
  EXPECT_EQ(v.timestamp(), t);
  EXPECT_EQ(v.DebugString(), "timestamp(\"1969-12-31T23:59:59.999999999Z\")");
  EXPECT_EQ(Value::FromDuration(absl::Milliseconds(-1500)).DebugString(),
            "duration(\"-1.5s\")");
}

TEST(ValueTest, ListsAndMapsCompareElementWise) {
  Value a[] = {Value::Int(1), Value::Double(2.0)};
  Value b[] = {Value::Uint(1), Value::Int(2)};
  EXPECT_TRUE(Equal(Value::List(a, 2), Value::List(b, 2)));
  EXPECT_FALSE(Equal(Value::List(a, 2), Value::List(b, 1)));
}

}  // namespace
}  // namespace retro::cel

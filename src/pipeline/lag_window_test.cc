// LagWindow: bins within 25 %, and only the last second counts.
#include "pipeline/lag_window.h"

#include "gtest/gtest.h"

namespace retro::pipeline {
namespace {

constexpr int64_t kMs = 1'000'000;

TEST(LagWindowTest, BinsBoundValuesWithinAQuarter) {
  for (int64_t v :
       {int64_t{0}, int64_t{1}, int64_t{3}, int64_t{4}, int64_t{7},
        int64_t{1000}, int64_t{65'537}, 3 * kMs, int64_t{10'000} * kMs}) {
    int bin = LagWindow::BinOf(v);
    ASSERT_GE(bin, 0);
    ASSERT_LT(bin, LagWindow::kBins);
    int64_t upper = LagWindow::UpperBound(bin);
    EXPECT_GE(upper, v) << v;
    EXPECT_LE(upper, v + v / 4 + 1) << v;
    if (bin > 0) {
      EXPECT_LT(LagWindow::UpperBound(bin - 1), v) << v;
    }
  }
}

TEST(LagWindowTest, P99OfTheLastSecondThenZero) {
  LagWindow window;
  const int64_t t0 = 1000 * LagWindow::kSlotNanos;
  EXPECT_EQ(window.Quantile(0.99, t0), 0);
  LagWindow::Batch batch;
  for (int i = 0; i < 990; ++i) batch.Add(1 * kMs);
  for (int i = 0; i < 10; ++i) batch.Add(80 * kMs);
  window.Add(batch, t0);
  uint64_t count = 0;
  window.Quantile(0.99, t0 + 9 * LagWindow::kSlotNanos, &count);
  EXPECT_EQ(count, 1000u);
  int64_t p50 = window.Quantile(0.5, t0);
  EXPECT_GE(p50, 1 * kMs);
  EXPECT_LE(p50, 1 * kMs * 5 / 4);
  int64_t p99 = window.Quantile(0.99, t0 + 5 * LagWindow::kSlotNanos);
  EXPECT_GE(p99, 80 * kMs);
  EXPECT_LE(p99, 100 * kMs);
  // A second later the slot has left the window.
  EXPECT_EQ(
      window.Quantile(0.99, t0 + LagWindow::kSlots * LagWindow::kSlotNanos), 0);
  window.Quantile(0.99, t0 + LagWindow::kSlots * LagWindow::kSlotNanos, &count);
  EXPECT_EQ(count, 0u);
  // A slot reused by a later epoch starts empty.
  LagWindow::Batch small;
  small.Add(2 * kMs);
  const int64_t t1 = t0 + LagWindow::kSlots * LagWindow::kSlotNanos;
  window.Add(small, t1);
  int64_t only = window.Quantile(0.99, t1);
  EXPECT_GE(only, 2 * kMs);
  EXPECT_LE(only, 2 * kMs * 5 / 4);
}

}  // namespace
}  // namespace retro::pipeline

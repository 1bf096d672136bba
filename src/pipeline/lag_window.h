// LagWindow: percentiles of live lag over about the last second, for the
// adaptive run throttle (LiveProcessor::RecentLagNanos). A ring of ten
// 100 ms slots, each a histogram with four bins per power of two (a value
// is reported as its bin's upper bound: within 25 %). Writers merge one
// batch's histogram at a time, so the hot path takes the lock once per
// batch, not once per event.
//
// Thread-safety: Add and Quantile may be called from any thread.
#ifndef RETRO_PIPELINE_LAG_WINDOW_H_
#define RETRO_PIPELINE_LAG_WINDOW_H_

#include <array>
#include <cstdint>
#include <mutex>

namespace retro::pipeline {

class LagWindow {
 public:
  static constexpr int kBins = 256;
  static constexpr int kSlots = 10;
  static constexpr int64_t kSlotNanos = 100'000'000;

  // One batch's lags, collected without locking.
  struct Batch {
    std::array<uint32_t, kBins> bins{};
    uint64_t count = 0;
    void Add(int64_t nanos) {
      ++bins[BinOf(nanos)];
      ++count;
    }
    void Clear() {
      if (count == 0) return;
      bins.fill(0);
      count = 0;
    }
  };

  static int BinOf(int64_t nanos);
  // The largest value of `bin`.
  static int64_t UpperBound(int bin);

  // Merges `batch` into the slot of `now_nanos` (a steady clock).
  void Add(const Batch& batch, int64_t now_nanos);
  // The q-quantile (0..1] of the values added in the last kSlots slots up
  // to `now_nanos`; 0 when there were none. With `count`, also how many
  // values that was.
  int64_t Quantile(double q, int64_t now_nanos,
                   uint64_t* count = nullptr) const;

 private:
  struct Slot {
    int64_t epoch = -1;  // now_nanos / kSlotNanos of its values
    uint64_t count = 0;
    std::array<uint64_t, kBins> bins{};
  };
  mutable std::mutex mu_;
  std::array<Slot, kSlots> slots_;
};

}  // namespace retro::pipeline

#endif  // RETRO_PIPELINE_LAG_WINDOW_H_

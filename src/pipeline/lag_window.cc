#include "pipeline/lag_window.h"

#include <algorithm>
#include <bit>

namespace retro::pipeline {
namespace {

// Lags are clamped here (about 13 days) so bin bounds never overflow.
constexpr int64_t kMaxNanos = int64_t{1} << 50;

}  // namespace

int LagWindow::BinOf(int64_t nanos) {
  if (nanos < 4) return nanos <= 0 ? 0 : static_cast<int>(nanos);
  uint64_t n = static_cast<uint64_t>(std::min(nanos, kMaxNanos));
  int msb = std::bit_width(n) - 1;  // >= 2
  return msb * 4 + static_cast<int>((n >> (msb - 2)) & 3);
}

int64_t LagWindow::UpperBound(int bin) {
  if (bin < 4) return bin;  // one value each
  if (bin < 8) return 3;    // unused
  int msb = bin / 4;
  int64_t mantissa = 4 + bin % 4;
  return ((mantissa + 1) << (msb - 2)) - 1;
}

void LagWindow::Add(const Batch& batch, int64_t now_nanos) {
  if (batch.count == 0) return;
  const int64_t epoch = now_nanos / kSlotNanos;
  std::lock_guard<std::mutex> lock(mu_);
  Slot& slot = slots_[static_cast<size_t>(epoch % kSlots)];
  if (slot.epoch != epoch) {
    slot.epoch = epoch;
    slot.count = 0;
    slot.bins.fill(0);
  }
  for (int b = 0; b < kBins; ++b) slot.bins[b] += batch.bins[b];
  slot.count += batch.count;
}

int64_t LagWindow::Quantile(double q, int64_t now_nanos,
                            uint64_t* count) const {
  const int64_t epoch = now_nanos / kSlotNanos;
  std::array<uint64_t, kBins> bins{};
  uint64_t total = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const Slot& slot : slots_) {
      if (slot.count == 0 || slot.epoch > epoch ||
          slot.epoch <= epoch - kSlots) {
        continue;
      }
      for (int b = 0; b < kBins; ++b) bins[b] += slot.bins[b];
      total += slot.count;
    }
  }
  if (count != nullptr) *count = total;
  if (total == 0) return 0;
  uint64_t rank = static_cast<uint64_t>(q * static_cast<double>(total));
  if (rank >= total) rank = total - 1;
  uint64_t seen = 0;
  for (int b = 0; b < kBins; ++b) {
    seen += bins[b];
    if (seen > rank) return UpperBound(b);
  }
  return UpperBound(kBins - 1);
}

}  // namespace retro::pipeline

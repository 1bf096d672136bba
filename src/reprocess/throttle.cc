#include "reprocess/throttle.h"

#include <algorithm>
#include <chrono>

namespace retro::reprocess {
namespace {

int64_t NowNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

constexpr double kMinAdaptiveRate = 100;

}  // namespace

TokenBucket::TokenBucket(double rate) : rate_(rate), last_nanos_(NowNanos()) {}

bool TokenBucket::Acquire(uint64_t n) {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    if (cancelled_) return false;
    if (rate_ <= 0) return true;
    int64_t now = NowNanos();
    // A burst of at most a tenth of a second.
    tokens_ = std::min(tokens_ + (now - last_nanos_) * 1e-9 * rate_,
                       std::max(rate_ * 0.1, 1.0));
    last_nanos_ = now;
    if (tokens_ >= 0) {
      tokens_ -= static_cast<double>(n);
      return true;
    }
    double wait_s = std::min(-tokens_ / rate_, 0.2);  // re-check rate changes
    cv_.wait_for(
        lock, std::chrono::nanoseconds(static_cast<int64_t>(wait_s * 1e9) + 1));
  }
}

void TokenBucket::SetRate(double rate) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (rate > 0 && rate_ > 0) {
      tokens_ = std::max(tokens_, -rate * 0.1);  // forgive old debt
    } else {
      tokens_ = 0;
    }
    last_nanos_ = NowNanos();
    rate_ = rate;
  }
  cv_.notify_all();
}

double TokenBucket::rate() const {
  std::lock_guard<std::mutex> lock(mu_);
  return rate_;
}

uint64_t TokenBucket::SuggestedBatch() const {
  std::lock_guard<std::mutex> lock(mu_);
  if (rate_ <= 0) return 0;
  return std::max<uint64_t>(1, static_cast<uint64_t>(rate_ / 20));
}

void TokenBucket::Cancel() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    cancelled_ = true;
  }
  cv_.notify_all();
}

void TokenBucket::Reset() {
  std::lock_guard<std::mutex> lock(mu_);
  cancelled_ = false;
}

double AimdStep(double current, double max_rate, const AimdInput& in,
                absl::Duration lag_target) {
  bool congested = in.lag_nanos > absl::ToInt64Nanoseconds(lag_target) ||
                   in.queue_depth * 4 > in.queue_capacity || in.appends_slow;
  if (congested) {
    double base = current > 0 ? current : std::max(in.observed_rate, 1000.0);
    double next = std::max(base * 0.5, kMinAdaptiveRate);
    return max_rate > 0 ? std::min(next, max_rate) : next;
  }
  if (in.hold) return current;
  if (current <= 0) return max_rate;  // already at full speed
  double next = current + std::max(1000.0, current * 0.1);
  if (max_rate > 0 && next >= max_rate) return max_rate;
  // Unlimited ceiling: once the rate is well above what the run achieves,
  // the bucket no longer limits anything.
  if (max_rate <= 0 && in.observed_rate > 0 && next > 2 * in.observed_rate) {
    return 0;
  }
  return next;
}

}  // namespace retro::reprocess

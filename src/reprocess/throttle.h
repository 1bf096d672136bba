// Throttle: the token bucket a run's workers share (events/s), and the
// adaptive controller that moves its rate with live processing's health
// (AIMD: halve while live lags, its queue fills or ingest's appends slow
// down, add back when it is fine).
//
// Thread-safety: all methods may be called from any thread.
#ifndef RETRO_REPROCESS_THROTTLE_H_
#define RETRO_REPROCESS_THROTTLE_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>

#include "absl/time/time.h"

namespace retro::reprocess {

class TokenBucket {
 public:
  // rate 0 = unlimited.
  explicit TokenBucket(double rate = 0);

  // Takes `n` tokens, waiting until the bucket allows them (it may go into
  // debt by one request, so a batch larger than a second's worth still
  // passes, later). Returns false when woken by Cancel().
  bool Acquire(uint64_t n);
  // Takes effect for waiters at once.
  void SetRate(double rate);
  double rate() const;
  // The largest request that keeps waits around 50 ms (0 = any size).
  uint64_t SuggestedBatch() const;
  // Wakes and fails every Acquire until Reset.
  void Cancel();
  void Reset();

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  double rate_;
  double tokens_ = 0;  // may be negative (debt)
  int64_t last_nanos_;
  bool cancelled_ = false;
};

struct AimdInput {
  int64_t lag_nanos = 0;   // live p99 lag over the last second
  size_t queue_depth = 0;  // live queue
  size_t queue_capacity = 1;
  double observed_rate = 0;  // what the run actually did (events/s)
  // Live ingest's appends are slower than the run's limit for them: halve.
  bool appends_slow = false;
  // They were at the last look (a second ago at most): no increase.
  bool hold = false;
};

// One step of the adaptive throttle, run every ~100 ms. `current` 0 means
// unlimited; `max_rate` 0 means no ceiling. Returns the new rate.
double AimdStep(double current, double max_rate, const AimdInput& in,
                absl::Duration lag_target);

}  // namespace retro::reprocess

#endif  // RETRO_REPROCESS_THROTTLE_H_

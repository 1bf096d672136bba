// Metrics of the server and its pipeline, in one prometheus-cpp registry
// (served as Prometheus text by the API), plus LagRecorder: exact-enough
// percentiles of live lag for `retro bench`.
//
// Thread-safety: all members may be used from any thread.
#ifndef RETRO_PIPELINE_METRICS_H_
#define RETRO_PIPELINE_METRICS_H_

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"

namespace retro::pipeline {

// Live lag (acknowledged -> record visible) in 50 µs buckets up to 10 s.
class LagRecorder {
 public:
  LagRecorder();
  void Add(int64_t nanos, uint64_t count = 1);
  // The q-quantile (0..1) in seconds; 0 when empty.
  double Quantile(double q) const;
  uint64_t count() const;
  void Reset();

 private:
  static constexpr int64_t kBucketNanos = 50'000;
  static constexpr size_t kBuckets = 200'000;
  mutable std::mutex mu_;
  std::vector<uint64_t> buckets_;
  uint64_t total_ = 0;
};

struct Metrics {
  Metrics();
  // Reason: "invalid", "conflict", "too_large", "backpressure", ...
  void Reject(const std::string& reason, double n = 1);
  void Outcome(const std::string& policy, const std::string& outcome, double n);
  // `count` events with the same live lag: `lag` and `live_lag`.
  void ObserveLag(int64_t nanos, uint64_t count);

  std::shared_ptr<prometheus::Registry> registry;
  prometheus::Counter* events_accepted;
  prometheus::Counter* events_duplicate;
  prometheus::Counter* ingest_bytes;
  prometheus::Counter* ingest_requests;
  prometheus::Family<prometheus::Counter>* rejects;
  prometheus::Family<prometheus::Counter>* outcomes;
  prometheus::Histogram* live_lag;
  prometheus::Gauge* queue_depth;
  prometheus::Gauge* live_cursor_lag;  // events acknowledged, not processed
  prometheus::Family<prometheus::Counter>* http_requests;
  LagRecorder lag;

 private:
  std::vector<double> lag_bounds_;  // live_lag's bucket boundaries
};

}  // namespace retro::pipeline

#endif  // RETRO_PIPELINE_METRICS_H_

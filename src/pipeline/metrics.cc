#include "pipeline/metrics.h"

#include <algorithm>

namespace retro::pipeline {

LagRecorder::LagRecorder() : buckets_(kBuckets, 0) {}

void LagRecorder::Add(int64_t nanos, uint64_t count) {
  size_t b = nanos <= 0 ? 0 : static_cast<size_t>(nanos / kBucketNanos);
  b = std::min(b, kBuckets - 1);
  std::lock_guard<std::mutex> lock(mu_);
  buckets_[b] += count;
  total_ += count;
}

double LagRecorder::Quantile(double q) const {
  std::lock_guard<std::mutex> lock(mu_);
  if (total_ == 0) return 0;
  uint64_t rank = static_cast<uint64_t>(q * static_cast<double>(total_));
  if (rank >= total_) rank = total_ - 1;
  uint64_t seen = 0;
  for (size_t b = 0; b < kBuckets; ++b) {
    seen += buckets_[b];
    if (seen > rank) return static_cast<double>((b + 1) * kBucketNanos) / 1e9;
  }
  return static_cast<double>(kBuckets * kBucketNanos) / 1e9;
}

uint64_t LagRecorder::count() const {
  std::lock_guard<std::mutex> lock(mu_);
  return total_;
}

void LagRecorder::Reset() {
  std::lock_guard<std::mutex> lock(mu_);
  std::fill(buckets_.begin(), buckets_.end(), 0);
  total_ = 0;
}

Metrics::Metrics()
    : registry(std::make_shared<prometheus::Registry>()),
      lag_bounds_{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                  0.25,  0.5,    1,     2.5,  5,     10} {
  using prometheus::BuildCounter;
  using prometheus::BuildGauge;
  using prometheus::BuildHistogram;
  auto& events = BuildCounter()
                     .Name("retro_ingest_events_total")
                     .Help("Events received by ingest, by result")
                     .Register(*registry);
  events_accepted = &events.Add({{"result", "accepted"}});
  events_duplicate = &events.Add({{"result", "duplicate"}});
  ingest_bytes = &BuildCounter()
                      .Name("retro_ingest_bytes_total")
                      .Help("Bytes of event payloads received by ingest")
                      .Register(*registry)
                      .Add({});
  ingest_requests = &BuildCounter()
                         .Name("retro_ingest_requests_total")
                         .Help("Ingest requests answered")
                         .Register(*registry)
                         .Add({});
  rejects = &BuildCounter()
                 .Name("retro_ingest_rejected_total")
                 .Help("Events or requests rejected by ingest, by reason")
                 .Register(*registry);
  outcomes = &BuildCounter()
                  .Name("retro_live_outcomes_total")
                  .Help("Live evaluation outcomes, by policy and outcome")
                  .Register(*registry);
  live_lag = &BuildHistogram()
                  .Name("retro_live_lag_seconds")
                  .Help("Acknowledged -> record visible, seconds")
                  .Register(*registry)
                  .Add({}, lag_bounds_);
  queue_depth = &BuildGauge()
                     .Name("retro_live_queue_depth")
                     .Help("Events waiting for live evaluation")
                     .Register(*registry)
                     .Add({});
  live_cursor_lag = &BuildGauge()
                         .Name("retro_live_recovery_pending")
                         .Help("Events still to re-evaluate after a restart")
                         .Register(*registry)
                         .Add({});
  http_requests = &BuildCounter()
                       .Name("retro_http_requests_total")
                       .Help("HTTP requests, by method and status")
                       .Register(*registry);
}

void Metrics::Reject(const std::string& reason, double n) {
  rejects->Add({{"reason", reason}}).Increment(n);
}

void Metrics::Outcome(const std::string& policy, const std::string& outcome,
                      double n) {
  outcomes->Add({{"policy", policy}, {"outcome", outcome}}).Increment(n);
}

void Metrics::ObserveLag(int64_t nanos, uint64_t count) {
  if (count == 0) return;
  lag.Add(nanos, count);
  const double seconds = static_cast<double>(nanos) / 1e9;
  if (count == 1) {
    live_lag->Observe(seconds);
    return;
  }
  // Histogram buckets are "le": the first boundary >= the value, else +Inf.
  std::vector<double> increments(lag_bounds_.size() + 1, 0);
  size_t b = static_cast<size_t>(
      std::lower_bound(lag_bounds_.begin(), lag_bounds_.end(), seconds) -
      lag_bounds_.begin());
  increments[b] = static_cast<double>(count);
  live_lag->ObserveMultiple(increments, seconds * static_cast<double>(count));
}

}  // namespace retro::pipeline

// A generator of Kubernetes audit events (audit.k8s.io/v1) of the shapes of
// shared/fixtures/events/audit.jsonl: deployments, pods, secrets and other
// resources; every verb; human and `system:` users (service accounts too);
// `scale`/`status` subresources on workloads and `exec`/`log` on pods; mostly
// 2xx responses with some 403, 404, 409 and 422. One compact JSON object per
// event, about 900 bytes, as the API server writes them.
//
// Deterministic: the same seed gives the same events, byte for byte, on every
// platform (its own PRNG, no <random> distributions, no clock).
//
// Not thread-safe: one generator per thread.
#ifndef RETRO_BENCH_AUDIT_EVENT_GEN_H_
#define RETRO_BENCH_AUDIT_EVENT_GEN_H_

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

namespace retro::bench {

class AuditEventGenerator {
 public:
  explicit AuditEventGenerator(uint64_t seed = 1);

  // Appends the next event (no newline) to `out`.
  void Next(std::string* out);

 private:
  uint64_t Random();                            // SplitMix64
  uint64_t Below(uint64_t n);                   // uniform in [0, n)
  bool Chance(int percent);                     // true `percent`% of the time
  void AppendUuid(std::string* out);
  void AppendTime(int64_t micros, std::string* out);

  uint64_t state_;
  int64_t clock_micros_;  // requestReceivedTimestamp of the last event
};

// Writes `n` events, one a line, to `out`. False on a write error.
bool WriteAuditEvents(int64_t n, uint64_t seed, FILE* out);

}  // namespace retro::bench

#endif  // RETRO_BENCH_AUDIT_EVENT_GEN_H_

// The runs' and insights' metrics, computed when /metrics is scraped (the
// run manager is the source of truth; nothing is counted twice):
//   retro_runs{state}                           runs in each state
//   retro_run_progress_ratio{run,policy,state}  open runs: scanned / total
//   retro_run_rate_events_per_second{run,policy} open runs: recent rate
//   retro_insights{kind,severity}               current insights
//
// Thread-safety: Update may be called from any thread.
#ifndef RETRO_API_RUN_METRICS_H_
#define RETRO_API_RUN_METRICS_H_

#include <map>
#include <mutex>
#include <string>

#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/registry.h"
#include "reprocess/run_manager.h"

namespace retro::api {

class RunMetrics {
 public:
  explicit RunMetrics(prometheus::Registry& registry);
  void Update(reprocess::RunManager& runs);

 private:
  std::mutex mu_;
  prometheus::Family<prometheus::Gauge>& runs_;
  prometheus::Family<prometheus::Gauge>& progress_;
  prometheus::Family<prometheus::Gauge>& rate_;
  prometheus::Family<prometheus::Gauge>& insights_;
  // The labelled gauges of the last update, so vanished ones are removed.
  std::map<std::string, prometheus::Gauge*> open_progress_, open_rate_,
      insight_gauges_;
};

}  // namespace retro::api

#endif  // RETRO_API_RUN_METRICS_H_

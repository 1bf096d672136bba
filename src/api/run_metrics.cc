#include "api/run_metrics.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace retro::api {
namespace {

using Gauges = std::map<std::string, prometheus::Gauge*>;

// Sets the gauges named in `now` and removes those of `*last` it lacks.
void Replace(prometheus::Family<prometheus::Gauge>& family,
             std::map<std::string, std::pair<prometheus::Labels, double>> now,
             Gauges* last) {
  Gauges next;
  for (auto& [key, lv] : now) {
    prometheus::Gauge* g;
    auto it = last->find(key);
    if (it != last->end()) {
      g = it->second;
      last->erase(it);
    } else {
      g = &family.Add(lv.first);
    }
    g->Set(lv.second);
    next.emplace(key, g);
  }
  for (auto& [key, g] : *last) family.Remove(g);
  *last = std::move(next);
}

}  // namespace

RunMetrics::RunMetrics(prometheus::Registry& registry)
    : runs_(prometheus::BuildGauge()
                .Name("retro_runs")
                .Help("Re-processing runs by state")
                .Register(registry)),
      progress_(prometheus::BuildGauge()
                    .Name("retro_run_progress_ratio")
                    .Help("Open runs: events scanned / events in range (0..1)")
                    .Register(registry)),
      rate_(prometheus::BuildGauge()
                .Name("retro_run_rate_events_per_second")
                .Help("Open runs: events per second over the last seconds")
                .Register(registry)),
      insights_(prometheus::BuildGauge()
                    .Name("retro_insights")
                    .Help("Current insights (GET /v1/insights) by kind and "
                          "severity")
                    .Register(registry)) {}

void RunMetrics::Update(reprocess::RunManager& runs) {
  reprocess::RunManager::Stats stats = runs.GetStats();
  std::vector<reprocess::Insight> insights = runs.Insights();
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [state, n] : stats.by_state) {
    runs_.Add({{"state", state}}).Set(static_cast<double>(n));
  }
  std::map<std::string, std::pair<prometheus::Labels, double>> progress, rate;
  for (const reprocess::RunManager::OpenRun& r : stats.open) {
    // The state is a label of progress: a key per (run, state).
    progress[absl::StrCat(r.id, "\x1f", r.state)] = {
        {{"run", r.id}, {"policy", r.policies}, {"state", r.state}},
        r.progress};
    rate[r.id] = {{{"run", r.id}, {"policy", r.policies}}, r.rate};
  }
  Replace(progress_, std::move(progress), &open_progress_);
  Replace(rate_, std::move(rate), &open_rate_);
  std::map<std::string, std::pair<prometheus::Labels, double>> by_kind;
  for (const reprocess::Insight& i : insights) {
    auto& [labels, n] = by_kind[absl::StrCat(i.kind, "\x1f", i.severity)];
    labels = {{"kind", i.kind}, {"severity", i.severity}};
    n += 1;
  }
  Replace(insights_, std::move(by_kind), &insight_gauges_);
}

}  // namespace retro::api

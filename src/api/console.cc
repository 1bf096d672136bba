// The web console at / (static assets built into the binary, see
// console/embed.cmake), and the two small routes it needs beside the /v1
// API: GET /v1/whoami (the token's name and role, so the console offers only
// what the role may do) and GET /v1/stats (ingest rate and live lag over the
// last hour, sampled every 10 s).
#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "api/console/assets.h"
#include "api/http_util.h"
#include "api/server.h"
#include "base/strings.h"
#include "httplib.h"

namespace retro::api {
namespace {

// Only the console's own files may run or style the page; it talks only to
// this origin. No inline script or style anywhere in the assets.
constexpr char kContentSecurityPolicy[] =
    "default-src 'none'; script-src 'self'; style-src 'self'; "
    "img-src 'self' data:; connect-src 'self'; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'";

const console::Asset* FindAsset(std::string_view path) {
  for (size_t i = 0; i < console::kConsoleAssetCount; ++i) {
    if (path == console::kConsoleAssets[i].path) {
      return &console::kConsoleAssets[i];
    }
  }
  return nullptr;
}

// Every asset is revalidated (no-cache) against its strong ETag: a reload
// after an upgrade never mixes old and new modules, and an unchanged file
// costs a 304 only.
void SendAsset(const console::Asset& a, const httplib::Request& req,
               httplib::Response& res) {
  res.set_header("ETag", a.etag);
  res.set_header("Cache-Control", "no-cache");
  res.set_header("Content-Security-Policy", kContentSecurityPolicy);
  res.set_header("X-Content-Type-Options", "nosniff");
  res.set_header("Referrer-Policy", "no-referrer");
  if (req.get_header_value("If-None-Match") == a.etag) {
    res.status = 304;
    return;
  }
  res.status = 200;
  res.set_content(a.data, a.size, a.content_type);
}

// A ring buffer of one hour of 10-second samples of the ingest counter and
// live lag, filled by its own thread. Thread-safe.
class StatsSampler {
 public:
  static constexpr int kIntervalSeconds = 10;
  static constexpr size_t kCapacity = 3600 / kIntervalSeconds;

  struct Sample {
    absl::Time time;
    double accepted = 0;  // events accepted since start (a counter)
    double lag_p99 = 0;   // seconds, acknowledged -> visible
    double queue_depth = 0;
    double cursor_lag = 0;  // events acknowledged, not yet processed
  };

  StatsSampler(pipeline::LiveProcessor* live, pipeline::Metrics* metrics)
      : live_(live), metrics_(metrics) {
    Add(Take());
    thread_ = std::thread([this] { Loop(); });
  }
  ~StatsSampler() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }

  // The stored samples, oldest first, plus one taken now.
  std::vector<Sample> Snapshot() {
    Sample now = Take();
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<Sample> out(samples_.begin(), samples_.end());
    out.push_back(now);
    return out;
  }

 private:
  Sample Take() const {
    Sample s;
    s.time = absl::Now();
    s.accepted = metrics_->events_accepted->Value();
    s.lag_p99 = static_cast<double>(live_->RecentLagNanos()) / 1e9;
    s.queue_depth = static_cast<double>(live_->depth());
    s.cursor_lag = metrics_->live_cursor_lag->Value();
    return s;
  }
  void Add(Sample s) {
    std::lock_guard<std::mutex> lock(mu_);
    if (samples_.size() == kCapacity) samples_.pop_front();
    samples_.push_back(s);
  }
  void Loop() {
    std::unique_lock<std::mutex> lock(mu_);
    while (!cv_.wait_for(lock, std::chrono::seconds(kIntervalSeconds),
                         [this] { return stopping_; })) {
      lock.unlock();
      Add(Take());
      lock.lock();
    }
  }

  pipeline::LiveProcessor* live_;
  pipeline::Metrics* metrics_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Sample> samples_;
  bool stopping_ = false;
  std::thread thread_;
};

std::string StatsJson(const std::vector<StatsSampler::Sample>& samples) {
  std::string body =
      absl::StrCat("{\"interval_seconds\":", StatsSampler::kIntervalSeconds,
                   ",\"samples\":[");
  for (size_t i = 0; i < samples.size(); ++i) {
    const StatsSampler::Sample& s = samples[i];
    // The rate over the interval that ends at this sample.
    double rate = 0;
    if (i > 0) {
      double dt = absl::ToDoubleSeconds(s.time - samples[i - 1].time);
      if (dt > 0) rate = (s.accepted - samples[i - 1].accepted) / dt;
    }
    if (i > 0) body.push_back(',');
    body.append("{\"time\":");
    AppendTime(s.time, &body);
    absl::StrAppend(
        &body, absl::StrFormat(",\"accepted\":%.0f,\"ingest_rate\":%.3f,"
                               "\"lag_p99_seconds\":%.6f,\"queue_depth\":%.0f,"
                               "\"cursor_lag\":%.0f}",
                               s.accepted, rate, s.lag_p99, s.queue_depth,
                               s.cursor_lag));
  }
  body.append("]}");
  return body;
}

}  // namespace

void Server::AddConsoleRoutes() {
  Route(
      "GET", "/", Role::kViewer, Access::kPublic, "console",
      [](const Call& c) { SendAsset(*FindAsset("index.html"), c.req, c.res); });
  Route("GET", "/console/(.+)", Role::kViewer, Access::kPublic, "console",
        [](const Call& c) {
          const console::Asset* a = FindAsset(c.req.matches[1].str());
          if (a == nullptr) {
            return SendError(
                c.res, 404,
                absl::StrCat("no console file '", c.req.matches[1].str(),
                             "'; the console starts at /"));
          }
          SendAsset(*a, c.req, c.res);
        });

  Route("GET", "/v1/whoami", Role::kViewer, Access::kRead, "whoami",
        [](const Call& c) {
          std::string body = "{\"name\":";
          AppendString(c.principal->name, &body);
          body.append(",\"role\":");
          AppendString(RoleName(c.principal->role), &body);
          body.push_back('}');
          SendJson(c.res, 200, std::move(body));
        });

  // The sampler lives as long as the route's handler, i.e. as long as the
  // HTTP server (http_), which is destroyed before live_ and metrics_.
  auto sampler = std::make_shared<StatsSampler>(live_.get(), &metrics_);
  Route("GET", "/v1/stats", Role::kViewer, Access::kRead, "stats",
        [sampler](const Call& c) {
          SendJson(c.res, 200, StatsJson(sampler->Snapshot()));
        });
}

}  // namespace retro::api

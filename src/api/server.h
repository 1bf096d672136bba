// Server: `retro serve` — one data directory's store, the live pipeline and
// the HTTP API (routes under /v1, /metrics, /healthz, /readyz).
//
//   auto server = Server::Open(options);      // opens the store, tokens
//   (*server)->Bind();                         // the port is known now
//   (*server)->Run();                          // blocks until Stop()
//
// Thread-safety: Stop() may be called from any thread (e.g. a signal
// watcher); everything else from the owning thread.
#ifndef RETRO_API_SERVER_H_
#define RETRO_API_SERVER_H_

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "api/auth.h"
#include "pipeline/catalog.h"
#include "pipeline/ingestor.h"
#include "pipeline/live_processor.h"
#include "pipeline/metrics.h"
#include "reprocess/run_manager.h"
#include "store/store.h"

namespace httplib {
class Server;
struct Request;
struct Response;
}  // namespace httplib

namespace retro::api {

class RunMetrics;  // run_metrics.h

struct ServerOptions {
  std::string data_dir = "./retro-data";
  std::string listen = "127.0.0.1:8080";  // host:port; port 0 = any free
  std::string config_file;                // optional YAML (auth.h)
  size_t max_body_bytes = size_t{64} << 20;
  int http_threads = 8;
  pipeline::LiveOptions live;
  pipeline::IngestOptions ingest;
  reprocess::RunManagerOptions runs;
  // Upkeep: retention of raw events by whole days and folding of promoted
  // runs past the rollback horizon, at start and then at this interval.
  absl::Duration upkeep_interval = absl::Hours(1);
};

class Server {
 public:
  static absl::StatusOr<std::unique_ptr<Server>> Open(ServerOptions options);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds the listening socket; returns the port.
  [[nodiscard]] absl::StatusOr<int> Bind();
  // Serves until Stop(). REQUIRES: Bind() succeeded.
  void Run();
  void Stop();

  std::string url() const;
  const std::string& admin_token_path() const { return admin_token_path_; }
  pipeline::LiveProcessor& live() { return *live_; }
  reprocess::RunManager& runs() { return *runs_; }
  pipeline::Metrics& metrics() { return metrics_; }
  const ServerOptions& options() const { return options_; }

 private:
  enum class Access { kPublic, kRead, kMutate };
  struct Call {
    const Principal* principal;
    const httplib::Request& req;
    httplib::Response& res;
  };
  using Handler = std::function<void(const Call&)>;

  explicit Server(ServerOptions options);
  [[nodiscard]] absl::Status Init();
  void Route(const char* method, const char* pattern, Role role, Access access,
             std::string action, Handler handler);
  void Audit(const Call& call, std::string action, std::string target,
             std::string outcome, std::string details = "");

  void AddEventRoutes();    // routes_events.cc
  void AddPolicyRoutes();   // routes_policies.cc
  void AddSourceRoutes();   // routes_policies.cc
  void AddReadRoutes();     // routes_read.cc (records, audit, health)
  void AddRunRoutes();      // routes_runs.cc (runs, insights)
  void AddConsoleRoutes();  // console.cc (the web console at /)
  void Upkeep();            // one pass of retention + record maintenance

  ServerOptions options_;
  std::string host_;
  int port_ = 0;
  std::string admin_token_path_;
  TokenStore tokens_;
  pipeline::Metrics metrics_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<pipeline::Catalog> catalog_;
  pipeline::HandoffRegistry handoffs_;
  std::unique_ptr<pipeline::LiveProcessor> live_;
  std::unique_ptr<reprocess::RunManager> runs_;
  std::unique_ptr<RunMetrics> run_metrics_;
  std::unique_ptr<pipeline::Ingestor> ingestor_;
  std::unique_ptr<httplib::Server> http_;
  std::thread upkeep_;
  std::mutex upkeep_mu_;
  std::condition_variable upkeep_cv_;
  bool stopping_ = false;
};

}  // namespace retro::api

#endif  // RETRO_API_SERVER_H_

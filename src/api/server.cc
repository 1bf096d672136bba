#include "api/server.h"

#include <filesystem>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "api/http_util.h"
#include "api/run_metrics.h"
#include "base/log.h"
#include "base/process.h"
#include "base/strings.h"
#include "httplib.h"
#include "prometheus/text_serializer.h"

namespace retro::api {

Server::Server(ServerOptions options) : options_(std::move(options)) {}

Server::~Server() {
  Stop();
  {
    std::lock_guard<std::mutex> lock(upkeep_mu_);
    stopping_ = true;
  }
  upkeep_cv_.notify_all();
  if (upkeep_.joinable()) upkeep_.join();
  if (runs_) runs_->Stop();
  if (live_) live_->Stop();
}

absl::StatusOr<std::unique_ptr<Server>> Server::Open(ServerOptions options) {
  std::unique_ptr<Server> server(new Server(std::move(options)));
  absl::Status st = server->Init();
  if (!st.ok()) return st;
  return server;
}

absl::Status Server::Init() {
  // Request bodies are ~1 MB strings grown chunk by chunk.
  base::KeepLargeBuffersInHeap();
  if (!options_.config_file.empty()) {
    ServerConfig config;
    absl::Status st = LoadServerConfig(options_.config_file, &config);
    if (!st.ok()) return st;
    if (!config.listen.empty()) options_.listen = config.listen;
    if (!config.data.empty()) options_.data_dir = config.data;
    if (config.max_body_bytes) options_.max_body_bytes = config.max_body_bytes;
    if (config.workers) options_.live.workers = config.workers;
    if (config.queue_capacity)
      options_.live.queue_capacity = config.queue_capacity;
    tokens_ = std::move(config.tokens);
  }
  size_t colon = options_.listen.rfind(':');
  uint32_t port = 0;
  if (colon == std::string::npos ||
      !absl::SimpleAtoi(options_.listen.substr(colon + 1), &port) ||
      port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("--listen '", options_.listen,
                     "' must be HOST:PORT, e.g. 127.0.0.1:8080"));
  }
  host_ = options_.listen.substr(0, colon);
  if (host_.empty()) host_ = "0.0.0.0";
  port_ = static_cast<int>(port);

  std::error_code ec;
  std::filesystem::create_directories(options_.data_dir, ec);
  if (ec) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot create data directory ", options_.data_dir, ": ",
                     ec.message()));
  }
  store::StoreOptions so;
  so.path = absl::StrCat(options_.data_dir, "/store");
  auto store = store::OpenStore(so);
  if (!store.ok()) return store.status();
  store_ = std::move(*store);
  auto token_path = tokens_.EnsureAdminToken(options_.data_dir);
  if (!token_path.ok()) return token_path.status();
  admin_token_path_ = *token_path;

  catalog_ = std::make_unique<pipeline::Catalog>(store_.get());
  absl::Status st = catalog_->Reload();
  if (!st.ok()) return st;
  live_ = std::make_unique<pipeline::LiveProcessor>(
      store_.get(), catalog_.get(), &metrics_, options_.live, &handoffs_);
  // The adaptive throttle reads the live queue against its real capacity.
  reprocess::RunManagerOptions run_options = options_.runs;
  run_options.live_queue_capacity = options_.live.queue_capacity;
  runs_ = std::make_unique<reprocess::RunManager>(
      reprocess::RunManager::Deps{store_.get(), catalog_.get(), live_.get(),
                                  &handoffs_, &metrics_},
      run_options);
  run_metrics_ = std::make_unique<RunMetrics>(*metrics_.registry);
  ingestor_ = std::make_unique<pipeline::Ingestor>(
      store_.get(), catalog_.get(), live_.get(), &metrics_, options_.ingest);

  http_ = std::make_unique<httplib::Server>();
  int threads = options_.http_threads;
  http_->new_task_queue = [threads] {
    return new httplib::ThreadPool(threads);
  };
  http_->set_payload_max_length(options_.max_body_bytes);
  http_->set_keep_alive_max_count(100000);
  http_->set_read_timeout(30, 0);
  // Answers go out at once: with Nagle's algorithm a response written in
  // two parts waits for the client's delayed ACK (40 ms on Linux).
  http_->set_tcp_nodelay(true);
  size_t max_body = options_.max_body_bytes;
  http_->set_error_handler(httplib::Server::HandlerWithResponse(
      [max_body](const httplib::Request& req, httplib::Response& res) {
        if (!res.body.empty())
          return httplib::Server::HandlerResponse::Unhandled;
        if (res.status == 413 && req.get_header_value("Content-Type") ==
                                     "application/x-www-form-urlencoded") {
          // cpp-httplib caps form-encoded bodies at 8 KiB before any handler.
          SendError(
              res, 413,
              "form-encoded bodies are limited to 8 KiB: send events with "
              "Content-Type application/x-ndjson or application/json");
        } else if (res.status == 413) {
          SendError(
              res, 413,
              absl::StrCat("the request body is larger than the limit of ",
                           max_body, " bytes; split it into smaller batches"),
              absl::StrCat("{\"max_body_bytes\":", max_body, "}"));
        } else if (res.status == 404) {
          SendError(res, 404, "no such route (see /v1/...)");
        } else if (res.status == 400) {
          SendError(res, 400,
                    "the request could not be read as HTTP/1.1 (check the "
                    "request line, headers and body length)");
        } else {
          SendError(res, res.status, ErrorCodeName(res.status));
        }
        return httplib::Server::HandlerResponse::Handled;
      }));
  // cpp-httplib reads the body of a POST or PUT that gives no length until
  // the connection closes (a client waiting for the answer hangs until the
  // read timeout): refuse it at once, before the body is read.
  http_->set_pre_routing_handler(
      [](const httplib::Request& req, httplib::Response& res) {
        if ((req.method == "POST" || req.method == "PUT") &&
            !req.has_header("Content-Length") &&
            !req.has_header("Transfer-Encoding")) {
          SendError(res, 411,
                    absl::StrCat("a ", req.method,
                                 " needs a body length: send Content-Length "
                                 "(0 for no body, e.g. curl -d '')"));
          res.set_header("Connection", "close");
          return httplib::Server::HandlerResponse::Handled;
        }
        return httplib::Server::HandlerResponse::Unhandled;
      });
  AddEventRoutes();
  AddPolicyRoutes();
  AddSourceRoutes();
  AddReadRoutes();
  AddRunRoutes();
  AddConsoleRoutes();
  // Handoffs first: live recovery must already dual-write for open runs.
  st = runs_->Recover();
  if (!st.ok()) return st;
  st = live_->Start();
  if (!st.ok()) return st;
  st = runs_->Start();
  if (!st.ok()) return st;
  upkeep_ = std::thread([this] {
    std::unique_lock<std::mutex> lock(upkeep_mu_);
    while (!stopping_) {
      lock.unlock();
      Upkeep();
      lock.lock();
      upkeep_cv_.wait_for(lock, absl::ToChronoSeconds(options_.upkeep_interval),
                          [this] { return stopping_; });
    }
  });
  return absl::OkStatus();
}

absl::StatusOr<int> Server::Bind() {
  if (port_ == 0) {
    int p = http_->bind_to_any_port(host_.c_str());
    if (p <= 0) {
      return absl::UnavailableError(absl::StrCat("cannot listen on ", host_));
    }
    port_ = p;
  } else if (!http_->bind_to_port(host_.c_str(), port_)) {
    return absl::UnavailableError(absl::StrCat(
        "cannot listen on ", options_.listen, " (in use, or not permitted)"));
  }
  return port_;
}

void Server::Run() { http_->listen_after_bind(); }

void Server::Stop() {
  if (http_) http_->stop();
}

std::string Server::url() const {
  std::string host = host_ == "0.0.0.0" ? "127.0.0.1" : host_;
  return absl::StrCat("http://", host, ":", port_);
}

void Server::Upkeep() {
  absl::Time now = absl::Now();
  auto retention = store_->events().ApplyRetention(now);
  if (!retention.ok()) {
    spdlog::error("upkeep: retention: {}", retention.status().ToString());
  } else if (retention->events_dropped > 0) {
    spdlog::info("upkeep: retention dropped {} events; oldest retained day {}",
                 retention->events_dropped,
                 absl::FormatTime("%Y-%m-%d", retention->oldest_retained,
                                  absl::UTCTimeZone()));
  }
  auto maintained = store_->records().Maintain(now);
  if (!maintained.ok()) {
    spdlog::error("upkeep: records: {}", maintained.status().ToString());
  } else if (maintained->runs_folded + maintained->stagings_dropped > 0) {
    spdlog::info(
        "upkeep: folded {} promoted runs ({} versions), dropped {} "
        "stagings",
        maintained->runs_folded, maintained->versions_folded,
        maintained->stagings_dropped);
  }
}

void Server::Audit(const Call& call, std::string action, std::string target,
                   std::string outcome, std::string details) {
  store::AuditEntry e;
  e.time = absl::Now();
  e.actor = call.principal ? call.principal->name : "anonymous";
  e.action = std::move(action);
  e.target = std::move(target);
  e.outcome = std::move(outcome);
  e.details = std::move(details);
  auto n = store_->control().AppendAudit(std::move(e));
  if (!n.ok()) spdlog::error("audit: {}", n.status().ToString());
}

void Server::Route(const char* method, const char* pattern, Role role,
                   Access access, std::string action, Handler handler) {
  auto wrapped = [this, role, access, action, handler](
                     const httplib::Request& req, httplib::Response& res) {
    const Principal* principal = nullptr;
    if (access != Access::kPublic) {
      std::string auth = req.get_header_value("Authorization");
      constexpr std::string_view kBearer = "Bearer ";
      if (auth.size() <= kBearer.size() ||
          std::string_view(auth).substr(0, kBearer.size()) != kBearer) {
        SendError(res, 401,
                  "missing bearer token: send 'Authorization: Bearer <token>'");
        return;
      }
      principal = tokens_.Find(std::string_view(auth).substr(kBearer.size()));
      if (principal == nullptr) {
        SendError(res, 401, "unknown token");
        return;
      }
      if (principal->role < role) {
        std::string message =
            absl::StrCat("token '", principal->name, "' has role ",
                         base::AV(RoleName(principal->role)), "; ", action,
                         " needs ", base::AV(RoleName(role)));
        SendError(res, 403, message);
        if (access == Access::kMutate) {
          Audit(Call{principal, req, res}, action, req.path, "denied", message);
        }
        return;
      }
    }
    try {
      handler(Call{principal, req, res});
    } catch (const std::exception& e) {
      SendError(res, 500, absl::StrCat("internal error: ", e.what()));
    }
  };
  std::string m = method;
  if (m == "GET") {
    http_->Get(pattern, wrapped);
  } else if (m == "POST") {
    http_->Post(pattern, wrapped);
  } else if (m == "PUT") {
    http_->Put(pattern, wrapped);
  } else if (m == "DELETE") {
    http_->Delete(pattern, wrapped);
  }
}

}  // namespace retro::api

// `retro serve`: the server (src/api) on the embedded store.
#include <csignal>
#include <cstdio>
#include <thread>

#include "api/server.h"
#include "base/log.h"
#include "cli/command.h"

namespace retro::cli {
namespace {

struct ServeFlags {
  std::string data = "./retro-data";
  std::string listen = "127.0.0.1:8080";
  std::string config;
  int workers = 2;
  int http_threads = 8;
  size_t max_body_bytes = size_t{64} << 20;
  size_t queue_capacity = 200'000;
  std::string log_level = "info";
};

void RunServe(const ServeFlags& flags) {
  (void)base::InitLogging(flags.log_level);
  // Signals are taken by a watcher thread; block them everywhere else.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);

  api::ServerOptions options;
  options.data_dir = flags.data;
  options.listen = flags.listen;
  options.config_file = flags.config;
  options.max_body_bytes = flags.max_body_bytes;
  options.http_threads = flags.http_threads;
  options.live.workers = flags.workers;
  options.live.queue_capacity = flags.queue_capacity;
  auto server = api::Server::Open(options);
  if (!server.ok()) {
    std::fprintf(stderr, "error: %s\n",
                 std::string(server.status().message()).c_str());
    throw ExitRequest{kExitFailure};
  }
  auto port = (*server)->Bind();
  if (!port.ok()) {
    std::fprintf(stderr, "error: %s\n",
                 std::string(port.status().message()).c_str());
    throw ExitRequest{kExitUnavailable};
  }
  std::printf("retro serve: listening on %s\n", (*server)->url().c_str());
  std::printf("data directory: %s\n", (*server)->options().data_dir.c_str());
  std::printf("admin token: %s\n", (*server)->admin_token_path().c_str());
  std::fflush(stdout);
  api::Server* s = server->get();
  std::thread watcher([s, set] {
    int sig = 0;
    sigwait(&set, &sig);
    s->Stop();
  });
  watcher.detach();
  s->Run();
  std::fprintf(stderr, "retro serve: stopping\n");
}

void RegisterServe(CLI::App& app) {
  auto flags = std::make_shared<ServeFlags>();
  CLI::App* cmd = app.add_subcommand(
      "serve", "Run the server: ingest, live processing and the HTTP API");
  cmd->add_option("--data", flags->data, "data directory")
      ->capture_default_str();
  cmd->add_option("--listen", flags->listen, "HOST:PORT to listen on")
      ->capture_default_str();
  cmd->add_option("--config", flags->config,
                  "YAML config file (tokens and roles, limits)");
  cmd->add_option("--workers", flags->workers, "live evaluation threads")
      ->capture_default_str();
  cmd->add_option("--http-threads", flags->http_threads, "HTTP threads")
      ->capture_default_str();
  cmd->add_option("--max-body-bytes", flags->max_body_bytes,
                  "request body limit (413 above it)")
      ->capture_default_str();
  cmd->add_option("--queue-capacity", flags->queue_capacity,
                  "events waiting for live evaluation before ingest answers "
                  "429")
      ->capture_default_str();
  cmd->add_option("--log-level", flags->log_level, "trace … off")
      ->capture_default_str();
  cmd->callback([flags] { RunServe(*flags); });
}

}  // namespace

RETRO_REGISTER_COMMAND(serve, RegisterServe);

}  // namespace retro::cli

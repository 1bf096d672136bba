// `retro ingest FILE.jsonl --type T`: sends events to the server in NDJSON
// batches, with a progress bar on a terminal and totals at the end.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "cli/remote.h"
#include "simdjson.h"

namespace retro::cli {
namespace {

struct IngestFlags {
  std::vector<std::string> files;
  std::string type;
  size_t batch = 1000;
  size_t max_rejections_shown = 20;
  api::ClientOptions client;
};

struct Totals {
  uint64_t lines = 0, accepted = 0, duplicates = 0, rejected = 0;
};

void Progress(uint64_t done, uint64_t total, double secs) {
  int width = 30;
  double frac = total ? static_cast<double>(done) / total : 1;
  int filled = static_cast<int>(frac * width);
  std::fprintf(stderr, "\r[%s%s] %3d%% %llu/%llu events %.0f/s ",
               std::string(filled, '#').c_str(),
               std::string(width - filled, '.').c_str(),
               static_cast<int>(frac * 100),
               static_cast<unsigned long long>(done),
               static_cast<unsigned long long>(total),
               secs > 0 ? done / secs : 0.0);
}

void SendBatch(api::Client& client, const IngestFlags& flags,
               const std::string& file, const std::string& body,
               const std::vector<uint64_t>& line_numbers, Totals* totals,
               size_t* shown) {
  std::string path = absl::StrCat("/v1/events?type=", UrlEncode(flags.type));
  for (int attempt = 0;; ++attempt) {
    auto r = client.Send("POST", path, body, "application/x-ndjson");
    if (!r.ok()) {
      std::fprintf(stderr, "\nerror: %s\n",
                   std::string(r.status().message()).c_str());
      throw ExitRequest{kExitUnavailable};
    }
    if ((r->status == 429 || r->status == 503) && attempt < 600) {
      int wait_ms = 100;
      int secs = 0;
      if (absl::SimpleAtoi(r->retry_after, &secs) && secs > 0) {
        wait_ms = std::min(secs * 1000, 1000);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(wait_ms));
      continue;
    }
    if (r->status == 409) {
      // Every event of the batch conflicts: count them and go on.
      totals->rejected += line_numbers.size();
      if (*shown < flags.max_rejections_shown) {
        std::fprintf(stderr, "\n%s: %s\n", file.c_str(),
                     r->ErrorLine().c_str());
        ++*shown;
      }
      return;
    }
    if (!r->ok()) {
      std::fprintf(stderr, "\nerror: %s\n", r->ErrorLine().c_str());
      throw ExitRequest{kExitFailure};
    }
    simdjson::dom::parser parser;
    simdjson::dom::element root;
    if (parser.parse(r->body).get(root)) {
      std::fprintf(stderr, "\nerror: the server's answer is not JSON\n");
      throw ExitRequest{kExitFailure};
    }
    uint64_t accepted = 0, duplicates = 0;
    if (root["accepted"].get(accepted)) {
    }
    if (root["duplicates"].get(duplicates)) {
    }
    totals->accepted += accepted;
    totals->duplicates += duplicates;
    simdjson::dom::array rejected;
    if (!root["rejected"].get_array().get(rejected)) {
      for (simdjson::dom::element e : rejected) {
        ++totals->rejected;
        if (*shown >= flags.max_rejections_shown) continue;
        uint64_t index = 0;
        std::string_view error;
        if (e["index"].get(index)) {
        }
        if (e["error"].get_string().get(error)) {
        }
        uint64_t line = index < line_numbers.size() ? line_numbers[index] : 0;
        std::fprintf(stderr, "\n%s:%llu: rejected: %s", file.c_str(),
                     static_cast<unsigned long long>(line),
                     std::string(error).c_str());
        ++*shown;
      }
    }
    return;
  }
}

void RunIngest(const IngestFlags& flags) {
  api::Client client(flags.client);
  bool tty = isatty(2);
  Totals totals;
  size_t shown = 0;
  auto start = std::chrono::steady_clock::now();
  for (const std::string& file : flags.files) {
    std::ifstream in(file, std::ios::binary);
    if (!in) {
      std::fprintf(stderr, "error: cannot read %s\n", file.c_str());
      throw ExitRequest{kExitFailure};
    }
    uint64_t total_lines = 0;
    {
      std::string l;
      while (std::getline(in, l)) total_lines += !l.empty();
      in.clear();
      in.seekg(0);
    }
    std::string body, line;
    std::vector<uint64_t> line_numbers;
    uint64_t line_no = 0, done = 0;
    auto flush = [&] {
      if (line_numbers.empty()) return;
      SendBatch(client, flags, file, body, line_numbers, &totals, &shown);
      done += line_numbers.size();
      body.clear();
      line_numbers.clear();
      if (tty) {
        double secs = std::chrono::duration<double>(
                          std::chrono::steady_clock::now() - start)
                          .count();
        Progress(done, total_lines, secs);
      }
    };
    while (std::getline(in, line)) {
      ++line_no;
      if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
      body.append(line).push_back('\n');
      line_numbers.push_back(line_no);
      ++totals.lines;
      if (line_numbers.size() >= flags.batch) flush();
    }
    flush();
    if (tty) std::fprintf(stderr, "\n");
  }
  double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  if (shown > 0 && !tty) std::fprintf(stderr, "\n");
  std::printf(
      "%llu events: %llu accepted, %llu duplicates, %llu rejected (%.2fs)\n",
      static_cast<unsigned long long>(totals.lines),
      static_cast<unsigned long long>(totals.accepted),
      static_cast<unsigned long long>(totals.duplicates),
      static_cast<unsigned long long>(totals.rejected), secs);
  if (totals.rejected > 0) throw ExitRequest{kExitFailure};
}

void RegisterIngest(CLI::App& app) {
  auto flags = std::make_shared<IngestFlags>();
  CLI::App* cmd = app.add_subcommand(
      "ingest", "Send events (one JSON object a line) to the server");
  cmd->add_option("files", flags->files, "JSONL files")->required();
  cmd->add_option("--type", flags->type, "the events' type (audit, usage, …)")
      ->required();
  cmd->add_option("--batch", flags->batch, "events per request")
      ->capture_default_str();
  AddClientFlags(cmd, &flags->client);
  cmd->callback([flags] { RunIngest(*flags); });
}

}  // namespace

RETRO_REGISTER_COMMAND(ingest, RegisterIngest);

}  // namespace retro::cli

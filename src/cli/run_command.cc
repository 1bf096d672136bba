// `retro run start|list|get|watch|diff|errors|pause|resume|cancel|rethrottle|
// promote|discard|rollback`: re-processing runs on the server
// (docs/api/runs.md). `-o json` prints the server's JSON as is.
//
// `watch` exit codes (also `start --watch`): 0 the run succeeded with its
// gates passing (or was promoted), 1 it failed, 3 the server could not be
// reached, 4 it was cancelled or discarded, 5 it succeeded but a gate
// blocks its promote, 6 --timeout passed while it was still going.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "base/strings.h"
#include "cli/remote.h"
#include "cli/run_render.h"
#include "policy/canonical_json.h"
#include "simdjson.h"

namespace retro::cli {
namespace {

constexpr int kExitCancelled = 4;
constexpr int kExitBlocked = 5;
constexpr int kExitTimeout = 6;

struct RunFlags {
  api::ClientOptions client;
  std::string output = "table";
  std::string id;
  // start
  std::vector<std::string> policies, policy_flags;
  std::string selector, from, to, filter, mode = "shadow", retry_errors_of,
                                          reason;
  std::vector<std::string> tenants, types;
  bool purge_unmatched = false, adaptive = false, fixed = false, watch = false,
       force = false;
  double max_rate = 0, min_coverage = 1, max_changed_ratio = 0;
  int parallelism = 0;
  uint64_t max_errors = 0, max_removed = 0;
  // Options given on the command line (others keep the server's defaults).
  CLI::Option* max_rate_opt = nullptr;
  CLI::Option* rethrottle_rate_opt = nullptr;
  CLI::Option* parallelism_opt = nullptr;
  CLI::Option* min_coverage_opt = nullptr;
  CLI::Option* max_errors_opt = nullptr;
  CLI::Option* max_changed_ratio_opt = nullptr;
  CLI::Option* max_removed_opt = nullptr;
  // list / read
  std::string state, policy;
  size_t limit = 50;
  size_t samples = 10;
  // watch
  double interval = 0.5;
  double timeout = 0;
};

bool Json(const RunFlags& f) { return f.output == "json"; }

void PrintBody(const std::string& body) {
  std::fwrite(body.data(), 1, body.size(), stdout);
  if (body.empty() || body.back() != '\n') std::fputc('\n', stdout);
}

void AppendStr(std::string_view s, std::string* out) {
  policy::AppendJsonString(s, out);
}

void AppendStrings(const std::vector<std::string>& v, std::string* out) {
  out->push_back('[');
  for (size_t i = 0; i < v.size(); ++i) {
    if (i > 0) out->push_back(',');
    AppendStr(v[i], out);
  }
  out->push_back(']');
}

// The POST /v1/runs body: only what was given, so the server's defaults
// (and its clock, for relative times) apply to the rest.
std::string StartBody(const RunFlags& f) {
  std::string b = "{";
  auto field = [&b](const char* name) {
    if (b.size() > 1) b.push_back(',');
    absl::StrAppend(&b, "\"", name, "\":");
  };
  if (!f.policies.empty()) {
    field("policies");
    AppendStrings(f.policies, &b);
  }
  auto str = [&](const char* name, const std::string& v) {
    if (v.empty()) return;
    field(name);
    AppendStr(v, &b);
  };
  str("selector", f.selector);
  str("from", f.from);
  str("to", f.to);
  if (!f.tenants.empty()) {
    field("tenants");
    AppendStrings(f.tenants, &b);
  }
  if (!f.types.empty()) {
    field("types");
    AppendStrings(f.types, &b);
  }
  str("filter", f.filter);
  str("mode", f.mode);
  if (f.purge_unmatched) {
    field("purge_unmatched");
    b.append("true");
  }
  if (f.max_rate_opt->count() > 0) {
    field("max_rate");
    policy::AppendJsonDouble(f.max_rate, &b);
  }
  if (f.adaptive) str("throttle", "adaptive");
  if (f.parallelism_opt->count() > 0) {
    field("parallelism");
    absl::StrAppend(&b, f.parallelism);
  }
  std::string gates;
  auto gate = [&gates](const char* name, std::string v) {
    absl::StrAppend(&gates, gates.empty() ? "" : ",", "\"", name, "\":", v);
  };
  auto num = [](double d) {
    std::string s;
    policy::AppendJsonDouble(d, &s);
    return s;
  };
  if (f.min_coverage_opt->count() > 0) {
    gate("min_coverage", num(f.min_coverage));
  }
  if (f.max_errors_opt->count() > 0) {
    gate("max_errors", absl::StrCat(f.max_errors));
  }
  if (f.max_changed_ratio_opt->count() > 0) {
    gate("max_changed_ratio", num(f.max_changed_ratio));
  }
  if (f.max_removed_opt->count() > 0) {
    gate("max_removed", absl::StrCat(f.max_removed));
  }
  if (!gates.empty()) {
    field("gates");
    absl::StrAppend(&b, "{", gates, "}");
  }
  str("retry_errors_of", f.retry_errors_of);
  str("reason", f.reason);
  b.push_back('}');
  return b;
}

std::string RunPath(const RunFlags& f, std::string_view suffix = "") {
  return absl::StrCat("/v1/runs/", UrlEncode(f.id), base::AV(suffix));
}

bool Going(std::string_view state) {
  return state == "queued" || state == "running" || state == "paused";
}

int ExitCodeOf(simdjson::dom::element run) {
  std::string state = JStr(run, "state");
  if (state == "failed") return kExitFailure;
  if (state == "cancelled" || state == "discarded" || state == "rolled_back") {
    return kExitCancelled;
  }
  // A dry run did what was asked (a diff); it never has anything to
  // promote, so its blocking reasons do not set the code.
  simdjson::dom::array blocking;
  if (state == "succeeded" && JStr(run, "mode") != "dry_run" &&
      !run["blocking_reasons"].get_array().get(blocking) &&
      blocking.size() > 0) {
    return kExitBlocked;
  }
  return kExitOk;
}

// Follows the run until it stops going; returns the exit code.
int Watch(const RunFlags& f) {
  api::Client client(f.client);
  bool json = Json(f);
  // The bar goes where a person looks: stdout for tables, stderr with
  // -o json (stdout then holds only the final JSON).
  std::FILE* progress = json ? stderr : stdout;
  bool tty = isatty(fileno(progress));
  auto start = std::chrono::steady_clock::now();
  auto last_line = start - std::chrono::hours(1);
  std::string last_state;
  std::string body;
  int unreachable = 0;
  while (true) {
    auto r = client.Send("GET", RunPath(f));
    if (!r.ok() || r->status == 503) {
      // The server restarts (after a crash, runs resume): keep asking.
      if (++unreachable * f.interval > 30) {
        std::fprintf(stderr, "%serror: %s\n", tty ? "\n" : "",
                     r.ok() ? r->ErrorLine().c_str()
                            : std::string(r.status().message()).c_str());
        throw ExitRequest{kExitUnavailable};
      }
    } else if (!r->ok()) {
      std::fprintf(stderr, "%serror: %s\n", tty ? "\n" : "",
                   r->ErrorLine().c_str());
      throw ExitRequest{kExitFailure};
    } else {
      unreachable = 0;
      body = std::move(r->body);
      simdjson::dom::parser parser;
      auto run = ParseOrExit(parser, body);
      std::string state = JStr(run, "state");
      auto now = std::chrono::steady_clock::now();
      if (tty) {
        std::fprintf(progress, "\r\033[K%s", ProgressLine(run, 30).c_str());
        std::fflush(progress);
      } else if (!json && (state != last_state ||
                           now - last_line >= std::chrono::seconds(2) ||
                           !Going(state))) {
        std::fprintf(progress, "%s %s\n", JStr(run, "id").c_str(),
                     ProgressLine(run, 20).c_str());
        std::fflush(progress);
        last_line = now;
      }
      last_state = state;
      if (!Going(state)) {
        if (tty) std::fprintf(progress, "\n");
        double secs = std::chrono::duration<double>(now - start).count();
        if (json) {
          PrintBody(body);
        } else {
          std::printf("\n");
          PrintRun(run, stdout);
          std::string id = JStr(run, "id");
          if (state == "succeeded" && JBool(run, "ready_to_promote") &&
              JStr(run, "mode") != "dry_run") {
            std::printf("\nnext: retro run diff %s; retro run promote %s\n",
                        id.c_str(), id.c_str());
          }
          std::printf("watched for %s\n", FormatDuration(secs).c_str());
        }
        return ExitCodeOf(run);
      }
    }
    double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
            .count();
    if (f.timeout > 0 && elapsed >= f.timeout) {
      if (tty) std::fprintf(progress, "\n");
      std::fprintf(stderr, "run %s is still %s after --timeout %gs\n",
                   f.id.c_str(), last_state.c_str(), f.timeout);
      if (json && !body.empty()) PrintBody(body);
      throw ExitRequest{kExitTimeout};
    }
    std::this_thread::sleep_for(std::chrono::duration<double>(f.interval));
  }
}

void RunStart(RunFlags& f) {
  f.policies.insert(f.policies.end(), f.policy_flags.begin(),
                    f.policy_flags.end());
  if (f.policies.empty() && f.selector.empty()) {
    std::fprintf(stderr,
                 "error: name the policies (retro run start NAME … or "
                 "--selector 'label=value')\n");
    throw ExitRequest{kExitUsage};
  }
  api::Client client(f.client);
  api::HttpResponse r = CallOrExit(client, "POST", "/v1/runs", StartBody(f));
  simdjson::dom::parser parser;
  auto run = ParseOrExit(parser, r.body);
  f.id = JStr(run, "id");
  if (Json(f) && !f.watch) {
    PrintBody(r.body);
    return;
  }
  if (!Json(f)) {
    std::string to = JStr(run, "to");
    std::string names;
    simdjson::dom::array policies;
    if (!run["policies"].get_array().get(policies)) {
      for (auto p : policies) {
        absl::StrAppend(&names, names.empty() ? "" : ", ", JStr(p, "name"));
      }
    }
    std::printf("run %s %s: %s of %s over %s … %s\n", f.id.c_str(),
                JStr(run, "state").c_str(), JStr(run, "mode").c_str(),
                names.c_str(), JStr(run, "from").c_str(),
                to.empty() ? "(up to the promote)" : to.c_str());
    if (!f.watch) {
      std::printf("follow it: retro run watch %s\n", f.id.c_str());
      return;
    }
  }
  int code = Watch(f);
  if (code != kExitOk) throw ExitRequest{code};
}

void RunList(const RunFlags& f) {
  api::Client client(f.client);
  std::string path = absl::StrCat("/v1/runs?limit=", f.limit);
  if (!f.state.empty()) absl::StrAppend(&path, "&state=", UrlEncode(f.state));
  if (!f.policy.empty()) {
    absl::StrAppend(&path, "&policy=", UrlEncode(f.policy));
  }
  api::HttpResponse r = CallOrExit(client, "GET", path);
  if (Json(f)) return PrintBody(r.body);
  simdjson::dom::parser parser;
  auto root = ParseOrExit(parser, r.body);
  simdjson::dom::array runs;
  if (root["runs"].get_array().get(runs)) return;
  PrintRunList(runs, stdout);
  if (std::string next = JStr(root, "next_cursor"); !next.empty()) {
    std::printf("(more: raise --limit)\n");
  }
}

void RunGet(const RunFlags& f) {
  api::Client client(f.client);
  api::HttpResponse r = CallOrExit(client, "GET", RunPath(f));
  if (Json(f)) return PrintBody(r.body);
  simdjson::dom::parser parser;
  PrintRun(ParseOrExit(parser, r.body), stdout);
}

void RunDiff(const RunFlags& f) {
  api::Client client(f.client);
  api::HttpResponse r = CallOrExit(
      client, "GET", RunPath(f, absl::StrCat("/diff?samples=", f.samples)));
  if (Json(f)) return PrintBody(r.body);
  simdjson::dom::parser parser;
  PrintDiff(ParseOrExit(parser, r.body), stdout);
}

void RunErrors(const RunFlags& f) {
  api::Client client(f.client);
  api::HttpResponse r = CallOrExit(
      client, "GET", RunPath(f, absl::StrCat("/errors?limit=", f.limit)));
  if (Json(f)) return PrintBody(r.body);
  simdjson::dom::parser parser;
  PrintErrors(ParseOrExit(parser, r.body), stdout);
}

void RunAction(const RunFlags& f, const std::string& action) {
  std::string body = "{";
  auto field = [&body](const char* name, const std::string& v) {
    absl::StrAppend(&body, body.size() > 1 ? "," : "", "\"", name, "\":", v);
  };
  if (action == "rethrottle") {
    bool rate = f.rethrottle_rate_opt->count() > 0;
    if (!rate && !f.adaptive && !f.fixed) {
      std::fprintf(stderr,
                   "error: rethrottle needs --max-rate N (0 pauses), "
                   "--adaptive or --fixed\n");
      throw ExitRequest{kExitUsage};
    }
    if (rate) {
      std::string v;
      policy::AppendJsonDouble(f.max_rate, &v);
      field("max_rate", v);
    }
    if (f.adaptive) field("throttle", "\"adaptive\"");
    if (f.fixed) field("throttle", "\"fixed\"");
  }
  if (action == "promote" && f.force) field("force", "true");
  if (!f.reason.empty()) {
    std::string v;
    AppendStr(f.reason, &v);
    field("reason", v);
  }
  body.push_back('}');
  api::Client client(f.client);
  auto r = client.Send("POST", RunPath(f, absl::StrCat("/", action)), body);
  if (!r.ok()) {
    std::fprintf(stderr, "error: %s\n",
                 std::string(r.status().message()).c_str());
    throw ExitRequest{kExitUnavailable};
  }
  if (!r->ok()) {
    std::fprintf(stderr, "error: %s\n", r->ErrorLine().c_str());
    // A blocked promote lists what blocks it.
    simdjson::dom::parser parser;
    simdjson::dom::element root;
    simdjson::dom::array reasons;
    if (!parser.parse(r->body).get(root) &&
        !root["error"]["details"]["blocking_reasons"].get_array().get(
            reasons)) {
      for (auto reason : reasons) {
        std::string_view s;
        if (!reason.get_string().get(s)) {
          std::fprintf(stderr, "  blocked by: %.*s\n",
                       static_cast<int>(s.size()), s.data());
        }
      }
      if (reasons.size() > 0) {
        std::fprintf(stderr,
                     "  (an admin may force it: retro run promote %s "
                     "--force)\n",
                     f.id.c_str());
      }
    }
    throw ExitRequest{r->status == 503 ? kExitUnavailable : kExitFailure};
  }
  if (Json(f)) return PrintBody(r->body);
  simdjson::dom::parser parser;
  auto run = ParseOrExit(parser, r->body);
  std::printf("run %s: %s\n", JStr(run, "id").c_str(),
              JStr(run, "state").c_str());
}

// Adds a subcommand with the client flags, -o and (unless `no_id`) the id.
CLI::App* Sub(CLI::App* run, const char* name, const char* help,
              const std::shared_ptr<RunFlags>& f, bool with_id = true) {
  CLI::App* cmd = run->add_subcommand(name, help);
  if (with_id) cmd->add_option("id", f->id, "the run's id (r-…)")->required();
  cmd->add_option("-o,--output", f->output, "table or json")
      ->check(CLI::IsMember({"table", "json"}))
      ->capture_default_str();
  AddClientFlags(cmd, &f->client);
  return cmd;
}

void AddWatchFlags(CLI::App* cmd, RunFlags* f) {
  cmd->add_option("--interval", f->interval, "seconds between polls")
      ->check(CLI::Range(0.05, 60.0))
      ->capture_default_str();
  cmd->add_option("--timeout", f->timeout,
                  "give up after this many seconds (exit 6); 0 = never")
      ->check(CLI::NonNegativeNumber);
}

void RegisterRun(CLI::App& app) {
  auto f = std::make_shared<RunFlags>();
  CLI::App* run = app.add_subcommand(
      "run",
      "Re-process history with a policy's new generation: start, watch, "
      "diff, promote, roll back");
  run->require_subcommand(1);

  CLI::App* start = Sub(run, "start",
                        "Start a run (dry_run, shadow or direct) over a time "
                        "range",
                        f, false);
  start->add_option("policies", f->policies, "policy names");
  start->add_option("--policy", f->policy_flags, "a policy name (repeatable)");
  start->add_option("--selector", f->selector,
                    "policies by label instead: 'team=apps,tier!=dev'");
  start->add_option("--from", f->from,
                    "RFC 3339 or relative (-48h, -7d); default -48h");
  start->add_option("--to", f->to,
                    "RFC 3339 or relative; default up to the promote");
  start->add_option("--tenant", f->tenants, "only this tenant (repeatable)");
  start->add_option("--type", f->types, "only this event type (repeatable)");
  start->add_option("--filter", f->filter,
                    "CEL over data and meta, e.g. \"meta.tenant != 'test'\"");
  start->add_option("--mode", f->mode, "dry_run, shadow or direct")
      ->check(CLI::IsMember({"dry_run", "shadow", "direct"}))
      ->capture_default_str();
  start->add_flag("--purge-unmatched", f->purge_unmatched,
                  "remove records whose event no longer matches");
  f->max_rate_opt =
      start->add_option("--max-rate", f->max_rate, "events/s; 0 = unlimited")
          ->check(CLI::NonNegativeNumber);
  start->add_flag("--adaptive", f->adaptive,
                  "back off while live processing lags");
  f->parallelism_opt =
      start
          ->add_option("--parallelism", f->parallelism,
                       "slices at once; default the core count")
          ->check(CLI::Range(0, 256));
  f->min_coverage_opt =
      start
          ->add_option("--min-coverage", f->min_coverage,
                       "gate: processed/total needed (default 1.0)")
          ->check(CLI::Range(0.0, 1.0));
  f->max_errors_opt = start->add_option("--max-errors", f->max_errors,
                                        "gate: errors allowed (default 0)");
  f->max_changed_ratio_opt =
      start
          ->add_option("--max-changed-ratio", f->max_changed_ratio,
                       "gate: (changed+removed)/processed allowed")
          ->check(CLI::Range(0.0, 1.0));
  f->max_removed_opt = start->add_option("--max-removed", f->max_removed,
                                         "gate: removed records allowed");
  start->add_option("--retry-errors-of", f->retry_errors_of,
                    "only the events that errored in this run");
  start->add_option("--reason", f->reason, "why (goes to the audit ledger)");
  start->add_flag("--watch", f->watch, "then watch it (exit codes as watch)");
  AddWatchFlags(start, f.get());
  start->callback([f] { RunStart(*f); });

  CLI::App* list = Sub(run, "list", "List runs, newest first", f, false);
  list->add_option("--state", f->state, "only runs in this state");
  list->add_option("--policy", f->policy, "only runs of this policy");
  list->add_option("--limit", f->limit, "at most this many (1-1000)")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  list->callback([f] { RunList(*f); });

  Sub(run, "get", "Show a run", f)->callback([f] { RunGet(*f); });

  CLI::App* watch = Sub(run, "watch",
                        "Follow a run with a progress bar until it ends; the "
                        "exit code says how it ended",
                        f);
  AddWatchFlags(watch, f.get());
  watch->callback([f] {
    int code = Watch(*f);
    if (code != kExitOk) throw ExitRequest{code};
  });

  CLI::App* diff = Sub(run, "diff",
                       "What the run changes: counts, the rule transition "
                       "matrix, tenants and samples",
                       f);
  diff->add_option("--samples", f->samples, "samples per category (0-100)")
      ->check(CLI::Range(0, 100))
      ->capture_default_str();
  diff->callback([f] { RunDiff(*f); });

  CLI::App* errors =
      Sub(run, "errors", "The events that errored or were dropped", f);
  errors->add_option("--limit", f->limit, "at most this many events")
      ->capture_default_str();
  errors->callback([f] { RunErrors(*f); });

  const std::pair<const char*, const char*> actions[] = {
      {"pause", "Pause a queued or running run"},
      {"resume", "Resume a paused, failed or cancelled run"},
      {"cancel", "Cancel a run (its staging stays until discard)"},
      {"rethrottle", "Change a run's rate (0 pauses) or throttle mode"},
      {"promote", "Make a succeeded run's records visible, in one step"},
      {"discard", "Drop a run's staged records"},
      {"rollback", "Restore what was visible before a promote"}};
  for (const auto& [name, help] : actions) {
    CLI::App* cmd = Sub(run, name, help, f);
    std::string action = name;
    cmd->add_option("--reason", f->reason, "why (goes to the audit ledger)");
    if (action == "rethrottle") {
      f->rethrottle_rate_opt =
          cmd->add_option("--max-rate", f->max_rate, "events/s; 0 pauses")
              ->check(CLI::NonNegativeNumber);
      auto* a = cmd->add_flag("--adaptive", f->adaptive,
                              "back off while live processing lags");
      cmd->add_flag("--fixed", f->fixed, "a fixed rate")->excludes(a);
    }
    if (action == "promote") {
      cmd->add_flag("--force", f->force,
                    "promote past blocking gates (admin only; audited)");
    }
    cmd->callback([f, action] { RunAction(*f, action); });
  }
}

}  // namespace

RETRO_REGISTER_COMMAND(run, RegisterRun);

}  // namespace retro::cli

// Routes of re-processing runs and insights (docs/api/runs.md):
//   POST /v1/runs                     start (operator)
//   GET  /v1/runs, /v1/runs/{id}      list, get (viewer)
//   GET  /v1/runs/{id}/diff, /errors  (viewer)
//   POST /v1/runs/{id}/{action}       pause resume cancel rethrottle promote
//                                     discard rollback (operator; a forced
//                                     promote needs admin)
//   GET  /v1/insights                 (viewer)
// Every mutating call, refused ones included, is audited as run.<action>
// with target run/<id>; roles of mutating calls are checked here rather
// than by Route() so that refusals name the run too.
#include <optional>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "api/http_util.h"
#include "api/server.h"
#include "base/strings.h"
#include "httplib.h"
#include "reprocess/run_json.h"
#include "simdjson.h"

namespace retro::api {
namespace {

constexpr const char* kRunId = "([A-Za-z0-9][A-Za-z0-9._-]{0,127})";

// An action's body: empty, or an object with only the fields the action
// takes ("reason" is accepted by every action and goes to the ledger).
struct ActionBody {
  std::optional<double> max_rate;
  std::optional<bool> adaptive;
  bool force = false;
  std::string reason;
};

absl::Status ParseActionBody(std::string_view action, std::string_view body,
                             ActionBody* out) {
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    return absl::OkStatus();
  }
  simdjson::dom::parser parser;
  simdjson::padded_string padded(body.data(), body.size());
  simdjson::dom::element root;
  simdjson::dom::object obj;
  if (parser.parse(padded).get(root) || root.get_object().get(obj)) {
    return absl::InvalidArgumentError(
        absl::StrCat("the body of ", base::AV(action),
                     " must be empty or a JSON object, e.g. ",
                     action == "rethrottle" ? "{\"max_rate\": 5000}"
                     : action == "promote"  ? "{\"force\": false}"
                                            : "{}"));
  }
  for (auto field : obj) {
    std::string_view key = field.key;
    if (key == "reason") {
      std::string_view v;
      if (field.value.get_string().get(v)) {
        return absl::InvalidArgumentError("'reason' must be a string");
      }
      out->reason = std::string(v);
    } else if (action == "rethrottle" && key == "max_rate") {
      double v = 0;
      if (field.value.get_double().get(v) || v < 0) {
        return absl::InvalidArgumentError(
            "'max_rate' must be a number of events/s, 0 or more (0 pauses)");
      }
      out->max_rate = v;
    } else if (action == "rethrottle" && key == "throttle") {
      std::string_view v;
      if (field.value.get_string().get(v) ||
          (v != "adaptive" && v != "fixed")) {
        return absl::InvalidArgumentError(
            "'throttle' must be \"adaptive\" or \"fixed\"");
      }
      out->adaptive = v == "adaptive";
    } else if (action == "promote" && key == "force") {
      bool v = false;
      if (field.value.get_bool().get(v)) {
        return absl::InvalidArgumentError("'force' must be true or false");
      }
      out->force = v;
    } else {
      std::string_view known = action == "rethrottle"
                                   ? "max_rate, throttle, reason"
                               : action == "promote" ? "force, reason"
                                                     : "reason";
      return absl::InvalidArgumentError(
          absl::StrCat("unknown field '", base::AV(key), "' for ",
                       base::AV(action), "; it takes ", base::AV(known)));
    }
  }
  if (action == "rethrottle" && !out->max_rate && !out->adaptive) {
    return absl::InvalidArgumentError(
        "rethrottle needs {\"max_rate\": N} (events/s; 0 pauses) and/or "
        "{\"throttle\": \"adaptive\" | \"fixed\"}");
  }
  return absl::OkStatus();
}

bool KnownState(std::string_view s) {
  using reprocess::RunState;
  for (RunState st :
       {RunState::kQueued, RunState::kRunning, RunState::kPaused,
        RunState::kSucceeded, RunState::kFailed, RunState::kCancelled,
        RunState::kPromoted, RunState::kDiscarded, RunState::kRolledBack}) {
    if (reprocess::RunStateName(st) == s) return true;
  }
  return false;
}

absl::Status ParseCountParam(const httplib::Request& req, const char* name,
                             size_t fallback, size_t max, size_t* out) {
  std::string v = Param(req, name);
  if (v.empty()) {
    *out = fallback;
    return absl::OkStatus();
  }
  uint64_t n;
  if (!absl::SimpleAtoi(v, &n) || n > max) {
    return absl::InvalidArgumentError(
        absl::StrCat("parameter '", name, "' must be between 0 and ", max));
  }
  *out = n;
  return absl::OkStatus();
}

std::string RunJson(const reprocess::RunInfo& run) {
  std::string body;
  reprocess::AppendRunJson(run, &body);
  return body;
}

// The ledger's details for a request: the policies and the mode.
std::string StartDetails(const reprocess::RunRequest& r) {
  std::string d = "{\"policies\":[";
  for (size_t i = 0; i < r.policies.size(); ++i) {
    if (i > 0) d.push_back(',');
    AppendString(r.policies[i], &d);
  }
  d.append("],\"selector\":");
  AppendString(r.selector, &d);
  d.append(",\"mode\":");
  AppendString(reprocess::RunModeName(r.mode), &d);
  d.append(",\"reason\":");
  AppendString(r.reason, &d);
  d.push_back('}');
  return d;
}

}  // namespace

void Server::AddRunRoutes() {
  // Checks the caller's role for a mutating call; a refusal is answered
  // (403) and audited against `target`.
  auto permit = [this](const Call& c, Role role, const std::string& action,
                       const std::string& target, std::string_view what) {
    if (c.principal->role >= role) return true;
    std::string message =
        absl::StrCat("token '", c.principal->name, "' has role ",
                     base::AV(RoleName(c.principal->role)), "; ",
                     base::AV(what), " needs ", base::AV(RoleName(role)));
    SendError(c.res, 403, message);
    Audit(c, action, target, "denied", message);
    return false;
  };

  Route("POST", "/v1/runs", Role::kViewer, Access::kMutate, "run.start",
        [this, permit](const Call& c) {
          const std::string action = "run.start";
          if (!permit(c, Role::kOperator, action, "run/", action)) return;
          auto request = reprocess::ParseRunRequest(c.req.body, absl::Now());
          if (!request.ok()) {
            SendStatus(c.res, request.status());
            Audit(c, action, "run/", "invalid",
                  std::string(request.status().message()));
            return;
          }
          auto run = runs_->Create(*request, c.principal->name);
          if (!run.ok()) {
            SendStatus(c.res, run.status());
            Audit(c, action, "run/", "refused",
                  absl::StrCat(run.status().message(), " ",
                               StartDetails(*request)));
            return;
          }
          SendJson(c.res, 202, RunJson(*run));
          Audit(c, action, absl::StrCat("run/", run->id), "ok",
                StartDetails(*request));
        });

  Route("GET", "/v1/runs", Role::kViewer, Access::kRead, "run.list",
        [this](const Call& c) {
          reprocess::RunListQuery q;
          q.state = Param(c.req, "state");
          q.policy = Param(c.req, "policy");
          q.cursor = Param(c.req, "cursor");
          if (!q.state.empty() && !KnownState(q.state)) {
            return SendError(
                c.res, 400,
                absl::StrCat("parameter 'state' is '", q.state,
                             "'; use queued, running, paused, succeeded, "
                             "failed, cancelled, promoted, discarded or "
                             "rolled_back"));
          }
          absl::Status st = ParseLimitParam(c.req, 50, 1000, &q.limit);
          if (!st.ok()) return SendStatus(c.res, st);
          auto list = runs_->List(q);
          if (!list.ok()) return SendStatus(c.res, list.status());
          std::string body = "{\"runs\":[";
          for (size_t i = 0; i < list->runs.size(); ++i) {
            if (i > 0) body.push_back(',');
            reprocess::AppendRunJson(list->runs[i], &body);
          }
          body.append("],\"next_cursor\":");
          AppendString(list->next_cursor, &body);
          body.push_back('}');
          SendJson(c.res, 200, std::move(body));
        });

  const std::string one = absl::StrCat("/v1/runs/", kRunId);

  Route("GET", one.c_str(), Role::kViewer, Access::kRead, "run.get",
        [this](const Call& c) {
          auto run = runs_->Get(c.req.matches[1].str());
          if (!run.ok()) return SendStatus(c.res, run.status());
          SendJson(c.res, 200, RunJson(*run));
        });

  Route("GET", absl::StrCat(one, "/diff").c_str(), Role::kViewer, Access::kRead,
        "run.diff", [this](const Call& c) {
          std::string id = c.req.matches[1];
          size_t samples = 0;
          absl::Status st =
              ParseCountParam(c.req, "samples", 10, 100, &samples);
          if (!st.ok()) return SendStatus(c.res, st);
          auto diff = runs_->GetDiff(id, samples);
          if (!diff.ok()) return SendStatus(c.res, diff.status());
          std::string body;
          reprocess::AppendDiffJson(id, *diff, &body);
          SendJson(c.res, 200, std::move(body));
        });

  Route("GET", absl::StrCat(one, "/errors").c_str(), Role::kViewer,
        Access::kRead, "run.errors", [this](const Call& c) {
          std::string id = c.req.matches[1];
          size_t limit = 0;
          absl::Status st = ParseLimitParam(c.req, 100, 10000, &limit);
          if (!st.ok()) return SendStatus(c.res, st);
          auto report = runs_->GetErrors(id, limit);
          if (!report.ok()) return SendStatus(c.res, report.status());
          std::string body;
          reprocess::AppendErrorsJson(id, *report, &body);
          SendJson(c.res, 200, std::move(body));
        });

  const std::string act = absl::StrCat(
      one, "/(pause|resume|cancel|rethrottle|promote|discard|rollback)");
  Route(
      "POST", act.c_str(), Role::kViewer, Access::kMutate, "run.action",
      [this, permit](const Call& c) {
        std::string id = c.req.matches[1];
        std::string verb = c.req.matches[2];
        std::string action = absl::StrCat("run.", verb);
        std::string target = absl::StrCat("run/", id);
        if (!permit(c, Role::kOperator, action, target, action)) return;
        ActionBody body;
        absl::Status st = ParseActionBody(verb, c.req.body, &body);
        if (!st.ok()) {
          SendStatus(c.res, st);
          Audit(c, action, target, "invalid", std::string(st.message()));
          return;
        }
        if (body.force &&
            !permit(c, Role::kAdmin, action, target, "a forced promote")) {
          return;
        }
        const std::string& actor = c.principal->name;
        absl::StatusOr<reprocess::RunInfo> run;
        std::string details;
        if (verb == "pause") {
          run = runs_->Pause(id, actor);
        } else if (verb == "resume") {
          run = runs_->Resume(id, actor);
        } else if (verb == "cancel") {
          run = runs_->Cancel(id, actor);
        } else if (verb == "rethrottle") {
          // Only the mode changes: keep the run's rate.
          run = body.max_rate
                    ? absl::StatusOr<reprocess::RunInfo>(reprocess::RunInfo{})
                    : runs_->Get(id);
          double max_rate = body.max_rate
                                ? *body.max_rate
                                : (run.ok() ? run->request.max_rate : 0);
          if (run.ok()) {
            run = runs_->Rethrottle(id, max_rate, body.adaptive, actor);
          }
          details = absl::StrCat("{\"max_rate\":", max_rate);
          if (body.adaptive) {
            absl::StrAppend(
                &details, ",\"adaptive\":", *body.adaptive ? "true" : "false");
          }
          details.push_back('}');
        } else if (verb == "promote") {
          run = runs_->Promote(id, body.force, actor);
          details = absl::StrCat(
              "{\"force\":", body.force ? "true" : "false",
              ",\"forced\":", run.ok() && run->forced ? "true" : "false", "}");
        } else if (verb == "discard") {
          run = runs_->Discard(id, actor);
        } else {
          run = runs_->Rollback(id, actor);
        }
        if (!body.reason.empty()) {
          if (!details.empty()) details.append(" ");
          details.append(body.reason);
        }
        if (!run.ok()) {
          const absl::Status& err = run.status();
          // 409s say which state the run is in, and a blocked promote
          // lists what blocks it.
          std::string more = "{}";
          if (HttpStatusOf(err) == 409) {
            auto now = runs_->Get(id);
            if (now.ok()) {
              more = "{\"state\":";
              AppendString(reprocess::RunStateName(now->state), &more);
              if (verb == "promote") {
                more.append(",\"blocking_reasons\":[");
                for (size_t i = 0; i < now->blocking_reasons.size(); ++i) {
                  if (i > 0) more.push_back(',');
                  AppendString(now->blocking_reasons[i], &more);
                }
                more.push_back(']');
              }
              more.push_back('}');
            }
          }
          SendError(c.res, HttpStatusOf(err), std::string(err.message()), more);
          Audit(
              c, action, target, "refused",
              absl::StrCat(err.message(), details.empty() ? "" : " ", details));
          return;
        }
        SendJson(c.res, 200, RunJson(*run));
        Audit(c, action, target, "ok", details);
      });

  Route("GET", "/v1/insights", Role::kViewer, Access::kRead, "insights",
        [this](const Call& c) {
          std::string body;
          reprocess::AppendInsightsJson(runs_->Insights(), &body);
          SendJson(c.res, 200, std::move(body));
        });
}

}  // namespace retro::api

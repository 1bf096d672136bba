// /v1/policies/{name} (apply, list, get, generations, delete, preview, test)
// and /v1/sources/{name} (apply, list, get, delete).
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "api/http_util.h"
#include "api/server.h"
#include "base/strings.h"
#include "base/time.h"
#include "httplib.h"
#include "pipeline/body.h"
#include "policy/loader.h"
#include "policy/outcome_json.h"
#include "policy/test_runner.h"

namespace retro::api {
namespace {

constexpr const char* kName = "([A-Za-z0-9][A-Za-z0-9._-]{0,252})";

void AppendProblem(const policy::Problem& p, std::string* out) {
  out->append("{\"severity\":");
  AppendString(p.is_error() ? "error" : "warning", out);
  out->append(",\"file\":");
  AppendString(p.file, out);
  absl::StrAppend(out, ",\"line\":", p.line, ",\"column\":", p.column,
                  ",\"path\":");
  AppendString(p.path, out);
  out->append(",\"message\":");
  AppendString(p.message, out);
  out->append(",\"text\":");
  AppendString(p.ToString(), out);
  out->push_back('}');
}

// 422 with every problem and its location.
void SendProblems(httplib::Response& res,
                  const std::vector<policy::Problem>& problems) {
  std::string details = "{\"problems\":[";
  int errors = 0;
  const policy::Problem* first = nullptr;
  for (size_t i = 0; i < problems.size(); ++i) {
    if (i > 0) details.push_back(',');
    AppendProblem(problems[i], &details);
    if (problems[i].is_error()) {
      ++errors;
      if (first == nullptr) first = &problems[i];
    }
  }
  details.append("]}");
  SendError(res, 422,
            absl::StrCat(errors, " problem(s); the first: ",
                         first ? first->ToString() : std::string("?")),
            details);
}

policy::Problem MakeProblem(const std::string& file, std::string path,
                            std::string message) {
  policy::Problem p;
  p.file = file;
  p.path = std::move(path);
  p.message = std::move(message);
  return p;
}

void AppendInfo(const store::PolicyInfo& info, std::string* out) {
  out->append("{\"name\":");
  AppendString(info.name, out);
  absl::StrAppend(out, ",\"latest_generation\":", info.latest_generation,
                  ",\"active_generation\":", info.active_generation,
                  ",\"deleted\":", info.deleted ? "true" : "false",
                  ",\"active_run\":");
  AppendString(info.active_run, out);
  out->push_back('}');
}

void AppendGeneration(const store::PolicyGeneration& g, bool with_spec,
                      std::string* out) {
  absl::StrAppend(out, "{\"generation\":", g.generation, ",\"content_hash\":");
  AppendString(g.content_hash.Hex(), out);
  out->append(",\"created\":");
  AppendTime(g.created, out);
  if (with_spec) {
    out->append(",\"spec\":");
    AppendString(g.spec, out);
  }
  out->push_back('}');
}

}  // namespace

void Server::AddPolicyRoutes() {
  const std::string one = absl::StrCat("/v1/policies/", kName);

  Route("PUT", one.c_str(), Role::kAdmin, Access::kMutate, "policy.apply",
        [this](const Call& c) {
          std::string name = c.req.matches[1];
          std::string file = absl::StrCat(name, ".yaml");
          std::string target = absl::StrCat("policy/", name);
          // Every problem at once: the structure (one policy, its name) and
          // whatever loading and compiling find.
          std::vector<policy::Problem> problems, ignored;
          policy::FileDocs docs =
              policy::LoadDocuments(file, c.req.body, &ignored);
          if (!docs.sources.empty()) {
            problems.push_back(MakeProblem(
                file, "kind",
                "Source documents are applied at /v1/sources/{name}"));
          }
          if (docs.policies.size() > 1) {
            problems.push_back(MakeProblem(
                file, "",
                absl::StrCat("the body must hold exactly one policy "
                             "document; it holds ",
                             docs.policies.size())));
          } else if (docs.policies.size() == 1 &&
                     docs.policies[0].name.value != name) {
            problems.push_back(MakeProblem(
                file, "metadata.name",
                absl::StrCat("metadata.name is '", docs.policies[0].name.value,
                             "' but the URL names '", name, "'")));
          }
          auto compiled = catalog_->CompileWithSources(file, c.req.body);
          if (!compiled.ok()) return SendStatus(c.res, compiled.status());
          std::shared_ptr<policy::PolicySet> set = *compiled;
          for (const policy::Problem& p : set->problems()) {
            if (p.file == file) problems.push_back(p);
          }
          if (!policy::HasErrors(problems) && set->policies().size() != 1) {
            problems.push_back(MakeProblem(
                file, "", "the body must hold exactly one policy document"));
          }
          if (policy::HasErrors(problems) || set == nullptr ||
              set->policies().size() != 1) {
            SendProblems(c.res, problems);
            Audit(c, "policy.apply", target, "invalid",
                  absl::StrCat(problems.size(), " problem(s)"));
            return;
          }
          bool activate = Param(c.req, "activate") != "false";
          auto applied = store_->control().ApplyPolicy(
              name, c.req.body, set->policies()[0]->generation(), absl::Now(),
              activate);
          if (!applied.ok()) {
            SendStatus(c.res, applied.status());
            Audit(c, "policy.apply", target,
                  absl::StrCat("error: ", applied.status().message()));
            return;
          }
          absl::Status st = catalog_->Reload();
          auto info = store_->control().GetPolicy(name);
          if (!st.ok() || !info.ok()) {
            return SendStatus(c.res, st.ok() ? info.status() : st);
          }
          std::string body = "{\"name\":";
          AppendString(name, &body);
          absl::StrAppend(&body, ",\"generation\":", applied->generation,
                          ",\"created\":", applied->created ? "true" : "false",
                          ",\"active_generation\":", info->active_generation,
                          "}");
          SendJson(c.res, applied->created ? 201 : 200, body);
          Audit(c, "policy.apply", target, "ok",
                absl::StrCat(
                    "{\"generation\":", applied->generation,
                    ",\"created\":", applied->created ? "true" : "false", "}"));
        });

  Route("GET", "/v1/policies", Role::kViewer, Access::kRead, "policy.list",
        [this](const Call& c) {
          auto list = store_->control().ListPolicies();
          if (!list.ok()) return SendStatus(c.res, list.status());
          bool all = Param(c.req, "deleted") == "true";
          std::string body = "{\"policies\":[";
          bool first = true;
          for (const store::PolicyInfo& info : *list) {
            if (info.deleted && !all) continue;
            if (!first) body.push_back(',');
            first = false;
            AppendInfo(info, &body);
          }
          body.append("]}");
          SendJson(c.res, 200, std::move(body));
        });

  Route("GET", one.c_str(), Role::kViewer, Access::kRead, "policy.get",
        [this](const Call& c) {
          std::string name = c.req.matches[1];
          auto info = store_->control().GetPolicy(name);
          if (!info.ok()) return SendStatus(c.res, info.status());
          uint64_t gen = info->active_generation;
          if (std::string g = Param(c.req, "generation"); !g.empty()) {
            if (!absl::SimpleAtoi(g, &gen)) {
              return SendError(c.res, 400,
                               "parameter 'generation' must be a number");
            }
          }
          std::string body;
          AppendInfo(*info, &body);
          body.pop_back();
          if (gen > 0) {
            auto g = store_->control().GetGeneration(name, gen);
            if (!g.ok()) return SendStatus(c.res, g.status());
            body.append(",\"spec_generation\":");
            AppendGeneration(*g, true, &body);
          }
          body.push_back('}');
          SendJson(c.res, 200, std::move(body));
        });

  Route("GET", absl::StrCat(one, "/generations").c_str(), Role::kViewer,
        Access::kRead, "policy.generations", [this](const Call& c) {
          std::string name = c.req.matches[1];
          auto info = store_->control().GetPolicy(name);
          if (!info.ok()) return SendStatus(c.res, info.status());
          auto gens = store_->control().ListGenerations(name);
          if (!gens.ok()) return SendStatus(c.res, gens.status());
          std::string body = "{\"name\":";
          AppendString(name, &body);
          absl::StrAppend(&body,
                          ",\"active_generation\":", info->active_generation,
                          ",\"generations\":[");
          for (size_t i = 0; i < gens->size(); ++i) {
            if (i > 0) body.push_back(',');
            AppendGeneration((*gens)[i], Param(c.req, "spec") == "true", &body);
          }
          body.append("]}");
          SendJson(c.res, 200, std::move(body));
        });

  Route("DELETE", one.c_str(), Role::kAdmin, Access::kMutate, "policy.delete",
        [this](const Call& c) {
          std::string name = c.req.matches[1];
          std::string target = absl::StrCat("policy/", name);
          auto info = store_->control().GetPolicy(name);
          absl::Status st = info.status();
          if (st.ok() && info->deleted) {
            st = absl::NotFoundError(
                absl::StrCat("policy '", name, "' is already deleted"));
          }
          if (st.ok()) st = store_->control().DeletePolicy(name);
          if (st.ok()) st = catalog_->Reload();
          if (!st.ok()) {
            SendStatus(c.res, st);
            Audit(c, "policy.delete", target,
                  absl::StrCat("error: ", st.message()));
            return;
          }
          std::string body = "{\"name\":";
          AppendString(name, &body);
          body.append(",\"deleted\":true}");
          SendJson(c.res, 200, std::move(body));
          Audit(c, "policy.delete", target, "ok");
        });

  // The compiled policy of `?generation=` (default: the active one).
  auto compile_generation =
      [this](
          const Call& c, std::string* name,
          uint64_t* gen) -> absl::StatusOr<std::shared_ptr<policy::PolicySet>> {
    *name = c.req.matches[1];
    auto info = store_->control().GetPolicy(*name);
    if (!info.ok()) return info.status();
    *gen = info->active_generation;
    if (std::string g = Param(c.req, "generation");
        !g.empty() && !absl::SimpleAtoi(g, gen)) {
      return absl::InvalidArgumentError(
          "parameter 'generation' must be a number");
    }
    auto spec = store_->control().GetGeneration(*name, *gen);
    if (!spec.ok()) return spec.status();
    auto set =
        catalog_->CompileWithSources(absl::StrCat(*name, ".yaml"), spec->spec);
    if (!set.ok()) return set.status();
    if ((*set)->policies().empty()) {
      return absl::FailedPreconditionError(
          absl::StrCat("generation ", *gen, " of '", *name,
                       "' no longer compiles with the current sources"));
    }
    return *set;
  };
  Route(
      "POST", absl::StrCat(one, "/preview").c_str(), Role::kViewer,
      Access::kRead, "policy.preview",
      [this, compile_generation](const Call& c) {
        std::string type = Param(c.req, "type");
        if (type.empty()) {
          return SendError(c.res, 400,
                           "parameter 'type' is missing (the events' type)");
        }
        std::string name;
        uint64_t gen = 0;
        auto set = compile_generation(c, &name, &gen);
        if (!set.ok()) return SendStatus(c.res, set.status());
        auto items = pipeline::SplitBody(c.req.body);
        if (!items.ok()) return SendStatus(c.res, items.status());
        const policy::CompiledPolicy& p = *(*set)->policies().back();
        policy::Evaluator evaluator(&(*set)->sources());
        std::string out;
        int64_t index = 0;
        for (const pipeline::BodyItem& item : *items) {
          (void)evaluator.Load(type, item.json);
          const policy::Outcome& o = evaluator.Evaluate(p);
          if (o.kind == policy::OutcomeKind::kUnselected) {
            policy::AppendUnselectedJson(index, evaluator.envelope().id, &out);
          } else {
            policy::AppendOutcomeJson(o, index, evaluator.envelope().id, &out);
          }
          out.push_back('\n');
          ++index;
        }
        c.res.status = 200;
        c.res.set_content(std::move(out), "application/x-ndjson");
      });

  // The generation's embedded tests (spec.tests), as `retro policy test`
  // runs them on a file.
  Route("POST", absl::StrCat(one, "/test").c_str(), Role::kViewer,
        Access::kRead, "policy.test", [compile_generation](const Call& c) {
          std::string name;
          uint64_t gen = 0;
          auto set = compile_generation(c, &name, &gen);
          if (!set.ok()) return SendStatus(c.res, set.status());
          const policy::CompiledPolicy& p = *(*set)->policies().back();
          std::vector<policy::TestResult> results =
              policy::RunPolicyTests(p, (*set)->sources());
          int passed = 0;
          for (const policy::TestResult& r : results) passed += r.passed;
          std::string out = "{\"policy\":";
          AppendString(name, &out);
          absl::StrAppend(&out, ",\"generation\":", gen, ",\"passed\":", passed,
                          ",\"failed\":", results.size() - passed,
                          ",\"tests\":[");
          for (size_t i = 0; i < results.size(); ++i) {
            const policy::TestResult& r = results[i];
            if (i > 0) out.push_back(',');
            out.append("{\"name\":");
            AppendString(r.name, &out);
            out.append(",\"path\":");
            AppendString(r.path, &out);
            absl::StrAppend(&out, ",\"line\":", r.line,
                            ",\"passed\":", r.passed ? "true" : "false",
                            ",\"failures\":[");
            for (size_t j = 0; j < r.failures.size(); ++j) {
              if (j > 0) out.push_back(',');
              AppendString(r.failures[j], &out);
            }
            out.append("],\"outcome\":");
            out.append(r.outcome_json.empty() ? "null" : r.outcome_json);
            out.push_back('}');
          }
          out.append("]}");
          SendJson(c.res, 200, std::move(out));
        });
}

void Server::AddSourceRoutes() {
  const std::string one = absl::StrCat("/v1/sources/", kName);

  Route("PUT", one.c_str(), Role::kAdmin, Access::kMutate, "source.apply",
        [this](const Call& c) {
          std::string name = c.req.matches[1];
          std::string file = absl::StrCat(name, ".yaml");
          std::string target = absl::StrCat("source/", name);
          std::vector<policy::Problem> problems;
          policy::FileDocs docs =
              policy::LoadDocuments(file, c.req.body, &problems);
          if (!policy::HasErrors(problems)) {
            if (!docs.policies.empty() || docs.sources.size() != 1) {
              problems.push_back(MakeProblem(
                  file, "", "the body must hold exactly one Source document"));
            } else if (docs.sources[0].name.value != name) {
              problems.push_back(MakeProblem(
                  file, "metadata.name",
                  absl::StrCat("metadata.name is '", docs.sources[0].name.value,
                               "' but the URL names '", name, "'")));
            }
          }
          if (!policy::HasErrors(problems)) {
            auto compiled =
                catalog_->CompileWithSources(file, c.req.body, name);
            if (!compiled.ok()) return SendStatus(c.res, compiled.status());
            for (const policy::Problem& p : (*compiled)->problems()) {
              if (p.file == file) problems.push_back(p);
            }
          }
          if (policy::HasErrors(problems)) {
            SendProblems(c.res, problems);
            Audit(c, "source.apply", target, "invalid",
                  absl::StrCat(problems.size(), " problem(s)"));
            return;
          }
          bool created = !store_->control().GetDocument("source", name).ok();
          store::Document doc{"source", name, absl::Now(), c.req.body};
          absl::Status st = store_->control().PutDocument(doc);
          if (st.ok()) st = catalog_->Reload();
          if (!st.ok()) {
            SendStatus(c.res, st);
            Audit(c, "source.apply", target,
                  absl::StrCat("error: ", st.message()));
            return;
          }
          std::string body = "{\"name\":";
          AppendString(name, &body);
          absl::StrAppend(&body, ",\"created\":", created ? "true" : "false",
                          "}");
          SendJson(c.res, created ? 201 : 200, body);
          Audit(c, "source.apply", target, "ok");
        });

  Route("GET", "/v1/sources", Role::kViewer, Access::kRead, "source.list",
        [this](const Call& c) {
          auto docs = store_->control().ListDocuments("source");
          if (!docs.ok()) return SendStatus(c.res, docs.status());
          std::string body = "{\"sources\":[";
          for (size_t i = 0; i < docs->size(); ++i) {
            if (i > 0) body.push_back(',');
            body.append("{\"name\":");
            AppendString((*docs)[i].name, &body);
            body.append(",\"updated\":");
            AppendTime((*docs)[i].updated, &body);
            body.push_back('}');
          }
          body.append("]}");
          SendJson(c.res, 200, std::move(body));
        });

  Route("GET", one.c_str(), Role::kViewer, Access::kRead, "source.get",
        [this](const Call& c) {
          auto doc =
              store_->control().GetDocument("source", c.req.matches[1].str());
          if (!doc.ok()) return SendStatus(c.res, doc.status());
          std::string body = "{\"name\":";
          AppendString(doc->name, &body);
          body.append(",\"updated\":");
          AppendTime(doc->updated, &body);
          body.append(",\"spec\":");
          AppendString(doc->body, &body);
          body.push_back('}');
          SendJson(c.res, 200, std::move(body));
        });

  Route("DELETE", one.c_str(), Role::kAdmin, Access::kMutate, "source.delete",
        [this](const Call& c) {
          std::string name = c.req.matches[1];
          absl::Status st = store_->control().DeleteDocument("source", name);
          if (st.ok()) st = catalog_->Reload();
          std::string target = absl::StrCat("source/", name);
          if (!st.ok()) {
            SendStatus(c.res, st);
            Audit(c, "source.delete", target,
                  absl::StrCat("error: ", st.message()));
            return;
          }
          std::string body = "{\"name\":";
          AppendString(name, &body);
          body.append(",\"deleted\":true}");
          SendJson(c.res, 200, std::move(body));
          Audit(c, "source.delete", target, "ok");
        });
}

}  // namespace retro::api

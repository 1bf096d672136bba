// GET /v1/records, /v1/audit, /metrics, /healthz, /readyz.
#include "absl/strings/str_cat.h"
#include "api/http_util.h"
#include "api/run_metrics.h"
#include "api/server.h"
#include "base/strings.h"
#include "httplib.h"
#include "prometheus/text_serializer.h"

namespace retro::api {
namespace {

void AppendRecord(const store::Record& r, std::string* out) {
  out->append("{\"policy\":");
  AppendString(r.key.policy, out);
  out->append(",\"origin_type\":");
  AppendString(r.key.origin_type, out);
  out->append(",\"origin_id\":");
  AppendString(r.key.origin_id, out);
  out->append(",\"rule\":");
  AppendString(r.rule, out);
  absl::StrAppend(out, ",\"generation\":", r.generation, ",\"tenant\":");
  AppendString(r.tenant, out);
  out->append(",\"time\":");
  AppendTime(r.key.time, out);
  out->append(",\"record\":");
  out->append(r.payload.empty() ? "null" : r.payload);
  out->push_back('}');
}

}  // namespace

void Server::AddReadRoutes() {
  Route("GET", "/v1/records", Role::kViewer, Access::kRead, "records.list",
        [this](const Call& c) {
          store::RecordQuery q;
          q.policy = Param(c.req, "policy");
          if (q.policy.empty()) {
            return SendError(c.res, 400,
                             "parameter 'policy' is missing (records are "
                             "queried one policy at a time)");
          }
          absl::Status st =
              ParseTimeParam(c.req, "from", absl::InfinitePast(), &q.from);
          if (st.ok())
            st = ParseTimeParam(c.req, "to", absl::InfiniteFuture(), &q.to);
          size_t limit = 0;
          if (st.ok()) st = ParseLimitParam(c.req, 100, 10000, &limit);
          std::string cursor;
          if (st.ok()) st = DecodeCursor(Param(c.req, "cursor"), &cursor);
          if (!st.ok()) return SendStatus(c.res, st);
          if (std::string t = Param(c.req, "tenant"); !t.empty())
            q.tenants.insert(t);
          auto page = store_->records().Query(q, cursor, limit);
          if (!page.ok()) return SendStatus(c.res, page.status());
          std::string body = "{\"records\":[";
          for (size_t i = 0; i < page->records.size(); ++i) {
            if (i > 0) body.push_back(',');
            AppendRecord(page->records[i], &body);
          }
          body.append("],\"next_cursor\":");
          AppendString(EncodeCursor(page->next_cursor), &body);
          body.push_back('}');
          SendJson(c.res, 200, std::move(body));
        });

  Route("GET", "/v1/audit", Role::kViewer, Access::kRead, "audit.list",
        [this](const Call& c) {
          absl::Time from, to;
          absl::Status st =
              ParseTimeParam(c.req, "from", absl::InfinitePast(), &from);
          if (st.ok())
            st = ParseTimeParam(c.req, "to", absl::InfiniteFuture(), &to);
          size_t limit = 0;
          if (st.ok()) st = ParseLimitParam(c.req, 100, 10000, &limit);
          std::string cursor;
          if (st.ok()) st = DecodeCursor(Param(c.req, "cursor"), &cursor);
          if (!st.ok()) return SendStatus(c.res, st);
          auto page = store_->control().QueryAudit(from, to, cursor, limit);
          if (!page.ok()) return SendStatus(c.res, page.status());
          std::string body = "{\"entries\":[";
          for (size_t i = 0; i < page->entries.size(); ++i) {
            const store::AuditEntry& e = page->entries[i];
            if (i > 0) body.push_back(',');
            absl::StrAppend(&body, "{\"number\":", e.number, ",\"time\":");
            AppendTime(e.time, &body);
            body.append(",\"actor\":");
            AppendString(e.actor, &body);
            body.append(",\"action\":");
            AppendString(e.action, &body);
            body.append(",\"target\":");
            AppendString(e.target, &body);
            body.append(",\"outcome\":");
            AppendString(e.outcome, &body);
            body.append(",\"details\":");
            AppendString(e.details, &body);
            body.push_back('}');
          }
          body.append("],\"next_cursor\":");
          AppendString(EncodeCursor(page->next_cursor), &body);
          body.push_back('}');
          SendJson(c.res, 200, std::move(body));
        });

  Route("GET", "/metrics", Role::kViewer, Access::kPublic, "metrics",
        [this](const Call& c) {
          run_metrics_->Update(*runs_);
          prometheus::TextSerializer serializer;
          c.res.status = 200;
          c.res.set_content(serializer.Serialize(metrics_.registry->Collect()),
                            "text/plain; version=0.0.4");
        });

  Route("GET", "/healthz", Role::kViewer, Access::kPublic, "healthz",
        [](const Call& c) { SendJson(c.res, 200, "{\"ok\":true}"); });

  Route("GET", "/readyz", Role::kViewer, Access::kPublic, "readyz",
        [this](const Call& c) {
          std::vector<std::string> reasons;
          if (live_->recovering()) {
            reasons.push_back(absl::StrCat(
                "recovering: ", live_->recovery_pending(),
                " acknowledged events still to re-evaluate"));
          }
          if (!live_->HasRoom(1)) {
            reasons.push_back("live queue is full");
          }
          for (const std::string& p : catalog_->Current()->problems) {
            reasons.push_back(p);
          }
          bool ready = !live_->recovering() && live_->HasRoom(1);
          std::string body =
              absl::StrCat("{\"ready\":", ready ? "true" : "false",
                           ",\"queue_depth\":", live_->depth(),
                           ",\"reasons\":[");
          for (size_t i = 0; i < reasons.size(); ++i) {
            if (i > 0) body.push_back(',');
            AppendString(reasons[i], &body);
          }
          body.append("]}");
          SendJson(c.res, ready ? 200 : 503, std::move(body));
        });
}

}  // namespace retro::api

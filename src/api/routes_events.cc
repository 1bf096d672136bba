// POST /v1/events?type=T and GET /v1/events.
#include "absl/strings/str_cat.h"
#include "api/http_util.h"
#include "api/server.h"
#include "base/strings.h"
#include "httplib.h"

namespace retro::api {
namespace {

void AppendEvent(const store::Event& e, std::string* out) {
  out->append("{\"type\":");
  AppendString(e.type, out);
  out->append(",\"id\":");
  AppendString(e.id, out);
  out->append(",\"tenant\":");
  AppendString(e.tenant, out);
  out->append(",\"time\":");
  AppendTime(e.time, out);
  out->append(",\"source\":");
  AppendString(e.source, out);
  absl::StrAppend(out, ",\"seq\":", e.seq, ",\"data\":");
  out->append(e.data);
  out->push_back('}');
}

}  // namespace

void Server::AddEventRoutes() {
  Route("POST", "/v1/events", Role::kIngest, Access::kMutate, "events.ingest",
        [this](const Call& c) {
          std::string type = Param(c.req, "type");
          std::string source = Param(c.req, "source");
          if (source.empty()) source = "http";
          // The ledger entry of a request that reaches the store is written
          // with its events (one synced write); the others are audited here.
          pipeline::IngestAudit audit{c.principal ? c.principal->name
                                                  : "anonymous"};
          auto result = ingestor_->Ingest(type, c.req.body, source, &audit);
          if (!result.ok()) {
            int status = HttpStatusOf(result.status());
            SendStatus(c.res, result.status());
            if (status != 429 && status != 503) {
              Audit(c, "events.ingest", absl::StrCat("events/", type),
                    absl::StrCat("error: ", result.status().message()));
            }
            return;
          }
          const pipeline::IngestResult& r = *result;
          std::string body =
              absl::StrCat("{\"accepted\":", r.accepted,
                           ",\"duplicates\":", r.duplicates, ",\"rejected\":[");
          for (size_t i = 0; i < r.rejected.size(); ++i) {
            if (i > 0) body.push_back(',');
            absl::StrAppend(&body, "{\"index\":", r.rejected[i].index,
                            ",\"code\":");
            AppendString(r.rejected[i].code, &body);
            body.append(",\"error\":");
            AppendString(r.rejected[i].error, &body);
            body.push_back('}');
          }
          body.append("]}");
          // One event that conflicts with a stored one: 409, nothing written.
          int status = 200;
          if (r.accepted == 0 && r.duplicates == 0 && !r.rejected.empty() &&
              r.conflicts() == r.rejected.size()) {
            status = 409;
            std::string details = body;
            body.clear();
            SendError(c.res, 409,
                      r.rejected.size() == 1
                          ? absl::StrCat("conflict: ", r.rejected[0].error)
                          : "every event conflicts with a stored event of "
                            "the same key and other content",
                      details);
          } else {
            SendJson(c.res, status, body);
          }
          if (r.audited) return;
          Audit(c, "events.ingest", absl::StrCat("events/", type),
                status == 200 ? "ok" : "conflict",
                absl::StrCat("{\"accepted\":", r.accepted,
                             ",\"duplicates\":", r.duplicates,
                             ",\"rejected\":", r.rejected.size(), "}"));
        });

  Route("GET", "/v1/events", Role::kViewer, Access::kRead, "events.list",
        [this](const Call& c) {
          store::EventFilter filter;
          absl::Status st =
              ParseTimeParam(c.req, "from", absl::InfinitePast(), &filter.from);
          if (st.ok())
            st =
                ParseTimeParam(c.req, "to", absl::InfiniteFuture(), &filter.to);
          size_t limit = 0;
          if (st.ok()) st = ParseLimitParam(c.req, 100, 10000, &limit);
          if (!st.ok()) return SendStatus(c.res, st);
          if (std::string t = Param(c.req, "type"); !t.empty())
            filter.types.insert(t);
          if (std::string t = Param(c.req, "tenant"); !t.empty())
            filter.tenants.insert(t);
          std::string id = Param(c.req, "id");
          if (!id.empty()) {
            std::string type = Param(c.req, "type");
            auto e = store_->events().Get(type, id);
            if (!e.ok()) return SendStatus(c.res, e.status());
            std::string body = "{\"events\":[";
            if (e->has_value()) AppendEvent(**e, &body);
            body.append("],\"next_cursor\":\"\"}");
            return SendJson(c.res, 200, std::move(body));
          }
          std::string cursor;
          st = DecodeCursor(Param(c.req, "cursor"), &cursor);
          if (!st.ok()) return SendStatus(c.res, st);
          auto page = store_->events().Scan(filter, cursor, limit);
          if (!page.ok()) return SendStatus(c.res, page.status());
          std::string body = "{\"events\":[";
          for (size_t i = 0; i < page->events.size(); ++i) {
            if (i > 0) body.push_back(',');
            AppendEvent(page->events[i], &body);
          }
          body.append("],\"next_cursor\":");
          AppendString(EncodeCursor(page->next_cursor), &body);
          body.push_back('}');
          SendJson(c.res, 200, std::move(body));
        });
}

}  // namespace retro::api

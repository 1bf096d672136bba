// `retro records` and `retro audit`: read the server's visible records and
// its audit ledger, following cursors up to --limit.
#include <cstdio>
#include <string>

#include "absl/strings/str_cat.h"
#include "cli/remote.h"
#include "simdjson.h"

namespace retro::cli {
namespace {

struct ReadFlags {
  std::string policy, tenant, from, to;
  size_t limit = 100;
  std::string output = "table";
  api::ClientOptions client;
};

std::string Str(simdjson::dom::element e, const char* key) {
  std::string_view v;
  if (e[key].get_string().get(v)) return "";
  return std::string(v);
}

// Calls `path` page by page; `row` gets each element of `array_key`.
template <typename Row>
void Page(const ReadFlags& flags, std::string path, const char* array_key,
          Row row) {
  api::Client client(flags.client);
  std::string cursor;
  size_t n = 0;
  while (n < flags.limit) {
    std::string p = absl::StrCat(path, "&limit=", std::min<size_t>(1000, flags.limit - n));
    if (!cursor.empty()) absl::StrAppend(&p, "&cursor=", cursor);
    api::HttpResponse r = CallOrExit(client, "GET", p);
    simdjson::dom::parser parser;
    simdjson::dom::element root;
    if (parser.parse(r.body).get(root)) {
      std::fprintf(stderr, "error: the server's answer is not JSON\n");
      throw ExitRequest{kExitFailure};
    }
    simdjson::dom::array items;
    if (root[array_key].get_array().get(items)) break;
    for (auto e : items) {
      if (n >= flags.limit) break;
      row(e);
      ++n;
    }
    cursor = Str(root, "next_cursor");
    if (cursor.empty()) break;
  }
}

std::string Query(const ReadFlags& f) {
  std::string q;
  if (!f.tenant.empty()) absl::StrAppend(&q, "&tenant=", UrlEncode(f.tenant));
  if (!f.from.empty()) absl::StrAppend(&q, "&from=", UrlEncode(f.from));
  if (!f.to.empty()) absl::StrAppend(&q, "&to=", UrlEncode(f.to));
  return q;
}

void RunRecords(const ReadFlags& f) {
  bool json = f.output == "json";
  if (!json) std::printf("%-28s %-12s %-18s %s\n", "TIME", "TENANT", "RULE", "SUMMARY");
  Page(f,
       absl::StrCat("/v1/records?policy=", UrlEncode(f.policy), Query(f)),
       "records", [&](simdjson::dom::element e) {
         if (json) {
           std::printf("%s\n", simdjson::minify(e).c_str());
           return;
         }
         std::printf("%-28s %-12s %-18s %s\n", Str(e, "time").c_str(),
                     Str(e, "tenant").c_str(), Str(e, "rule").c_str(),
                     Str(e["record"], "summary").c_str());
       });
}

void RunAudit(const ReadFlags& f) {
  bool json = f.output == "json";
  if (!json)
    std::printf("%-28s %-12s %-16s %-28s %s\n", "TIME", "ACTOR", "ACTION",
                "TARGET", "OUTCOME");
  Page(f, absl::StrCat("/v1/audit?x=1", Query(f)), "entries",
       [&](simdjson::dom::element e) {
         if (json) {
           std::printf("%s\n", simdjson::minify(e).c_str());
           return;
         }
         std::printf("%-28s %-12s %-16s %-28s %s\n", Str(e, "time").c_str(),
                     Str(e, "actor").c_str(), Str(e, "action").c_str(),
                     Str(e, "target").c_str(), Str(e, "outcome").c_str());
       });
}

void AddReadFlags(CLI::App* cmd, ReadFlags* f) {
  cmd->add_option("--from", f->from, "RFC 3339 or relative (-48h)");
  cmd->add_option("--to", f->to, "RFC 3339 or relative");
  cmd->add_option("--limit", f->limit, "at most this many")
      ->capture_default_str();
  cmd->add_option("-o,--output", f->output, "table or json (one a line)")
      ->check(CLI::IsMember({"table", "json"}))
      ->capture_default_str();
  AddClientFlags(cmd, &f->client);
}

void RegisterRecords(CLI::App& app) {
  auto f = std::make_shared<ReadFlags>();
  CLI::App* cmd =
      app.add_subcommand("records", "Print a policy's visible records");
  cmd->add_option("--policy", f->policy, "policy name")->required();
  cmd->add_option("--tenant", f->tenant, "only this tenant");
  AddReadFlags(cmd, f.get());
  cmd->callback([f] { RunRecords(*f); });
}

void RegisterAudit(CLI::App& app) {
  auto f = std::make_shared<ReadFlags>();
  CLI::App* cmd = app.add_subcommand(
      "audit", "Print the audit ledger: who did what, when, with what outcome");
  AddReadFlags(cmd, f.get());
  cmd->callback([f] { RunAudit(*f); });
}

}  // namespace

RETRO_REGISTER_COMMAND(records, RegisterRecords);
RETRO_REGISTER_COMMAND(audit, RegisterAudit);

}  // namespace retro::cli

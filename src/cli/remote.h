// Shared by the client commands (ingest, policy apply|list|…, source,
// records, audit): the --server/--token flags and one-line errors.
#ifndef RETRO_CLI_REMOTE_H_
#define RETRO_CLI_REMOTE_H_

#include <cstdio>
#include <memory>
#include <string>

#include "CLI/CLI.hpp"
#include "api/client.h"
#include "cli/command.h"
#include "simdjson.h"

namespace retro::cli {

inline void AddClientFlags(CLI::App* cmd, api::ClientOptions* options) {
  cmd->add_option("--server", options->server,
                  "server URL (default $RETRO_SERVER, else "
                  "http://127.0.0.1:8080)");
  cmd->add_option("--token", options->token,
                  "bearer token (default $RETRO_TOKEN)");
}

// Sends; on a transport failure or a non-2xx answer prints one line to
// stderr and exits (3: unreachable, 1: refused).
inline api::HttpResponse CallOrExit(api::Client& client,
                                    std::string_view method,
                                    const std::string& path,
                                    const std::string& body = "",
                                    const std::string& content_type =
                                        "application/json") {
  auto r = client.Send(method, path, body, content_type);
  if (!r.ok()) {
    std::fprintf(stderr, "error: %s\n", std::string(r.status().message()).c_str());
    throw ExitRequest{kExitUnavailable};
  }
  if (!r->ok()) {
    std::fprintf(stderr, "error: %s\n", r->ErrorLine().c_str());
    throw ExitRequest{r->status == 503 ? kExitUnavailable : kExitFailure};
  }
  return std::move(*r);
}

// The server's JSON answer; exits (1) when it is not JSON.
inline simdjson::dom::element ParseOrExit(simdjson::dom::parser& parser,
                                          const std::string& body) {
  simdjson::dom::element root;
  if (parser.parse(body).get(root)) {
    std::fprintf(stderr, "error: the server's answer is not JSON\n");
    throw ExitRequest{kExitFailure};
  }
  return root;
}

inline std::string UrlEncode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

}  // namespace retro::cli

#endif  // RETRO_CLI_REMOTE_H_

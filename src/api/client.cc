#include "api/client.h"

#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "api/http_util.h"
#include "base/strings.h"
#include "httplib.h"
#include "simdjson.h"

namespace retro::api {

ClientOptions ResolveClientOptions(ClientOptions flags) {
  if (flags.server.empty()) {
    const char* env = std::getenv("RETRO_SERVER");
    flags.server = env && *env ? env : "http://127.0.0.1:8080";
  }
  if (flags.server.find("://") == std::string::npos) {
    flags.server = absl::StrCat("http://", flags.server);
  }
  while (!flags.server.empty() && flags.server.back() == '/') {
    flags.server.pop_back();
  }
  if (flags.token.empty()) {
    const char* env = std::getenv("RETRO_TOKEN");
    if (env) flags.token = env;
  }
  return flags;
}

std::string HttpResponse::ErrorLine() const {
  std::string message = body;
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (!parser.parse(body).get(root)) {
    std::string_view m;
    if (!root["error"]["message"].get_string().get(m)) message = std::string(m);
  }
  while (!message.empty() && message.back() == '\n') message.pop_back();
  return absl::StrCat(status, " ", base::AV(ErrorCodeName(status)), ": ",
                      message);
}

Client::Client(ClientOptions options)
    : options_(ResolveClientOptions(std::move(options))),
      http_(std::make_unique<httplib::Client>(options_.server)) {
  http_->set_connection_timeout(5, 0);
  http_->set_read_timeout(options_.timeout_seconds, 0);
  http_->set_write_timeout(options_.timeout_seconds, 0);
  http_->set_keep_alive(true);
  // The request head and body are written separately: without this the
  // body waits for the server's delayed ACK of the head.
  http_->set_tcp_nodelay(true);
  if (!options_.token.empty()) http_->set_bearer_token_auth(options_.token);
}

Client::~Client() = default;

absl::StatusOr<HttpResponse> Client::Send(std::string_view method,
                                          const std::string& path,
                                          const std::string& body,
                                          const std::string& content_type) {
  httplib::Result r{nullptr, httplib::Error::Unknown};
  if (method == "GET") {
    r = http_->Get(path);
  } else if (method == "POST") {
    r = http_->Post(path, body, content_type);
  } else if (method == "PUT") {
    r = http_->Put(path, body, content_type);
  } else if (method == "DELETE") {
    r = http_->Delete(path);
  } else {
    return absl::InvalidArgumentError("unsupported method");
  }
  if (!r) {
    return absl::UnavailableError(absl::StrCat(
        "cannot reach ", options_.server, ": ", httplib::to_string(r.error())));
  }
  HttpResponse out;
  out.status = r->status;
  out.body = std::move(r->body);
  out.retry_after = r->get_header_value("Retry-After");
  return out;
}

}  // namespace retro::api

// Client: the HTTP client of the CLI's remote commands. The server and the
// token come from flags, else RETRO_SERVER / RETRO_TOKEN, else
// http://127.0.0.1:8080 and no token.
//
// Thread-safety: one Client per thread.
#ifndef RETRO_API_CLIENT_H_
#define RETRO_API_CLIENT_H_

#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace httplib {
class Client;
}

namespace retro::api {

struct ClientOptions {
  std::string server;  // "http://host:port"
  std::string token;
  int timeout_seconds = 60;
};

// Fills empty fields from the environment and the defaults.
ClientOptions ResolveClientOptions(ClientOptions flags);

struct HttpResponse {
  int status = 0;
  std::string body;
  std::string retry_after;
  bool ok() const { return status >= 200 && status < 300; }
  // The error envelope's message (or the body) with the status:
  // "403 forbidden: token 'ci' has role ingest; ...".
  std::string ErrorLine() const;
};

class Client {
 public:
  explicit Client(ClientOptions options);
  ~Client();
  // Unavailable when the server cannot be reached (no HTTP answer).
  absl::StatusOr<HttpResponse> Send(std::string_view method,
                                    const std::string& path,
                                    const std::string& body = "",
                                    const std::string& content_type =
                                        "application/json");
  const ClientOptions& options() const { return options_; }

 private:
  ClientOptions options_;
  std::unique_ptr<httplib::Client> http_;
};

}  // namespace retro::api

#endif  // RETRO_API_CLIENT_H_

// Small helpers shared by the routes: the JSON error envelope
//   {"error": {"code": "...", "message": "...", "details": {...}}}
// the mapping from absl::Status to HTTP status, and JSON writing.
// Pure functions; thread-safe.
#ifndef RETRO_API_HTTP_UTIL_H_
#define RETRO_API_HTTP_UTIL_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "httplib.h"

namespace retro::api {

// The error code name of an HTTP status ("not_found" for 404, ...).
std::string_view ErrorCodeName(int http_status);
int HttpStatusOf(const absl::Status& status);

// Sets status and the JSON error body. `details_json` is a JSON object.
void SendError(httplib::Response& res, int http_status,
               std::string_view message, std::string_view details_json = "{}");
void SendStatus(httplib::Response& res, const absl::Status& status);
void SendJson(httplib::Response& res, int http_status, std::string body);

void AppendString(std::string_view s, std::string* out);  // a JSON literal
void AppendTime(absl::Time t, std::string* out);           // RFC 3339 or null

// Query parameters.
std::string Param(const httplib::Request& req, const char* name);
// Parses RFC 3339 or relative ("-48h"); empty gives `fallback`.
absl::Status ParseTimeParam(const httplib::Request& req, const char* name,
                            absl::Time fallback, absl::Time* out);
absl::Status ParseLimitParam(const httplib::Request& req, size_t fallback,
                             size_t max, size_t* out);

}  // namespace retro::api

#endif  // RETRO_API_HTTP_UTIL_H_

namespace retro::api {
// Cursors are opaque bytes inside the store; on the wire they are hex.
std::string EncodeCursor(std::string_view raw);
// InvalidArgument when `hex` is not a cursor this server gave out.
absl::Status DecodeCursor(std::string_view hex, std::string* raw);
}  // namespace retro::api

#include "api/http_util.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "base/strings.h"
#include "base/time.h"
#include "policy/canonical_json.h"

namespace retro::api {

std::string_view ErrorCodeName(int s) {
  switch (s) {
    case 400: return "bad_request";
    case 401: return "unauthorized";
    case 403: return "forbidden";
    case 404: return "not_found";
    case 405: return "method_not_allowed";
    case 409: return "conflict";
    case 411: return "length_required";
    case 413: return "payload_too_large";
    case 422: return "invalid";
    case 429: return "too_many_requests";
    case 503: return "unavailable";
    default: return s >= 500 ? "internal" : "error";
  }
}

int HttpStatusOf(const absl::Status& st) {
  switch (st.code()) {
    case absl::StatusCode::kOk: return 200;
    case absl::StatusCode::kInvalidArgument: return 400;
    case absl::StatusCode::kOutOfRange: return 400;
    case absl::StatusCode::kUnauthenticated: return 401;
    case absl::StatusCode::kPermissionDenied: return 403;
    case absl::StatusCode::kNotFound: return 404;
    case absl::StatusCode::kAlreadyExists: return 409;
    case absl::StatusCode::kFailedPrecondition: return 409;
    case absl::StatusCode::kAborted: return 409;
    case absl::StatusCode::kResourceExhausted: return 429;
    case absl::StatusCode::kUnavailable: return 503;
    default: return 500;
  }
}

void AppendString(std::string_view s, std::string* out) {
  policy::AppendJsonString(s, out);
}

void AppendTime(absl::Time t, std::string* out) {
  if (t == absl::InfinitePast() || t == absl::InfiniteFuture()) {
    out->append("null");
    return;
  }
  AppendString(base::FormatRfc3339(t), out);
}

void SendJson(httplib::Response& res, int http_status, std::string body) {
  res.status = http_status;
  body.push_back('\n');
  res.set_content(std::move(body), "application/json");
}

void SendError(httplib::Response& res, int http_status,
               std::string_view message, std::string_view details_json) {
  std::string body = "{\"error\":{\"code\":";
  AppendString(ErrorCodeName(http_status), &body);
  body.append(",\"message\":");
  AppendString(message, &body);
  body.append(",\"details\":");
  body.append(details_json.empty() ? "{}" : details_json);
  body.append("}}");
  if (http_status == 429 || http_status == 503) {
    res.set_header("Retry-After", "1");
  }
  SendJson(res, http_status, std::move(body));
}

void SendStatus(httplib::Response& res, const absl::Status& status) {
  SendError(res, HttpStatusOf(status), std::string(status.message()));
}

std::string Param(const httplib::Request& req, const char* name) {
  return req.has_param(name) ? req.get_param_value(name) : std::string();
}

absl::Status ParseTimeParam(const httplib::Request& req, const char* name,
                            absl::Time fallback, absl::Time* out) {
  std::string v = Param(req, name);
  if (v.empty()) {
    *out = fallback;
    return absl::OkStatus();
  }
  auto t = base::ParseTimeOrRelative(v, absl::Now());
  if (!t.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("parameter '", name, "': ", t.status().message(),
                     " (use RFC 3339 or a relative time such as -48h)"));
  }
  *out = *t;
  return absl::OkStatus();
}

absl::Status ParseLimitParam(const httplib::Request& req, size_t fallback,
                             size_t max, size_t* out) {
  std::string v = Param(req, "limit");
  if (v.empty()) {
    *out = fallback;
    return absl::OkStatus();
  }
  uint64_t n;
  if (!absl::SimpleAtoi(v, &n) || n == 0 || n > max) {
    return absl::InvalidArgumentError(
        absl::StrCat("parameter 'limit' must be between 1 and ", max));
  }
  *out = n;
  return absl::OkStatus();
}

}  // namespace retro::api

namespace retro::api {

std::string EncodeCursor(std::string_view raw) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(raw.size() * 2);
  for (unsigned char c : raw) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 15]);
  }
  return out;
}

absl::Status DecodeCursor(std::string_view hex, std::string* raw) {
  raw->clear();
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  if (hex.size() % 2 != 0) {
    return absl::InvalidArgumentError("parameter 'cursor' is not a cursor");
  }
  for (size_t i = 0; i < hex.size(); i += 2) {
    int hi = nibble(hex[i]), lo = nibble(hex[i + 1]);
    if (hi < 0 || lo < 0) {
      return absl::InvalidArgumentError("parameter 'cursor' is not a cursor");
    }
    raw->push_back(static_cast<char>(hi * 16 + lo));
  }
  return absl::OkStatus();
}

}  // namespace retro::api

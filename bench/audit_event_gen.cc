#include "bench/audit_event_gen.h"

#include <array>
#include <cstring>

namespace retro::bench {
namespace {

struct ResourceKind {
  std::string_view resource;
  std::string_view group;  // "" for the core group
  int weight;
};

// Deployments dominate, as in the fixtures; secrets are frequent enough for
// the secrets policy to see every rule.
constexpr std::array<ResourceKind, 8> kResources = {{
    {"deployments", "apps", 36},
    {"pods", "", 24},
    {"secrets", "", 10},
    {"statefulsets", "apps", 8},
    {"configmaps", "", 7},
    {"services", "", 6},
    {"jobs", "batch", 5},
    {"ingresses", "networking.k8s.io", 4},
}};

struct Verb {
  std::string_view name;
  int weight;
  bool named;  // acts on one object (has objectRef.name)
};

constexpr std::array<Verb, 8> kVerbs = {{
    {"get", 24, true},
    {"list", 13, false},
    {"watch", 8, false},
    {"create", 13, true},
    {"update", 14, true},
    {"patch", 14, true},
    {"delete", 11, true},
    {"deletecollection", 3, false},
}};

constexpr std::array<std::string_view, 8> kTenants = {
    "acme", "globex", "initech", "umbrella", "stark", "wayne", "tyrell", "hooli"};
constexpr std::array<std::string_view, 3> kEnvs = {"dev", "staging", "prod"};
constexpr std::array<std::string_view, 8> kApps = {
    "web", "api", "worker", "frontend", "reports", "search", "ingest",
    "billing"};
constexpr std::array<std::string_view, 5> kHumans = {
    "alice@example.com", "bob@example.com", "carol@example.com",
    "dan@example.com", "erin@example.com"};
constexpr std::array<std::string_view, 5> kSystemUsers = {
    "system:kube-scheduler",
    "system:kube-controller-manager",
    "system:serviceaccount:kube-system:deployment-controller",
    "system:serviceaccount:kube-system:replicaset-controller",
    "system:serviceaccount:flux-system:kustomize-controller",
};
constexpr std::array<std::string_view, 4> kUserAgents = {
    "kubectl/v1.30.2 (linux/amd64) kubernetes/3968350", "flux/v2.3.0",
    "kube-controller-manager/v1.30.2", "Mozilla/5.0 console"};

// 2026-11-20T00:00:00Z, where the fixtures start.
constexpr int64_t kStartMicros = 1'795'132'800LL * 1'000'000;

template <size_t N, typename T>
int64_t TotalWeight(const std::array<T, N>& items) {
  int64_t total = 0;
  for (const T& item : items) total += item.weight;
  return total;
}

void AppendInt(int64_t v, std::string* out) {
  char buf[24];
  int n = std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(v));
  out->append(buf, n);
}

void AppendPadded(int64_t v, int width, std::string* out) {
  char buf[24];
  int n = std::snprintf(buf, sizeof buf, "%0*lld", width,
                        static_cast<long long>(v));
  out->append(buf, n);
}

// Howard Hinnant's civil_from_days: days since 1970-01-01 -> y, m, d.
void CivilFromDays(int64_t z, int64_t* y, int* m, int* d) {
  z += 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  int64_t doe = z - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  *d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  *m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  *y = yoe + era * 400 + (*m <= 2);
}

// A JSON string literal of text that needs no escaping except quotes.
void AppendQuoted(std::string_view s, std::string* out) {
  out->push_back('"');
  for (char c : s) {
    if (c == '"' || c == '\\') out->push_back('\\');
    out->push_back(c);
  }
  out->push_back('"');
}

}  // namespace

AuditEventGenerator::AuditEventGenerator(uint64_t seed)
    : state_(seed), clock_micros_(kStartMicros) {}

uint64_t AuditEventGenerator::Random() {
  uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

uint64_t AuditEventGenerator::Below(uint64_t n) { return Random() % n; }

bool AuditEventGenerator::Chance(int percent) {
  return Below(100) < static_cast<uint64_t>(percent);
}

void AuditEventGenerator::AppendUuid(std::string* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  uint64_t hi = Random(), lo = Random();
  char buf[36];
  int k = 0;
  for (int i = 0; i < 32; ++i) {
    if (i == 8 || i == 12 || i == 16 || i == 20) buf[k++] = '-';
    uint64_t word = i < 16 ? hi : lo;
    int nibble = static_cast<int>((word >> (4 * (15 - i % 16))) & 0xf);
    if (i == 12) nibble = 4;                   // version 4
    if (i == 16) nibble = 8 | (nibble & 0x3);  // RFC 4122 variant
    buf[k++] = kHex[nibble];
  }
  out->append(buf, 36);
}

void AuditEventGenerator::AppendTime(int64_t micros, std::string* out) {
  int64_t secs = micros / 1'000'000;
  int64_t frac = micros % 1'000'000;
  int64_t days = secs / 86400;
  int64_t rem = secs % 86400;
  int64_t year = 0;
  int month = 0, day = 0;
  CivilFromDays(days, &year, &month, &day);
  out->push_back('"');
  AppendPadded(year, 4, out);
  out->push_back('-');
  AppendPadded(month, 2, out);
  out->push_back('-');
  AppendPadded(day, 2, out);
  out->push_back('T');
  AppendPadded(rem / 3600, 2, out);
  out->push_back(':');
  AppendPadded(rem / 60 % 60, 2, out);
  out->push_back(':');
  AppendPadded(rem % 60, 2, out);
  out->push_back('.');
  AppendPadded(frac, 6, out);
  out->append("Z\"");
}

void AuditEventGenerator::Next(std::string* out) {
  // What happens.
  int64_t pick = static_cast<int64_t>(Below(TotalWeight(kResources)));
  const ResourceKind* res = &kResources[0];
  for (const ResourceKind& r : kResources) {
    if (pick < r.weight) {
      res = &r;
      break;
    }
    pick -= r.weight;
  }
  pick = static_cast<int64_t>(Below(TotalWeight(kVerbs)));
  const Verb* verb = &kVerbs[0];
  for (const Verb& v : kVerbs) {
    if (pick < v.weight) {
      verb = &v;
      break;
    }
    pick -= v.weight;
  }
  std::string_view tenant = kTenants[Below(kTenants.size())];
  std::string_view env = kEnvs[Below(kEnvs.size())];
  std::string_view app = kApps[Below(kApps.size())];
  int64_t ordinal = static_cast<int64_t>(Below(40)) + 1;
  bool human = Chance(40);
  std::string_view user = human ? kHumans[Below(kHumans.size())]
                                 : kSystemUsers[Below(kSystemUsers.size())];
  bool workload =
      res->resource == "deployments" || res->resource == "statefulsets";
  bool writes = verb->name == "update" || verb->name == "patch";
  std::string_view subresource;
  if (workload && writes) {
    uint64_t r = Below(100);
    if (r < 18) {
      subresource = "scale";
    } else if (r < 30) {
      subresource = "status";
    }
  } else if (res->resource == "pods" &&
             (verb->name == "create" || verb->name == "get")) {
    uint64_t r = Below(100);
    if (r < 8) {
      subresource = "exec";
    } else if (r < 14) {
      subresource = "log";
    }
  }
  // How it went: secrets are often forbidden to people.
  int code = verb->name == "create" ? 201 : 200;
  std::string_view reason;
  uint64_t r = Below(1000);
  int forbidden = res->resource == "secrets" && human ? 150 : 25;
  if (r < static_cast<uint64_t>(forbidden)) {
    code = 403;
    reason = "Forbidden";
  } else if (verb->named && verb->name != "create" && r >= 960) {
    code = 404;
    reason = "NotFound";
  }
  if (code < 300 && (verb->name == "create" || verb->name == "update")) {
    uint64_t c = Below(100);
    if (c < 3) {
      code = 409;
      reason = verb->name == "create" ? "AlreadyExists" : "Conflict";
    } else if (c < 4) {
      code = 422;
      reason = "Invalid";
    }
  }
  clock_micros_ += static_cast<int64_t>(Below(1'500'000)) + 1;
  int64_t stage_micros = clock_micros_ + 1000 + static_cast<int64_t>(Below(79'000));

  std::string name;
  name.append(app);
  name.push_back('-');
  AppendInt(ordinal, &name);
  std::string ns;
  ns.append(tenant);
  ns.push_back('-');
  ns.append(env);

  // The event, keys in the API server's order.
  out->append(
      "{\"kind\":\"Event\",\"apiVersion\":\"audit.k8s.io/v1\",\"level\":"
      "\"RequestResponse\",\"auditID\":\"");
  AppendUuid(out);
  out->append("\",\"stage\":\"ResponseComplete\",\"requestURI\":\"");
  if (res->group.empty()) {
    out->append("/api/v1");
  } else {
    out->append("/apis/");
    out->append(res->group);
    out->append("/v1");
  }
  out->append("/namespaces/");
  out->append(ns);
  out->push_back('/');
  out->append(res->resource);
  if (verb->named) {
    out->push_back('/');
    out->append(name);
    if (!subresource.empty()) {
      out->push_back('/');
      out->append(subresource);
    }
  } else if (verb->name == "watch") {
    out->append("?watch=true");
  }
  out->append("\",\"verb\":\"");
  out->append(verb->name);
  out->append("\",\"user\":{\"username\":");
  AppendQuoted(user, out);
  out->append(",\"uid\":\"");
  AppendUuid(out);
  out->append("\",\"groups\":[\"system:authenticated\",");
  if (human) {
    out->append("\"team:");
    out->append(tenant);
    out->append("\"]");
  } else {
    out->append("\"system:serviceaccounts\"]");
  }
  out->append(",\"extra\":{\"iam.example.com/tenant\":[\"");
  out->append(tenant);
  out->append("\"]}},\"sourceIPs\":[\"10.");
  AppendInt(static_cast<int64_t>(Below(256)), out);
  out->push_back('.');
  AppendInt(static_cast<int64_t>(Below(256)), out);
  out->push_back('.');
  AppendInt(static_cast<int64_t>(Below(256)), out);
  out->append("\"],\"userAgent\":");
  AppendQuoted(kUserAgents[Below(kUserAgents.size())], out);
  out->append(",\"objectRef\":{\"resource\":\"");
  out->append(res->resource);
  out->append("\",\"namespace\":\"");
  out->append(ns);
  out->append("\",\"apiVersion\":\"v1\"");
  if (!res->group.empty()) {
    out->append(",\"apiGroup\":\"");
    out->append(res->group);
    out->push_back('"');
  }
  if (verb->named) {
    out->append(",\"name\":\"");
    out->append(name);
    out->push_back('"');
    if (!subresource.empty()) {
      out->append(",\"subresource\":\"");
      out->append(subresource);
      out->push_back('"');
    }
  }
  out->append("},\"responseStatus\":{\"metadata\":{}");
  if (code >= 300) {
    out->append(",\"status\":\"Failure\",\"message\":");
    std::string message;
    message.append(res->resource);
    if (verb->named) {
      message.append(" \"");
      message.append(name);
      message.push_back('"');
    }
    if (code == 403) {
      message.append(" is forbidden: User \"");
      message.append(user);
      message.append("\" cannot ");
      message.append(verb->name);
      message.append(" resource \"");
      message.append(res->resource);
      message.append("\" in the namespace \"");
      message.append(ns);
      message.push_back('"');
    } else if (code == 404) {
      message.append(" not found");
    } else if (code == 409) {
      message.append(reason == "AlreadyExists"
                         ? " already exists"
                         : ": the object has been modified; please apply "
                           "your changes to the latest version and try again");
    } else {
      message.append(" is invalid: spec.replicas: Invalid value");
    }
    AppendQuoted(message, out);
    out->append(",\"reason\":\"");
    out->append(reason);
    out->push_back('"');
  }
  out->append(",\"code\":");
  AppendInt(code, out);
  out->append("},\"requestReceivedTimestamp\":");
  AppendTime(clock_micros_, out);
  out->append(",\"stageTimestamp\":");
  AppendTime(stage_micros, out);
  out->append(",\"annotations\":{\"authorization.k8s.io/decision\":");
  if (code == 403) {
    out->append("\"forbid\",\"authorization.k8s.io/reason\":\"\"}");
  } else if (human) {
    out->append(
        "\"allow\",\"authorization.k8s.io/reason\":\"RBAC: allowed by "
        "RoleBinding \\\"edit\\\"\"}");
  } else {
    out->append(
        "\"allow\",\"authorization.k8s.io/reason\":\"RBAC: allowed by "
        "ClusterRoleBinding \\\"system:controller\\\"\"}");
  }
  // What was sent, for writes.
  bool sends = verb->name == "create" || writes;
  int64_t replicas = static_cast<int64_t>(Below(12)) + 1;
  if (sends && subresource == "scale") {
    // Now and then without replicas: not a resize.
    out->append(",\"requestObject\":{\"kind\":\"Scale\",\"spec\":{");
    if (!Chance(10)) {
      out->append("\"replicas\":");
      AppendInt(replicas, out);
    }
    out->append("}}");
  } else if (sends && (subresource.empty() || subresource == "status") &&
             (workload || res->resource == "configmaps" ||
              res->resource == "pods" || res->resource == "secrets")) {
    out->append(",\"requestObject\":{\"metadata\":{\"name\":\"");
    out->append(name);
    out->append("\",\"labels\":{\"app\":\"");
    out->append(app);
    out->append("\",\"env\":\"");
    out->append(env);
    out->append("\"}}");
    if (res->resource == "secrets") {
      out->append(",\"type\":\"Opaque\"}");
    } else if (res->resource == "pods") {
      out->append(",\"spec\":{\"containers\":[{\"name\":\"");
      out->append(app);
      out->append("\",\"image\":\"registry.example.com/");
      out->append(app);
      out->append(":1.");
      AppendInt(static_cast<int64_t>(Below(30)), out);
      out->append("\"}]}}");
    } else if (res->resource == "configmaps") {
      out->append(",\"data\":{\"LOG_LEVEL\":\"info\"}}");
    } else {
      out->append(",\"spec\":{\"replicas\":");
      AppendInt(replicas, out);
      out->push_back('}');
      if (subresource == "status") {
        out->append(",\"status\":{\"replicas\":");
        AppendInt(replicas, out);
        out->append(",\"readyReplicas\":");
        AppendInt(static_cast<int64_t>(Below(replicas + 1)), out);
        out->push_back('}');
      }
      out->push_back('}');
    }
  }
  out->push_back('}');
}

bool WriteAuditEvents(int64_t n, uint64_t seed, FILE* out) {
  AuditEventGenerator gen(seed);
  std::string buffer;
  for (int64_t i = 0; i < n; ++i) {
    gen.Next(&buffer);
    buffer.push_back('\n');
    if (buffer.size() >= (1 << 20) || i + 1 == n) {
      if (std::fwrite(buffer.data(), 1, buffer.size(), out) != buffer.size())
        return false;
      buffer.clear();
    }
  }
  return std::fflush(out) == 0;
}

}  // namespace retro::bench

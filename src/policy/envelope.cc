#include "policy/envelope.h"

#include "base/time.h"

namespace retro::policy::internal {
namespace {

const cel::MapData kEmptyMapData{};

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
// algorithm).
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

bool Digits(std::string_view s, size_t pos, size_t n, int* out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    char c = s[i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  *out = v;
  return true;
}

bool FastParse(std::string_view s, absl::Time* out) {
  int year, month, day, hour, minute, second;
  if (s.size() < 20 || s[4] != '-' || s[7] != '-' ||
      (s[10] != 'T' && s[10] != 't') || s[13] != ':' || s[16] != ':') {
    return false;
  }
  if (!Digits(s, 0, 4, &year) || !Digits(s, 5, 2, &month) ||
      !Digits(s, 8, 2, &day) || !Digits(s, 11, 2, &hour) ||
      !Digits(s, 14, 2, &minute) || !Digits(s, 17, 2, &second)) {
    return false;
  }
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 ||
      minute > 59 || second > 59) {
    return false;
  }
  size_t i = 19;
  int64_t nanos = 0;
  if (s[i] == '.') {
    ++i;
    int n = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      if (n < 9) nanos = nanos * 10 + (s[i] - '0');
      ++n;
      ++i;
    }
    if (n == 0) return false;
    for (; n < 9; ++n) nanos *= 10;
  }
  if (i + 1 != s.size() || (s[i] != 'Z' && s[i] != 'z')) return false;
  // Reject impossible days (Feb 30) by checking the round trip of the month.
  static constexpr int kDays[] = {31, 29, 31, 30, 31, 30,
                                  31, 31, 30, 31, 30, 31};
  if (day > kDays[month - 1]) return false;
  if (month == 2 && day == 29 &&
      !(year % 4 == 0 && (year % 100 != 0 || year % 400 == 0))) {
    return false;
  }
  int64_t secs = DaysFromCivil(year, month, day) * 86400 + hour * 3600 +
                 minute * 60 + second;
  *out = absl::FromUnixSeconds(secs) + absl::Nanoseconds(nanos);
  return true;
}

}  // namespace

const cel::Value* Lookup(const cel::Value& root,
                         std::initializer_list<std::string_view> path) {
  const cel::Value* v = &root;
  for (std::string_view key : path) {
    if (v->kind() != cel::Kind::kMap) return nullptr;
    v = v->map().FindString(key);
    if (v == nullptr) return nullptr;
  }
  return v;
}

std::string_view StringAt(const cel::Value& root,
                          std::initializer_list<std::string_view> path) {
  const cel::Value* v = Lookup(root, path);
  return v != nullptr && v->is_string() ? v->string_value()
                                        : std::string_view();
}

cel::Value NormalizeAudit(const cel::Value& payload, cel::Arena& arena) {
  static constexpr std::string_view kDefaulted[] = {
      "objectRef", "user", "responseStatus", "requestObject", "responseObject"};
  const cel::MapData& map = payload.map();
  int missing = 0;
  for (std::string_view key : kDefaulted)
    missing += map.FindString(key) == nullptr;
  if (missing == 0) return payload;
  uint32_t n = map.size + missing;
  cel::Value* keys = arena.AllocArray<cel::Value>(n);
  cel::Value* values = arena.AllocArray<cel::Value>(n);
  for (uint32_t i = 0; i < map.size; ++i) {
    keys[i] = map.keys[i];
    values[i] = map.values[i];
  }
  uint32_t j = map.size;
  for (std::string_view key : kDefaulted) {
    if (map.FindString(key) != nullptr) continue;
    keys[j] = cel::Value::String(key);
    values[j] = cel::Value::Map(&kEmptyMapData);
    ++j;
  }
  const cel::Value* duplicate = nullptr;
  const cel::MapData* built = cel::BuildMap(arena, keys, values, n, &duplicate);
  return built != nullptr ? cel::Value::Map(built) : payload;
}

cel::Value ActorRef(std::string_view type, std::string_view name,
                    cel::Arena& arena) {
  cel::Value* keys = arena.AllocArray<cel::Value>(2);
  cel::Value* values = arena.AllocArray<cel::Value>(2);
  keys[0] = cel::Value::String("type");
  keys[1] = cel::Value::String("name");
  values[0] = cel::Value::String(type);
  values[1] = cel::Value::String(name);
  const cel::Value* duplicate = nullptr;
  return cel::Value::Map(cel::BuildMap(arena, keys, values, 2, &duplicate));
}

std::string_view AuditActorType(std::string_view username) {
  if (username.starts_with("system:serviceaccount:")) return "serviceaccount";
  if (username.starts_with("system:")) return "system";
  return "user";
}

bool ParseTimestamp(std::string_view text, absl::Time* out) {
  if (FastParse(text, out)) return true;
  auto t = base::ParseRfc3339(text);
  if (!t.ok()) return false;
  *out = *t;
  return true;
}

}  // namespace retro::policy::internal

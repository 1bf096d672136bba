#include "store/codec.h"

#include <limits>

namespace retro::store::codec {
namespace {
constexpr uint64_t kSignBit = uint64_t{1} << 63;
constexpr int64_t kNanosPerHour = int64_t{3600} * 1000 * 1000 * 1000;
}  // namespace

void PutU64BE(std::string* out, uint64_t v) {
  char buf[8];
  for (int i = 7; i >= 0; --i) {
    buf[i] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
  out->append(buf, 8);
}

bool GetU64BE(std::string_view* in, uint64_t* v) {
  if (in->size() < 8) return false;
  uint64_t r = 0;
  for (int i = 0; i < 8; ++i) r = (r << 8) | static_cast<uint8_t>((*in)[i]);
  in->remove_prefix(8);
  *v = r;
  return true;
}

int64_t TimeNanos(absl::Time t) {
  if (t == absl::InfinitePast()) return std::numeric_limits<int64_t>::min();
  if (t == absl::InfiniteFuture()) return std::numeric_limits<int64_t>::max();
  return absl::ToUnixNanos(t);
}

void PutTime(std::string* out, absl::Time t) {
  PutU64BE(out, static_cast<uint64_t>(TimeNanos(t)) ^ kSignBit);
}

bool GetTime(std::string_view* in, absl::Time* t) {
  uint64_t v;
  if (!GetU64BE(in, &v)) return false;
  *t = absl::FromUnixNanos(static_cast<int64_t>(v ^ kSignBit));
  return true;
}

int64_t HourIndex(absl::Time t) {
  int64_t ns = TimeNanos(t);
  int64_t q = ns / kNanosPerHour;
  if (ns % kNanosPerHour < 0) --q;  // floor
  return q;
}

absl::Time HourStart(int64_t hour_index) {
  return absl::UnixEpoch() + absl::Hours(hour_index);
}

absl::Time DayStart(absl::Time t) {
  int64_t h = HourIndex(t);
  int64_t d = h / 24;
  if (h % 24 < 0) --d;
  return absl::UnixEpoch() + absl::Hours(d * 24);
}

void PutHour(std::string* out, absl::Time t) {
  PutU64BE(out, static_cast<uint64_t>(HourIndex(t)) ^ kSignBit);
}

void PutVarint(std::string* out, uint64_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

bool GetVarint(std::string_view* in, uint64_t* v) {
  uint64_t r = 0;
  for (int shift = 0, i = 0; shift <= 63; shift += 7, ++i) {
    if (static_cast<size_t>(i) >= in->size()) return false;
    uint8_t b = static_cast<uint8_t>((*in)[i]);
    r |= uint64_t{b & 0x7fu} << shift;
    if (!(b & 0x80)) {
      in->remove_prefix(i + 1);
      *v = r;
      return true;
    }
  }
  return false;
}

void PutLp(std::string* out, std::string_view s) {
  PutVarint(out, s.size());
  out->append(s);
}

bool GetLp(std::string_view* in, std::string_view* s) {
  uint64_t n;
  if (!GetVarint(in, &n) || n > in->size()) return false;
  *s = in->substr(0, n);
  in->remove_prefix(n);
  return true;
}

void PutStr(std::string* out, std::string_view s) {
  for (char c : s) {
    out->push_back(c);
    if (c == '\0') out->push_back('\xff');
  }
  out->push_back('\0');
  out->push_back('\x01');
}

bool GetStr(std::string_view* in, std::string* s) {
  s->clear();
  for (size_t i = 0; i < in->size(); ++i) {
    char c = (*in)[i];
    if (c != '\0') {
      s->push_back(c);
      continue;
    }
    if (i + 1 >= in->size()) return false;
    char n = (*in)[i + 1];
    if (n == '\x01') {
      in->remove_prefix(i + 2);
      return true;
    }
    if (n != '\xff') return false;
    s->push_back('\0');
    ++i;
  }
  return false;
}

std::string StrPrefixEnd(std::string_view s) {
  std::string out;
  PutStr(&out, s);
  out.back() = '\x02';
  return out;
}

void PutHash(std::string* out, const base::Hash128& h) {
  PutU64BE(out, h.high);
  PutU64BE(out, h.low);
}

bool GetHash(std::string_view* in, base::Hash128* h) {
  return GetU64BE(in, &h->high) && GetU64BE(in, &h->low);
}

std::string ToHex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 0xf]);
  }
  return out;
}

bool FromHex(std::string_view hex, std::string* bytes) {
  if (hex.size() % 2 != 0) return false;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  bytes->clear();
  for (size_t i = 0; i < hex.size(); i += 2) {
    int hi = nibble(hex[i]), lo = nibble(hex[i + 1]);
    if (hi < 0 || lo < 0) return false;
    bytes->push_back(static_cast<char>(hi << 4 | lo));
  }
  return true;
}

}  // namespace retro::store::codec

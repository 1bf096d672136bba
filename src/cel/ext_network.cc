// The network extension (cel-go ext/network.go, after Kubernetes' CEL IP and
// CIDR libraries): opaque net.IP and net.CIDR values, ip(), cidr(), isIP(),
// isCIDR(), ip.isCanonical(), the address predicates, CIDR containment,
// and string() of both. Parsing and printing follow Go's net/netip (RFC
// 5952 text for IPv6). Zones are rejected, and so are IPv4-mapped IPv6
// addresses written with an embedded dotted quad (::ffff:1.2.3.4); the
// hexadecimal form (::ffff:102:304) is accepted and taken as the IPv4
// address it maps, as the conformance suite expects.
#include <array>
#include <cstring>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/strings.h"
#include "cel/ext_internal.h"
#include "cel/library.h"

namespace retro::cel {
namespace ext {
namespace {

constexpr std::string_view kIPType = "net.IP";
constexpr std::string_view kCIDRType = "net.CIDR";

// An IPv4 address (bytes[0..4)) or an IPv6 address (bytes[0..16)).
struct Address {
  std::array<uint8_t, 16> bytes{};
  bool v4 = false;

  int bit_length() const { return v4 ? 32 : 128; }
  friend bool operator==(const Address& a, const Address& b) {
    return a.v4 == b.v4 && a.bytes == b.bytes;
  }
};

std::string AddressString(const Address& a) {
  if (a.v4) {
    return absl::StrFormat("%d.%d.%d.%d", a.bytes[0], a.bytes[1], a.bytes[2],
                           a.bytes[3]);
  }
  uint16_t groups[8];
  for (int i = 0; i < 8; ++i)
    groups[i] = (a.bytes[2 * i] << 8) | a.bytes[2 * i + 1];
  // RFC 5952: compress the first longest run of two or more zero groups.
  int best_start = -1, best_len = 0;
  for (int i = 0; i < 8;) {
    if (groups[i] != 0) {
      ++i;
      continue;
    }
    int j = i;
    while (j < 8 && groups[j] == 0) ++j;
    if (j - i > best_len && j - i >= 2) {
      best_start = i;
      best_len = j - i;
    }
    i = j;
  }
  std::string out;
  for (int i = 0; i < 8; ++i) {
    if (i == best_start) {
      out.append("::");
      i += best_len - 1;
      continue;
    }
    if (!out.empty() && out.back() != ':') out.push_back(':');
    absl::StrAppendFormat(&out, "%x", groups[i]);
  }
  return out;
}

class IPValue final : public OpaqueValue {
 public:
  explicit IPValue(const Address& a) : addr_(a) {}
  std::string_view TypeName() const override { return kIPType; }
  bool Equals(const OpaqueValue& other) const override {
    return other.TypeName() == kIPType &&
           static_cast<const IPValue&>(other).addr_ == addr_;
  }
  std::string DebugString() const override {
    return absl::StrCat("ip(\"", AddressString(addr_), "\")");
  }
  const Address& addr() const { return addr_; }

 private:
  Address addr_;
};

class CIDRValue final : public OpaqueValue {
 public:
  CIDRValue(const Address& a, int bits) : addr_(a), bits_(bits) {}
  std::string_view TypeName() const override { return kCIDRType; }
  bool Equals(const OpaqueValue& other) const override {
    if (other.TypeName() != kCIDRType) return false;
    const auto& o = static_cast<const CIDRValue&>(other);
    return o.addr_ == addr_ && o.bits_ == bits_;
  }
  std::string DebugString() const override {
    return absl::StrCat("cidr(\"", String(), "\")");
  }
  std::string String() const {
    return absl::StrCat(AddressString(addr_), "/", bits_);
  }
  const Address& addr() const { return addr_; }
  int bits() const { return bits_; }

 private:
  Address addr_;
  int bits_;
};

// --- parsing (Go's netip.ParseAddr) ------------------------------------------

// Four decimal fields 0-255 without leading zeros.
bool ParseIPv4(std::string_view s, uint8_t out[4]) {
  int field = 0;
  size_t i = 0;
  while (field < 4) {
    size_t start = i;
    int v = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      v = v * 10 + (s[i] - '0');
      if (v > 255) return false;
      ++i;
    }
    size_t digits = i - start;
    if (digits == 0 || (digits > 1 && s[start] == '0')) return false;
    out[field++] = static_cast<uint8_t>(v);
    if (field < 4) {
      if (i >= s.size() || s[i] != '.') return false;
      ++i;
    }
  }
  return i == s.size();
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// RFC 4291 text: up to eight 16-bit hex groups, at most one "::", and an
// optional dotted IPv4 address as the last 32 bits (*dotted is then set).
bool ParseIPv6(std::string_view s, uint8_t out[16], bool* dotted) {
  *dotted = false;
  std::memset(out, 0, 16);
  int n = 0;  // bytes written
  int ellipsis = -1;
  size_t i = 0;
  if (s.size() >= 2 && s[0] == ':' && s[1] == ':') {
    ellipsis = 0;
    i = 2;
  }
  while (i < s.size()) {
    size_t start = i;
    int v = 0;
    while (i < s.size() && i - start < 5 && HexDigit(s[i]) >= 0) {
      v = (v << 4) | HexDigit(s[i]);
      ++i;
    }
    size_t digits = i - start;
    if (digits == 0 || digits > 4) return false;
    if (i < s.size() && s[i] == '.') {
      if ((ellipsis < 0 && n != 12) || n + 4 > 16) return false;
      if (!ParseIPv4(s.substr(start), out + n)) return false;
      n += 4;
      *dotted = true;
      i = s.size();
      break;
    }
    if (n + 2 > 16) return false;
    out[n++] = static_cast<uint8_t>(v >> 8);
    out[n++] = static_cast<uint8_t>(v & 0xFF);
    if (i == s.size()) break;
    if (s[i] != ':') return false;
    ++i;
    if (i < s.size() && s[i] == ':') {
      if (ellipsis >= 0) return false;
      ellipsis = n;
      ++i;
      if (i == s.size()) break;
    } else if (i == s.size()) {
      return false;  // trailing single colon
    }
    if (n == 16) return false;
  }
  if (n < 16) {
    if (ellipsis < 0) return false;
    int tail = n - ellipsis;
    std::memmove(out + 16 - tail, out + ellipsis, tail);
    std::memset(out + ellipsis, 0, 16 - n);
  } else if (ellipsis >= 0) {
    return false;  // "::" must stand for at least one group
  }
  return true;
}

bool IsMapped4(const uint8_t b[16]) {
  static constexpr uint8_t kPrefix[12] = {0, 0, 0, 0, 0,    0,
                                          0, 0, 0, 0, 0xff, 0xff};
  return std::memcmp(b, kPrefix, 12) == 0;
}

// Parses `s` as an address; on failure returns false with *error set to a
// message about `what` (the text as written).
bool ParseAddress(std::string_view s, Address* out, std::string* error) {
  if (s.find('%') != std::string_view::npos) {
    *error = absl::StrCat("IP Address '", base::AV(s),
                          "' with zone value is not allowed");
    return false;
  }
  out->bytes.fill(0);
  size_t sep = s.find_first_of(".:");
  bool ok = false;
  if (sep != std::string_view::npos && s[sep] == '.') {
    out->v4 = true;
    ok = ParseIPv4(s, out->bytes.data());
  } else if (sep != std::string_view::npos) {
    out->v4 = false;
    bool dotted = false;
    ok = ParseIPv6(s, out->bytes.data(), &dotted);
    if (ok && IsMapped4(out->bytes.data())) {
      if (dotted) {
        *error = absl::StrCat("IP Address '", base::AV(s),
                              "': IPv4-mapped IPv6 address is not allowed");
        return false;
      }
      std::memmove(out->bytes.data(), out->bytes.data() + 12, 4);
      std::memset(out->bytes.data() + 4, 0, 12);
      out->v4 = true;
    }
  }
  if (!ok) {
    *error = absl::StrCat("IP Address '", base::AV(s),
                          "' parse error during conversion from string");
    return false;
  }
  return true;
}

bool ParseCIDR(std::string_view s, Address* addr, int* bits,
               std::string* error) {
  size_t slash = s.rfind('/');
  if (s.find('%') != std::string_view::npos) {
    *error =
        absl::StrCat("CIDR '", base::AV(s), "' with zone value is not allowed");
    return false;
  }
  auto parse_error = [&] {
    *error = absl::StrCat("CIDR '", base::AV(s),
                          "': network address parse error during conversion "
                          "from string");
    return false;
  };
  if (slash == std::string_view::npos) return parse_error();
  std::string_view host = s.substr(0, slash);
  std::string_view len = s.substr(slash + 1);
  addr->bytes.fill(0);
  size_t sep = host.find_first_of(".:");
  if (sep == std::string_view::npos) return parse_error();
  if (host[sep] == '.') {
    addr->v4 = true;
    if (!ParseIPv4(host, addr->bytes.data())) return parse_error();
  } else {
    addr->v4 = false;
    bool dotted = false;
    if (!ParseIPv6(host, addr->bytes.data(), &dotted)) return parse_error();
    if (IsMapped4(addr->bytes.data())) {
      *error = absl::StrCat("CIDR '", base::AV(s),
                            "': IPv4-mapped IPv6 address is not allowed");
      return false;
    }
  }
  if (len.empty() || len.size() > 3 || (len.size() > 1 && len[0] == '0')) {
    return parse_error();
  }
  int b = 0;
  for (char c : len) {
    if (c < '0' || c > '9') return parse_error();
    b = b * 10 + (c - '0');
  }
  if (b > addr->bit_length()) return parse_error();
  *bits = b;
  return true;
}

// --- predicates (Go's netip.Addr methods)
// --------------------------------------

bool IsUnspecified(const Address& a) {
  for (int i = 0; i < (a.v4 ? 4 : 16); ++i) {
    if (a.bytes[i] != 0) return false;
  }
  return true;
}

bool IsLoopback(const Address& a) {
  if (a.v4) return a.bytes[0] == 127;
  static constexpr uint8_t kOne[16] = {0, 0, 0, 0, 0, 0, 0, 0,
                                       0, 0, 0, 0, 0, 0, 0, 1};
  return std::memcmp(a.bytes.data(), kOne, 16) == 0;
}

bool IsMulticast(const Address& a) {
  return a.v4 ? (a.bytes[0] & 0xF0) == 0xE0 : a.bytes[0] == 0xFF;
}

bool IsLinkLocalUnicast(const Address& a) {
  if (a.v4) return a.bytes[0] == 169 && a.bytes[1] == 254;
  return a.bytes[0] == 0xFE && (a.bytes[1] & 0xC0) == 0x80;
}

bool IsLinkLocalMulticast(const Address& a) {
  if (a.v4) return a.bytes[0] == 224 && a.bytes[1] == 0 && a.bytes[2] == 0;
  return a.bytes[0] == 0xFF && (a.bytes[1] & 0x0F) == 0x02;
}

bool IsGlobalUnicast(const Address& a) {
  if (a.v4) {
    bool broadcast = a.bytes[0] == 255 && a.bytes[1] == 255 &&
                     a.bytes[2] == 255 && a.bytes[3] == 255;
    if (broadcast) return false;
  }
  return !IsUnspecified(a) && !IsLoopback(a) && !IsMulticast(a) &&
         !IsLinkLocalUnicast(a);
}

// True when the first `bits` bits of a and b agree.
bool PrefixMatches(const Address& a, const Address& b, int bits) {
  int full = bits / 8;
  if (std::memcmp(a.bytes.data(), b.bytes.data(), full) != 0) return false;
  int rem = bits % 8;
  if (rem == 0) return true;
  uint8_t mask = static_cast<uint8_t>(0xFF << (8 - rem));
  return (a.bytes[full] & mask) == (b.bytes[full] & mask);
}

Address Masked(const Address& a, int bits) {
  Address m = a;
  int len = a.v4 ? 4 : 16;
  for (int i = 0; i < len; ++i) {
    int keep = std::max(0, std::min(8, bits - 8 * i));
    m.bytes[i] &= static_cast<uint8_t>(0xFF00 >> keep);
  }
  return m;
}

bool ContainsIP(const CIDRValue& c, const Address& a) {
  return c.addr().v4 == a.v4 && PrefixMatches(c.addr(), a, c.bits());
}

bool ContainsCIDR(const CIDRValue& c, const Address& addr, int bits) {
  return c.addr().v4 == addr.v4 && c.bits() <= bits &&
         PrefixMatches(c.addr(), addr, c.bits());
}

// --- functions
// -------------------------------------------------------------------

const IPValue& AsIP(const Value& v) {
  return static_cast<const IPValue&>(v.opaque());
}
const CIDRValue& AsCIDR(const Value& v) {
  return static_cast<const CIDRValue&>(v.opaque());
}

Value NewIP(EvalContext& ctx, const Address& a) {
  return Value::Opaque(ctx.arena().NewObject<IPValue>(a));
}

Value IP(EvalContext& ctx, std::span<const Value> args) {
  Address a;
  std::string error;
  if (!ParseAddress(args[0].string_value(), &a, &error))
    return ctx.Error(error);
  return NewIP(ctx, a);
}

Value IsIP(EvalContext& ctx, std::span<const Value> args) {
  Address a;
  std::string error;
  return Value::Bool(ParseAddress(args[0].string_value(), &a, &error));
}

Value IsCanonical(EvalContext& ctx, std::span<const Value> args) {
  Address a;
  std::string error;
  std::string_view s = args[0].string_value();
  if (!ParseAddress(s, &a, &error)) return ctx.Error(error);
  return Value::Bool(AddressString(a) == s);
}

Value CIDR(EvalContext& ctx, std::span<const Value> args) {
  Address a;
  int bits = 0;
  std::string error;
  if (!ParseCIDR(args[0].string_value(), &a, &bits, &error)) {
    return ctx.Error(error);
  }
  return Value::Opaque(ctx.arena().NewObject<CIDRValue>(a, bits));
}

Value IsCIDR(EvalContext& ctx, std::span<const Value> args) {
  Address a;
  int bits = 0;
  std::string error;
  return Value::Bool(ParseCIDR(args[0].string_value(), &a, &bits, &error));
}

template <bool (*P)(const Address&)>
Value IPPredicate(EvalContext&, std::span<const Value> args) {
  return Value::Bool(P(AsIP(args[0]).addr()));
}

Value Family(EvalContext&, std::span<const Value> args) {
  return Value::Int(AsIP(args[0]).addr().v4 ? 4 : 6);
}

Value IPString(EvalContext& ctx, std::span<const Value> args) {
  return NewString(ctx, AddressString(AsIP(args[0]).addr()));
}

Value CIDRString(EvalContext& ctx, std::span<const Value> args) {
  return NewString(ctx, AsCIDR(args[0]).String());
}

Value CIDRContainsIP(EvalContext&, std::span<const Value> args) {
  return Value::Bool(ContainsIP(AsCIDR(args[0]), AsIP(args[1]).addr()));
}

Value CIDRContainsIPString(EvalContext& ctx, std::span<const Value> args) {
  Address a;
  std::string error;
  if (!ParseAddress(args[1].string_value(), &a, &error))
    return ctx.Error(error);
  return Value::Bool(ContainsIP(AsCIDR(args[0]), a));
}

Value CIDRContainsCIDR(EvalContext&, std::span<const Value> args) {
  const CIDRValue& child = AsCIDR(args[1]);
  return Value::Bool(ContainsCIDR(AsCIDR(args[0]), child.addr(), child.bits()));
}

Value CIDRContainsCIDRString(EvalContext& ctx, std::span<const Value> args) {
  Address a;
  int bits = 0;
  std::string error;
  if (!ParseCIDR(args[1].string_value(), &a, &bits, &error)) {
    return ctx.Error(error);
  }
  return Value::Bool(ContainsCIDR(AsCIDR(args[0]), a, bits));
}

Value CIDRIP(EvalContext& ctx, std::span<const Value> args) {
  return NewIP(ctx, AsCIDR(args[0]).addr());
}

Value CIDRMasked(EvalContext& ctx, std::span<const Value> args) {
  const CIDRValue& c = AsCIDR(args[0]);
  return Value::Opaque(
      ctx.arena().NewObject<CIDRValue>(Masked(c.addr(), c.bits()), c.bits()));
}

Value PrefixLength(EvalContext&, std::span<const Value> args) {
  return Value::Int(AsCIDR(args[0]).bits());
}

absl::Status Register(FunctionRegistry& registry) {
  const Type ip = Type::Opaque(std::string(kIPType));
  const Type cidr = Type::Opaque(std::string(kCIDRType));
  const Type s = Type::String();
  const Type b = Type::Bool();
  LibraryBuilder lib(registry);
  lib.Global("is_ip", "isIP", {s}, b, IsIP);
  lib.Global("is_cidr", "isCIDR", {s}, b, IsCIDR);
  lib.Global("string_to_ip", "ip", {s}, ip, IP);
  lib.Member("cidr_ip", "ip", {cidr}, ip, CIDRIP);
  lib.Global("string_to_cidr", "cidr", {s}, cidr, CIDR);
  lib.Global("ip_is_canonical", "ip.isCanonical", {s}, b, IsCanonical);
  lib.Member("ip_family", "family", {ip}, Type::Int(), Family);
  lib.Member("ip_is_loopback", "isLoopback", {ip}, b, IPPredicate<IsLoopback>);
  lib.Member("ip_is_global_unicast", "isGlobalUnicast", {ip}, b,
             IPPredicate<IsGlobalUnicast>);
  lib.Member("ip_is_unspecified", "isUnspecified", {ip}, b,
             IPPredicate<IsUnspecified>);
  lib.Member("ip_is_link_local_multicast", "isLinkLocalMulticast", {ip}, b,
             IPPredicate<IsLinkLocalMulticast>);
  lib.Member("ip_is_link_local_unicast", "isLinkLocalUnicast", {ip}, b,
             IPPredicate<IsLinkLocalUnicast>);
  lib.Member("cidr_contains_ip", "containsIP", {cidr, ip}, b, CIDRContainsIP);
  lib.Member("cidr_contains_ip_string", "containsIP", {cidr, s}, b,
             CIDRContainsIPString);
  lib.Member("cidr_contains_cidr", "containsCIDR", {cidr, cidr}, b,
             CIDRContainsCIDR);
  lib.Member("cidr_contains_cidr_string", "containsCIDR", {cidr, s}, b,
             CIDRContainsCIDRString);
  lib.Member("cidr_masked", "masked", {cidr}, cidr, CIDRMasked);
  lib.Member("cidr_prefix_length", "prefixLength", {cidr}, Type::Int(),
             PrefixLength);
  lib.Global("ip_to_string", "string", {ip}, s, IPString);
  lib.Global("cidr_to_string", "string", {cidr}, s, CIDRString);
  return lib.status();
}

}  // namespace
}  // namespace ext

absl::Status RegisterNetworkExtension(FunctionRegistry& registry) {
  return ext::Register(registry);
}

}  // namespace retro::cel

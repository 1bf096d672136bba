// The encoders extension (cel-go ext/encoders.go): base64.encode(bytes) ->
// string and base64.decode(string) -> bytes, standard alphabet; decoding
// accepts input with or without its '=' padding.
#include "cel/ext_internal.h"
#include "cel/library.h"

namespace retro::cel {
namespace ext {
namespace {

constexpr char kAlphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int DecodeChar(unsigned char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

Value Encode(EvalContext& ctx, std::span<const Value> args) {
  std::string_view in = args[0].bytes_value();
  size_t n = (in.size() + 2) / 3 * 4;
  if (auto err = CheckSize(ctx, n)) return *err;
  if (n == 0) return Value::String("");
  char* out = static_cast<char*>(ctx.arena().Allocate(n, 1));
  size_t w = 0;
  size_t i = 0;
  for (; i + 3 <= in.size(); i += 3) {
    uint32_t v = (static_cast<unsigned char>(in[i]) << 16) |
                 (static_cast<unsigned char>(in[i + 1]) << 8) |
                 static_cast<unsigned char>(in[i + 2]);
    out[w++] = kAlphabet[(v >> 18) & 63];
    out[w++] = kAlphabet[(v >> 12) & 63];
    out[w++] = kAlphabet[(v >> 6) & 63];
    out[w++] = kAlphabet[v & 63];
  }
  size_t rest = in.size() - i;
  if (rest > 0) {
    uint32_t v = static_cast<unsigned char>(in[i]) << 16;
    if (rest == 2) v |= static_cast<unsigned char>(in[i + 1]) << 8;
    out[w++] = kAlphabet[(v >> 18) & 63];
    out[w++] = kAlphabet[(v >> 12) & 63];
    out[w++] = rest == 2 ? kAlphabet[(v >> 6) & 63] : '=';
    out[w++] = '=';
  }
  return Value::String(std::string_view(out, w));
}

// Strict decoding: only the standard alphabet, padding either complete or
// absent, and unused trailing bits zero (as Go's base64.StdEncoding and
// RawStdEncoding require).
Value Decode(EvalContext& ctx, std::span<const Value> args) {
  std::string_view in = args[0].string_value();
  size_t len = in.size();
  if (len % 4 == 0 && len >= 2) {
    if (in[len - 1] == '=') --len;
    if (in[len - 1] == '=') --len;
  }
  if (len % 4 == 1) {
    return ctx.Errorf("base64.decode: illegal base64 data at input byte %d",
                      len);
  }
  size_t n = len / 4 * 3 + (len % 4 == 0 ? 0 : len % 4 - 1);
  if (n == 0) return Value::Bytes("");
  char* out = static_cast<char*>(ctx.arena().Allocate(n, 1));
  size_t w = 0;
  uint32_t acc = 0;
  int bits = 0;
  for (size_t i = 0; i < len; ++i) {
    int d = DecodeChar(static_cast<unsigned char>(in[i]));
    if (d < 0) {
      return ctx.Errorf("base64.decode: illegal base64 data at input byte %d",
                        i);
    }
    acc = (acc << 6) | static_cast<uint32_t>(d);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[w++] = static_cast<char>((acc >> bits) & 0xFF);
    }
  }
  if (bits > 0 && (acc & ((1u << bits) - 1)) != 0) {
    return ctx.Errorf("base64.decode: illegal base64 data at input byte %d",
                      len - 1);
  }
  return Value::Bytes(std::string_view(out, w));
}

}  // namespace
}  // namespace ext

absl::Status RegisterEncodersExtension(FunctionRegistry& registry) {
  ext::LibraryBuilder b(registry);
  b.Global("base64_encode_bytes", "base64.encode", {Type::Bytes()},
           Type::String(), ext::Encode);
  b.Global("base64_decode_string", "base64.decode", {Type::String()},
           Type::Bytes(), ext::Decode);
  return b.status();
}

}  // namespace retro::cel

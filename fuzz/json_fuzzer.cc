// Fuzzes JSON -> values -> JSON: any input either fails to parse with a
// status, or parses into values whose JSON text parses again. Printing is
// stable after one round trip (the first may turn -0 into 0 or 1.0 into 1).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "cel/cel.h"
#include "cel/json.h"

namespace {

// JSON text of a parse of `json`; aborts when either step fails.
std::string RoundTrip(retro::cel::JsonParser& parser, std::string_view json) {
  retro::cel::Arena arena;
  absl::StatusOr<retro::cel::Value> value = parser.Parse(json, arena);
  if (!value.ok()) std::abort();
  std::string text;
  if (!retro::cel::ToJson(*value, &text)) std::abort();
  return text;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static auto* parser = new retro::cel::JsonParser();
  std::string_view json(reinterpret_cast<const char*>(data), size);
  {
    retro::cel::Arena arena;
    if (!parser->Parse(json, arena).ok()) return 0;
  }
  std::string once = RoundTrip(*parser, json);
  std::string twice = RoundTrip(*parser, once);
  if (RoundTrip(*parser, twice) != twice) std::abort();
  return 0;
}

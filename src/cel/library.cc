#include "cel/library.h"

#include "base/status.h"
#include "cel/macros.h"

namespace retro::cel {
namespace {

// Copies `base`'s entries plus `n` more into a new map; an error value when a
// key repeats.
Value MergeIntoMap(EvalContext& ctx, const MapData& base, const Value* keys,
                   const Value* values, uint32_t n) {
  uint32_t total = base.size + n;
  Value* k = ctx.arena().AllocArray<Value>(total);
  Value* v = ctx.arena().AllocArray<Value>(total);
  std::copy(base.keys, base.keys + base.size, k);
  std::copy(base.values, base.values + base.size, v);
  std::copy(keys, keys + n, k + base.size);
  std::copy(values, values + n, v + base.size);
  const Value* dup = nullptr;
  const MapData* m = BuildMap(ctx.arena(), k, v, total, &dup);
  if (m == nullptr) {
    return ctx.Errorf("insert failed: key %s already exists",
                      dup->DebugString());
  }
  return Value::Map(m);
}

Value MapInsertEntry(EvalContext& ctx, std::span<const Value> args) {
  Kind k = args[1].kind();
  if (k != Kind::kString && k != Kind::kInt && k != Kind::kUint &&
      k != Kind::kBool) {
    return ctx.Errorf("unsupported map key type '%s'", args[1].TypeName());
  }
  return MergeIntoMap(ctx, args[0].map(), &args[1], &args[2], 1);
}

Value MapInsertMap(EvalContext& ctx, std::span<const Value> args) {
  const MapData& other = args[1].map();
  return MergeIntoMap(ctx, args[0].map(), other.keys, other.values, other.size);
}

// Functions that macro expansions call (not user-visible names).
absl::Status RegisterMacroSupport(FunctionRegistry& registry) {
  Type k = Type::Param("K"), v = Type::Param("V");
  RETRO_RETURN_IF_ERROR(registry.Register({.id = "cel_map_insert_entry",
                                           .name = kMapInsertFunction,
                                           .params = {Type::Map(k, v), k, v},
                                           .result = Type::Map(k, v),
                                           .impl = MapInsertEntry}));
  return registry.Register({.id = "cel_map_insert_map",
                            .name = kMapInsertFunction,
                            .params = {Type::Map(k, v), Type::Map(k, v)},
                            .result = Type::Map(k, v),
                            .impl = MapInsertMap});
}

}  // namespace

absl::Status RegisterAllLibraries(FunctionRegistry& registry) {
  RETRO_RETURN_IF_ERROR(RegisterStandardLibrary(registry));
  RETRO_RETURN_IF_ERROR(RegisterStringsExtension(registry));
  RETRO_RETURN_IF_ERROR(RegisterMathExtension(registry));
  RETRO_RETURN_IF_ERROR(RegisterEncodersExtension(registry));
  RETRO_RETURN_IF_ERROR(RegisterListsExtension(registry));
  RETRO_RETURN_IF_ERROR(RegisterSetsExtension(registry));
  RETRO_RETURN_IF_ERROR(RegisterOptionalsLibrary(registry));
  RETRO_RETURN_IF_ERROR(RegisterNetworkExtension(registry));
  RETRO_RETURN_IF_ERROR(RegisterMacroSupport(registry));
  return absl::OkStatus();
}

}  // namespace retro::cel

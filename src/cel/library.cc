#include "cel/library.h"

#include "base/status.h"

namespace retro::cel {

absl::Status RegisterAllLibraries(FunctionRegistry& registry) {
  RETRO_RETURN_IF_ERROR(RegisterStandardLibrary(registry));
  RETRO_RETURN_IF_ERROR(RegisterStringsExtension(registry));
  RETRO_RETURN_IF_ERROR(RegisterMathExtension(registry));
  RETRO_RETURN_IF_ERROR(RegisterEncodersExtension(registry));
  RETRO_RETURN_IF_ERROR(RegisterListsExtension(registry));
  RETRO_RETURN_IF_ERROR(RegisterSetsExtension(registry));
  RETRO_RETURN_IF_ERROR(RegisterOptionalsLibrary(registry));
  RETRO_RETURN_IF_ERROR(RegisterNetworkExtension(registry));
  return absl::OkStatus();
}

}  // namespace retro::cel

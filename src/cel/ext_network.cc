#include "cel/library.h"
namespace retro::cel {
absl::Status RegisterNetworkExtension(FunctionRegistry& registry) { return absl::OkStatus(); }
}  // namespace retro::cel

#include "cel/library.h"
namespace retro::cel {
absl::Status RegisterOptionalsLibrary(FunctionRegistry& registry) { return absl::OkStatus(); }
}  // namespace retro::cel

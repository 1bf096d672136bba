#include "cel/library.h"
namespace retro::cel {
absl::Status RegisterSetsExtension(FunctionRegistry& registry) { return absl::OkStatus(); }
}  // namespace retro::cel

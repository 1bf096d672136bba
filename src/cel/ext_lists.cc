#include "cel/library.h"
namespace retro::cel {
absl::Status RegisterListsExtension(FunctionRegistry& registry) { return absl::OkStatus(); }
}  // namespace retro::cel

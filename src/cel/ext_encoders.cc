#include "cel/library.h"
namespace retro::cel {
absl::Status RegisterEncodersExtension(FunctionRegistry& registry) { return absl::OkStatus(); }
}  // namespace retro::cel

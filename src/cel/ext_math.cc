#include "cel/library.h"
namespace retro::cel {
absl::Status RegisterMathExtension(FunctionRegistry& registry) { return absl::OkStatus(); }
}  // namespace retro::cel

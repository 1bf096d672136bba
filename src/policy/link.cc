#include "policy/link.h"

namespace retro::policy {
namespace {

cel::Value Link(cel::EvalContext& ctx, std::span<const cel::Value> args) {
  if (auto* sink = static_cast<LinkSink*>(ctx.host_data())) {
    sink->push_back({args[0], args[1]});
  }
  return args[0];
}

}  // namespace

absl::Status RegisterLinkFunction(cel::FunctionRegistry& registry) {
  cel::Overload overload;
  overload.id = "retro_link_string_dyn";
  overload.name = "link";
  overload.params = {cel::Type::String(), cel::Type::Dyn()};
  overload.result = cel::Type::String();
  overload.impl = &Link;
  overload.pure = false;  // records the link for the evaluation in progress
  return registry.Register(std::move(overload));
}

}  // namespace retro::policy

#include "cel/function.h"

#include "absl/strings/str_cat.h"
#include "re2/re2.h"

namespace retro::cel {

const re2::RE2* EvalContext::Regex(std::string_view pattern, std::string* error) {
  auto it = regex_cache_.find(pattern);
  if (it == regex_cache_.end()) {
    auto re = std::make_shared<re2::RE2>(re2::StringPiece(pattern.data(), pattern.size()),
                                         re2::RE2::Quiet);
    it = regex_cache_.emplace(std::string(pattern), std::move(re)).first;
  }
  if (!it->second->ok()) {
    if (error) *error = it->second->error();
    return nullptr;
  }
  return it->second.get();
}

bool Overload::Matches(std::span<const Value> args) const {
  size_t n = masks.size();
  if (variadic) {
    if (n == 0 || args.size() + 1 < n) return false;
  } else if (args.size() != n) {
    return false;
  }
  for (size_t i = 0; i < args.size(); ++i) {
    uint32_t mask = masks[i < n ? i : n - 1];
    Kind k = args[i].kind();
    if ((mask & (1u << static_cast<int>(k))) == 0) return false;
    if (k == Kind::kOpaque) {
      const Type& p = params[i < n ? i : n - 1];
      if (p.kind() == TypeKind::kOpaque && p.name() != args[i].opaque().TypeName()) {
        return false;
      }
    }
  }
  return true;
}

absl::Status FunctionRegistry::Register(Overload overload) {
  if (overload.impl == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("overload ", overload.id, " has no implementation"));
  }
  overload.masks.clear();
  for (const Type& p : overload.params) overload.masks.push_back(p.KindMask());
  auto& list = by_name_[overload.name];
  for (const Overload* o : list) {
    if (o->id == overload.id) {
      return absl::AlreadyExistsError(
          absl::StrCat("overload id ", overload.id, " registered twice"));
    }
    if (o->member == overload.member && o->params == overload.params) {
      return absl::AlreadyExistsError(absl::StrCat(
          "overload ", overload.id, " has the same signature as ", o->id));
    }
  }
  overloads_.push_back(std::make_unique<Overload>(std::move(overload)));
  list.push_back(overloads_.back().get());
  return absl::OkStatus();
}

std::span<const Overload* const> FunctionRegistry::Find(std::string_view name) const {
  auto it = by_name_.find(name);
  if (it == by_name_.end()) return {};
  return it->second;
}

std::vector<std::string> FunctionRegistry::Names() const {
  std::vector<std::string> names;
  for (const auto& [name, list] : by_name_) names.push_back(name);
  return names;
}

}  // namespace retro::cel

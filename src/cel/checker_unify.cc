#include "cel/checker_unify.h"

namespace retro::cel::checker_internal {
namespace {

bool IsParam(const Type& t) { return t.kind() == TypeKind::kTypeParam; }

// Types whose parameters take part in assignability (and the occurs check).
bool IsParameterized(TypeKind k) {
  return k == TypeKind::kList || k == TypeKind::kMap ||
         k == TypeKind::kOptional || k == TypeKind::kOpaque ||
         k == TypeKind::kType;
}

// cel-go's isEqualOrLessSpecific: t1 matches t2 with dyn (or a parameter)
// standing in for some of t2's parts.
bool IsEqualOrLessSpecific(const Type& t1, const Type& t2) {
  if (t1.is_dyn() || IsParam(t1)) return true;
  if (t2.is_dyn() || IsParam(t2)) return false;
  if (t1.kind() != t2.kind()) return false;
  switch (t1.kind()) {
    case TypeKind::kOpaque:
    case TypeKind::kOptional:
    case TypeKind::kList:
    case TypeKind::kMap: {
      if (t1.name() != t2.name() || t1.params().size() != t2.params().size()) {
        return false;
      }
      for (size_t i = 0; i < t1.params().size(); ++i) {
        if (!IsEqualOrLessSpecific(t1.params()[i], t2.params()[i])) {
          return false;
        }
      }
      return true;
    }
    case TypeKind::kType:
      return true;
    default:
      return t1 == t2;
  }
}

// The occurs check: false when `t` appears in `within` (through bindings).
bool NotReferencedIn(const Substitution& subs, const Type& t,
                     const Type& within) {
  if (t == within) return false;
  if (IsParam(within)) {
    std::optional<Type> sub = subs.Find(within);
    return !sub.has_value() || NotReferencedIn(subs, t, *sub);
  }
  if (IsParameterized(within.kind())) {
    for (const Type& p : within.params()) {
      if (!NotReferencedIn(subs, t, p)) return false;
    }
  }
  return true;
}

// Types to which null may be assigned (cel-go keeps the legacy checker's
// rule that abstract, message and well-known types are nullable).
bool IsNullable(const Type& t) {
  switch (t.kind()) {
    case TypeKind::kNull:
    case TypeKind::kOpaque:
    case TypeKind::kOptional:
    case TypeKind::kMessage:
    case TypeKind::kTimestamp:
    case TypeKind::kDuration:
      return true;
    default:
      return false;
  }
}

bool InternalIsAssignable(Substitution& subs, const Type& t1, const Type& t2);

bool InternalIsAssignableList(Substitution& subs, const std::vector<Type>& l1,
                              const std::vector<Type>& l2) {
  if (l1.size() != l2.size()) return false;
  for (size_t i = 0; i < l1.size(); ++i) {
    if (!InternalIsAssignable(subs, l1[i], l2[i])) return false;
  }
  return true;
}

// Whether t2 (or its binding) is a valid substitution for t1; *has_sub says
// whether t2 was already bound.
bool IsValidTypeSubstitution(Substitution& subs, const Type& t1, const Type& t2,
                             bool* has_sub) {
  *has_sub = false;
  if (t1 == t2) {
    *has_sub = true;
    return true;
  }
  if (std::optional<Type> t2_sub = subs.Find(t2)) {
    *has_sub = true;
    if (t1 == *t2_sub) return true;
    if (InternalIsAssignable(subs, t1, *t2_sub)) {
      Type widened = MostGeneral(t1, *t2_sub);
      if (NotReferencedIn(subs, t2, widened)) subs.Bind(t2, std::move(widened));
      return true;
    }
    return false;
  }
  if (NotReferencedIn(subs, t2, t1)) {
    subs.Bind(t2, t1);
    return true;
  }
  return false;
}

bool InternalIsAssignable(Substitution& subs, const Type& t1, const Type& t2) {
  if (IsParam(t2)) {
    bool has_sub = false;
    if (IsValidTypeSubstitution(subs, t1, t2, &has_sub)) return true;
    if (has_sub) return false;
  }
  if (IsParam(t1)) {
    bool has_sub = false;
    return IsValidTypeSubstitution(subs, t2, t1, &has_sub);
  }
  if (IsDynOrError(t1) || IsDynOrError(t2)) return true;
  if (t1.kind() == TypeKind::kNull) return IsNullable(t2);
  if (t2.kind() == TypeKind::kNull) return IsNullable(t1);
  switch (t1.kind()) {
    case TypeKind::kType:
      return t2.kind() == TypeKind::kType;
    case TypeKind::kList:
    case TypeKind::kMap:
    case TypeKind::kOptional:
    case TypeKind::kOpaque:
      return t1.kind() == t2.kind() && t1.name() == t2.name() &&
             InternalIsAssignableList(subs, t1.params(), t2.params());
    default:
      return t1 == t2;
  }
}

}  // namespace

std::optional<Type> Substitution::Find(const Type& param) const {
  if (param.kind() != TypeKind::kTypeParam) return std::nullopt;
  auto it = bindings_.find(param.name());
  if (it == bindings_.end()) return std::nullopt;
  return it->second;
}

void Substitution::Bind(const Type& param, Type type) {
  auto it = bindings_.find(param.name());
  if (it == bindings_.end()) {
    undo_.emplace_back(param.name(), std::nullopt);
    bindings_.emplace(param.name(), std::move(type));
  } else {
    undo_.emplace_back(param.name(), std::move(it->second));
    it->second = std::move(type);
  }
}

void Substitution::Rollback(size_t mark) {
  while (undo_.size() > mark) {
    auto& [name, old] = undo_.back();
    if (old.has_value()) {
      bindings_[name] = std::move(*old);
    } else {
      bindings_.erase(name);
    }
    undo_.pop_back();
  }
}

const Type& ParamAt(const Type& t, size_t i) {
  static const Type* const kDyn = new Type();
  return i < t.params().size() ? t.params()[i] : *kDyn;
}

bool IsDynOrError(const Type& t) {
  return t.kind() == TypeKind::kDyn || t.kind() == TypeKind::kError;
}

bool IsAssignable(Substitution& subs, const Type& t1, const Type& t2) {
  size_t mark = subs.Mark();
  if (InternalIsAssignable(subs, t1, t2)) return true;
  subs.Rollback(mark);
  return false;
}

bool IsAssignableList(Substitution& subs, const std::vector<Type>& l1,
                      const std::vector<Type>& l2) {
  size_t mark = subs.Mark();
  if (InternalIsAssignableList(subs, l1, l2)) return true;
  subs.Rollback(mark);
  return false;
}

Type MostGeneral(const Type& t1, const Type& t2) {
  if (t2.kind() == TypeKind::kNull) return t1;
  if (t1.kind() == TypeKind::kNull) return t2;
  return IsEqualOrLessSpecific(t1, t2) ? t1 : t2;
}

Type Substitute(const Substitution& subs, const Type& t, bool params_to_dyn) {
  if (std::optional<Type> sub = subs.Find(t)) {
    return Substitute(subs, *sub, params_to_dyn);
  }
  switch (t.kind()) {
    case TypeKind::kTypeParam:
      return params_to_dyn ? Type::Dyn() : t;
    case TypeKind::kList:
      return Type::List(Substitute(subs, ParamAt(t, 0), params_to_dyn));
    case TypeKind::kMap:
      return Type::Map(Substitute(subs, ParamAt(t, 0), params_to_dyn),
                       Substitute(subs, ParamAt(t, 1), params_to_dyn));
    case TypeKind::kOptional:
      return Type::Optional(Substitute(subs, ParamAt(t, 0), params_to_dyn));
    case TypeKind::kType:
      if (t.params().empty()) return t;
      return Type::TypeOf(Substitute(subs, ParamAt(t, 0), params_to_dyn));
    case TypeKind::kOpaque: {
      if (t.params().empty()) return t;
      std::vector<Type> params;
      params.reserve(t.params().size());
      for (const Type& p : t.params()) {
        params.push_back(Substitute(subs, p, params_to_dyn));
      }
      return Type::Opaque(t.name(), std::move(params));
    }
    default:
      return t;
  }
}

}  // namespace retro::cel::checker_internal

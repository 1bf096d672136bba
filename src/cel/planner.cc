#include "cel/planner.h"

#include <optional>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "base/status.h"
#include "base/strings.h"
#include "cel/cel.h"
#include "cel/planner_nodes.h"
#include "re2/re2.h"

namespace retro::cel {
namespace {

using internal::NodePtr;

// Identifiers that denote type values.
std::optional<Value> TypeIdentifier(std::string_view name) {
  static constexpr std::string_view kTypeNames[] = {"int",
                                                    "uint",
                                                    "double",
                                                    "bool",
                                                    "string",
                                                    "bytes",
                                                    "list",
                                                    "map",
                                                    "null_type",
                                                    "type",
                                                    "google.protobuf.Timestamp",
                                                    "google.protobuf.Duration",
                                                    "optional_type",
                                                    "net.IP",
                                                    "net.CIDR"};
  for (std::string_view t : kTypeNames) {
    if (t == name) return Value::Type(t);
  }
  return std::nullopt;
}

bool IsIdent(const Expr* e, std::string_view name) {
  return e != nullptr && e->kind == ExprKind::kIdent && e->name == name;
}

bool IsCall(const Expr* e, std::string_view name, size_t argc) {
  return e != nullptr && e->kind == ExprKind::kCall && e->operand == nullptr &&
         e->name == name && e->args.size() == argc;
}

class Builder {
 public:
  Builder(const Env& env, const PlanOptions& options, Arena& constants)
      : env_(env), options_(options), constants_(constants) {}

  absl::StatusOr<NodePtr> Build(const Expr& e);
  int num_locals() const { return num_locals_; }

 private:
  // Candidate fully qualified names for `name` under the container.
  std::vector<std::string> Candidates(std::string_view name) const;
  int LookupLocal(std::string_view name) const;
  int PushLocal(std::string name) {
    scopes_.emplace_back(std::move(name), num_locals_);
    return num_locals_++;
  }
  void PopLocals(size_t n) { scopes_.resize(scopes_.size() - n); }

  // The dotted name of an ident/select chain (`a.b.c`), if it is one.
  std::optional<std::string> QualifiedName(const Expr& e) const;
  // Resolves a (possibly qualified) name to a variable or type: the node, and
  // how many trailing components of `parts` remain to be selected.
  std::optional<std::pair<NodePtr, size_t>> ResolveQualified(
      const std::vector<std::string>& parts);

  absl::StatusOr<NodePtr> BuildIdent(const Expr& e);
  absl::StatusOr<NodePtr> BuildSelect(const Expr& e);
  absl::StatusOr<NodePtr> BuildCall(const Expr& e);
  absl::StatusOr<NodePtr> BuildList(const Expr& e);
  absl::StatusOr<NodePtr> BuildMap(const Expr& e);
  absl::StatusOr<NodePtr> BuildComprehension(const Expr& e);
  absl::StatusOr<NodePtr> BuildBlock(const Expr& e);
  // Operators with fixed semantics (==, !=, <, <=, >, >=, !, in) as
  // dedicated nodes; nullopt for anything else.
  std::optional<absl::StatusOr<NodePtr>> BuildOperator(const Expr& e);
  // `matches` with a constant, valid pattern; nullopt otherwise.
  std::optional<absl::StatusOr<NodePtr>> BuildMatches(const Expr& e);
  // startsWith/endsWith/contains with a constant string argument.
  std::optional<absl::StatusOr<NodePtr>> BuildStringTest(const Expr& e);
  // exists/all expansions as QuantifierNode; nullopt when not that shape.
  std::optional<absl::StatusOr<NodePtr>> BuildQuantifier(const Expr& e);
  // A left-associative chain of two or more `_+_` as one ConcatNode.
  absl::StatusOr<NodePtr> BuildConcat(const Expr& e);
  // map/filter/transformList expansions as ListBuilderNode.
  std::optional<absl::StatusOr<NodePtr>> BuildListBuilder(const Expr& e);

  NodePtr MakeCall(std::string name, std::vector<NodePtr> args, bool member);
  // Evaluates a node whose inputs are all constants, into a constant node.
  NodePtr Fold(NodePtr node);
  static bool AllConstant(const std::vector<NodePtr>& nodes) {
    for (const NodePtr& n : nodes) {
      if (n->constant() == nullptr) return false;
    }
    return true;
  }

  const Env& env_;
  const PlanOptions& options_;
  Arena& constants_;
  std::vector<std::pair<std::string, int>> scopes_;
  int num_locals_ = 0;
};

std::vector<std::string> Builder::Candidates(std::string_view name) const {
  if (!name.empty() && name[0] == '.') return {std::string(name.substr(1))};
  std::vector<std::string> out;
  std::string container = options_.container;
  while (!container.empty()) {
    out.push_back(absl::StrCat(container, ".", base::AV(name)));
    size_t dot = container.rfind('.');
    container = dot == std::string::npos ? "" : container.substr(0, dot);
  }
  out.push_back(std::string(name));
  return out;
}

int Builder::LookupLocal(std::string_view name) const {
  for (auto it = scopes_.rbegin(); it != scopes_.rend(); ++it) {
    if (it->first == name) return it->second;
  }
  return -1;
}

std::optional<std::string> Builder::QualifiedName(const Expr& e) const {
  if (e.kind == ExprKind::kIdent) return e.name;
  if (e.kind == ExprKind::kSelect && !e.test_only && e.operand != nullptr) {
    auto base = QualifiedName(*e.operand);
    if (!base) return std::nullopt;
    return absl::StrCat(*base, ".", e.name);
  }
  return std::nullopt;
}

std::optional<std::pair<NodePtr, size_t>> Builder::ResolveQualified(
    const std::vector<std::string>& parts) {
  bool absolute = !parts.empty() && !parts[0].empty() && parts[0][0] == '.';
  // Local variables shadow everything and are never qualified.
  if (!absolute) {
    int local = LookupLocal(parts[0]);
    if (local >= 0) {
      return std::make_pair(NodePtr(new internal::LocalNode(local)),
                            parts.size() - 1);
    }
  }
  for (size_t k = parts.size(); k >= 1; --k) {
    std::string name = absl::StrJoin(parts.begin(), parts.begin() + k, ".");
    for (const std::string& candidate : Candidates(name)) {
      int slot = env_.SlotOf(candidate);
      if (slot >= 0) {
        return std::make_pair(NodePtr(new internal::SlotNode(slot, candidate)),
                              parts.size() - k);
      }
      if (auto t = TypeIdentifier(candidate)) {
        return std::make_pair(NodePtr(new internal::ConstNode(*t)),
                              parts.size() - k);
      }
    }
  }
  return std::nullopt;
}

absl::StatusOr<NodePtr> Builder::Build(const Expr& e) {
  switch (e.kind) {
    case ExprKind::kConst: {
      const Constant& c = e.constant;
      switch (c.kind) {
        case Constant::Kind::kNull:
          return NodePtr(new internal::ConstNode(Value::Null()));
        case Constant::Kind::kBool:
          return NodePtr(new internal::ConstNode(Value::Bool(c.bool_value)));
        case Constant::Kind::kInt:
          return NodePtr(new internal::ConstNode(Value::Int(c.int_value)));
        case Constant::Kind::kUint:
          return NodePtr(new internal::ConstNode(Value::Uint(c.uint_value)));
        case Constant::Kind::kDouble:
          return NodePtr(
              new internal::ConstNode(Value::Double(c.double_value)));
        case Constant::Kind::kString:
          return NodePtr(
              new internal::ConstNode(MakeString(constants_, c.string_value)));
        case Constant::Kind::kBytes:
          return NodePtr(
              new internal::ConstNode(MakeBytes(constants_, c.string_value)));
      }
      return absl::InternalError("unknown constant kind");
    }
    case ExprKind::kIdent:
      return BuildIdent(e);
    case ExprKind::kSelect:
      return BuildSelect(e);
    case ExprKind::kCall:
      return BuildCall(e);
    case ExprKind::kList:
      return BuildList(e);
    case ExprKind::kMap:
      return BuildMap(e);
    case ExprKind::kStruct:
      return NodePtr(new internal::ErrorNode(absl::StrCat(
          "message construction is not supported (no protobuf types): ",
          e.name)));
    case ExprKind::kComprehension:
      return BuildComprehension(e);
  }
  return absl::InternalError("unknown expression kind");
}

absl::StatusOr<NodePtr> Builder::BuildIdent(const Expr& e) {
  auto resolved = ResolveQualified({e.name});
  if (resolved) return std::move(resolved->first);
  std::string_view name = e.name;
  if (!name.empty() && name[0] == '.') name.remove_prefix(1);
  return NodePtr(new internal::ErrorNode(
      absl::StrCat("undeclared reference to '", base::AV(name), "'")));
}

absl::StatusOr<NodePtr> Builder::BuildSelect(const Expr& e) {
  if (!e.test_only) {
    if (auto q = QualifiedName(e)) {
      std::vector<std::string> parts = absl::StrSplit(*q, '.');
      if (!q->empty() && (*q)[0] == '.') {
        // ".a.b" splits into "", "a", "b": re-attach the dot to the root.
        parts.erase(parts.begin());
        parts[0] = absl::StrCat(".", parts[0]);
      }
      auto resolved = ResolveQualified(parts);
      if (resolved) {
        size_t rest = resolved->second;
        if (rest == 0) return std::move(resolved->first);
        std::vector<std::string> fields(parts.end() - rest, parts.end());
        return NodePtr(new internal::PathNode(std::move(resolved->first),
                                              std::move(fields)));
      }
      // Unresolvable root: report the shortest name as undeclared.
      std::string_view root = parts[0];
      if (!root.empty() && root[0] == '.') root.remove_prefix(1);
      return NodePtr(new internal::ErrorNode(
          absl::StrCat("undeclared reference to '", base::AV(root), "'")));
    }
  }
  RETRO_ASSIGN_OR_RETURN(NodePtr operand, Build(*e.operand));
  NodePtr node(
      new internal::SelectNode(std::move(operand), e.name, e.test_only));
  return node;
}

NodePtr Builder::MakeCall(std::string name, std::vector<NodePtr> args,
                          bool member) {
  std::vector<const Overload*> candidates;
  for (const Overload* o : env_.functions().Find(name)) {
    if (o->member == member) candidates.push_back(o);
  }
  bool pure = !candidates.empty();
  for (const Overload* o : candidates) pure = pure && o->pure;
  bool constant = options_.fold_constants && AllConstant(args) && pure;
  NodePtr node(new internal::CallNode(std::move(name), std::move(args),
                                      std::move(candidates)));
  return constant ? Fold(std::move(node)) : std::move(node);
}

NodePtr Builder::Fold(NodePtr node) {
  EvalOptions options;
  EvalContext ctx(constants_, options);
  Frame frame{nullptr, &ctx, nullptr};
  Value v = node->Eval(frame);
  return NodePtr(new internal::ConstNode(v));
}

absl::StatusOr<NodePtr> Builder::BuildCall(const Expr& e) {
  const std::string& fn = e.name;
  size_t argc = e.args.size();
  if (e.operand == nullptr) {
    if ((fn == "_&&_" || fn == "_||_") && argc == 2) {
      RETRO_ASSIGN_OR_RETURN(NodePtr a, Build(*e.args[0]));
      RETRO_ASSIGN_OR_RETURN(NodePtr b, Build(*e.args[1]));
      if (fn == "_&&_")
        return NodePtr(new internal::AndNode(std::move(a), std::move(b)));
      return NodePtr(new internal::OrNode(std::move(a), std::move(b)));
    }
    if (fn == "_?_:_" && argc == 3) {
      RETRO_ASSIGN_OR_RETURN(NodePtr c, Build(*e.args[0]));
      RETRO_ASSIGN_OR_RETURN(NodePtr t, Build(*e.args[1]));
      RETRO_ASSIGN_OR_RETURN(NodePtr f, Build(*e.args[2]));
      if (const Value* cv = c->constant(); cv != nullptr && cv->is_bool()) {
        return cv->bool_value() ? std::move(t) : std::move(f);
      }
      return NodePtr(
          new internal::CondNode(std::move(c), std::move(t), std::move(f)));
    }
    if (fn == "cel.@block" && argc == 2) return BuildBlock(e);
    if (auto fast = BuildOperator(e)) return std::move(*fast);
  }
  if (fn == "matches" && argc + (e.operand != nullptr) == 2) {
    if (auto fast = BuildMatches(e)) return std::move(*fast);
  }
  if ((fn == "startsWith" || fn == "endsWith" || fn == "contains") &&
      argc == 1 && e.operand != nullptr) {
    if (auto fast = BuildStringTest(e)) return std::move(*fast);
  }

  if (e.operand == nullptr && fn == "_+_" && argc == 2 &&
      IsCall(e.args[0].get(), "_+_", 2)) {
    return BuildConcat(e);
  }

  std::vector<NodePtr> args;
  bool member = false;
  std::string name = fn;
  if (e.operand != nullptr) {
    // `ns.fn(x)` names a namespaced global function when the receiver is a
    // plain name that is not a variable.
    std::optional<std::string> q = QualifiedName(*e.operand);
    bool resolved_global = false;
    if (q &&
        LookupLocal(std::vector<std::string>(absl::StrSplit(*q, '.'))[0]) < 0) {
      for (const std::string& candidate :
           Candidates(absl::StrCat(*q, ".", fn))) {
        bool has_global = false;
        for (const Overload* o : env_.functions().Find(candidate))
          has_global |= !o->member;
        if (has_global && !ResolveQualified(absl::StrSplit(*q, '.'))) {
          name = candidate;
          resolved_global = true;
          break;
        }
      }
    }
    if (!resolved_global) {
      member = true;
      RETRO_ASSIGN_OR_RETURN(NodePtr target, Build(*e.operand));
      args.push_back(std::move(target));
    }
  } else {
    for (const std::string& candidate : Candidates(fn)) {
      if (env_.functions().Has(candidate)) {
        name = candidate;
        break;
      }
    }
  }
  for (const ExprPtr& arg : e.args) {
    RETRO_ASSIGN_OR_RETURN(NodePtr a, Build(*arg));
    args.push_back(std::move(a));
  }
  return MakeCall(std::move(name), std::move(args), member);
}

absl::StatusOr<NodePtr> Builder::BuildList(const Expr& e) {
  std::vector<NodePtr> elems;
  std::vector<bool> optional(e.args.size(), false);
  for (int32_t i : e.optional_indices) {
    if (i >= 0 && static_cast<size_t>(i) < optional.size()) optional[i] = true;
  }
  for (const ExprPtr& arg : e.args) {
    RETRO_ASSIGN_OR_RETURN(NodePtr a, Build(*arg));
    elems.push_back(std::move(a));
  }
  bool constant = options_.fold_constants && AllConstant(elems);
  NodePtr node(new internal::ListNode(std::move(elems), std::move(optional)));
  return constant ? Fold(std::move(node)) : std::move(node);
}

absl::StatusOr<NodePtr> Builder::BuildMap(const Expr& e) {
  std::vector<internal::MapNode::Entry> entries;
  bool constant = options_.fold_constants;
  for (const Expr::Entry& entry : e.entries) {
    RETRO_ASSIGN_OR_RETURN(NodePtr k, Build(*entry.key));
    RETRO_ASSIGN_OR_RETURN(NodePtr v, Build(*entry.value));
    constant = constant && k->constant() != nullptr && v->constant() != nullptr;
    entries.push_back({std::move(k), std::move(v), entry.optional});
  }
  NodePtr node(new internal::MapNode(std::move(entries)));
  return constant ? Fold(std::move(node)) : std::move(node);
}

absl::StatusOr<NodePtr> Builder::BuildComprehension(const Expr& e) {
  if (auto fast = BuildQuantifier(e)) return std::move(*fast);
  if (auto fast = BuildListBuilder(e)) return std::move(*fast);
  internal::ComprehensionNode::Parts p;
  RETRO_ASSIGN_OR_RETURN(p.range, Build(*e.iter_range));
  RETRO_ASSIGN_OR_RETURN(p.init, Build(*e.accu_init));
  p.accu_var = PushLocal(e.accu_var);
  p.iter_var = PushLocal(e.iter_var);
  size_t pushed = 2;
  if (!e.iter_var2.empty()) {
    p.iter_var2 = PushLocal(e.iter_var2);
    ++pushed;
  }
  RETRO_ASSIGN_OR_RETURN(p.condition, Build(*e.loop_condition));
  RETRO_ASSIGN_OR_RETURN(p.step, Build(*e.loop_step));
  PopLocals(pushed - 1);  // the result sees only the accumulator
  RETRO_ASSIGN_OR_RETURN(p.result, Build(*e.result));
  PopLocals(1);
  return NodePtr(new internal::ComprehensionNode(std::move(p)));
}

absl::StatusOr<NodePtr> Builder::BuildBlock(const Expr& e) {
  const Expr& list = *e.args[0];
  if (list.kind != ExprKind::kList) {
    return NodePtr(
        new internal::ErrorNode("cel.block expects a list of bindings"));
  }
  std::vector<int> slots;
  std::vector<NodePtr> bindings;
  for (size_t i = 0; i < list.args.size(); ++i) {
    RETRO_ASSIGN_OR_RETURN(NodePtr b, Build(*list.args[i]));
    bindings.push_back(std::move(b));
    slots.push_back(PushLocal(absl::StrCat("@index", i)));
  }
  RETRO_ASSIGN_OR_RETURN(NodePtr result, Build(*e.args[1]));
  PopLocals(list.args.size());
  return NodePtr(new internal::BlockNode(std::move(bindings), std::move(slots),
                                         std::move(result)));
}

std::optional<absl::StatusOr<NodePtr>> Builder::BuildOperator(const Expr& e) {
  using Op = internal::RelationNode::Op;
  const std::string& fn = e.name;
  size_t argc = e.args.size();
  auto binary = [&](auto make) -> absl::StatusOr<NodePtr> {
    RETRO_ASSIGN_OR_RETURN(NodePtr a, Build(*e.args[0]));
    RETRO_ASSIGN_OR_RETURN(NodePtr b, Build(*e.args[1]));
    bool constant = options_.fold_constants && a->constant() && b->constant();
    NodePtr node = make(std::move(a), std::move(b));
    return constant ? Fold(std::move(node)) : std::move(node);
  };
  auto relation = [&](Op op) {
    return binary([&](NodePtr a, NodePtr b) {
      return NodePtr(
          new internal::RelationNode(std::move(a), std::move(b), op, fn));
    });
  };
  if (argc == 2) {
    if (fn == "_==_" || fn == "_!=_") {
      return binary([&](NodePtr a, NodePtr b) {
        return NodePtr(
            new internal::EqualNode(std::move(a), std::move(b), fn == "_!=_"));
      });
    }
    if (fn == "_<_") return relation(Op::kLess);
    if (fn == "_<=_") return relation(Op::kLessEqual);
    if (fn == "_>_") return relation(Op::kGreater);
    if (fn == "_>=_") return relation(Op::kGreaterEqual);
    if (fn == "@in") {
      return binary([](NodePtr a, NodePtr b) {
        return NodePtr(new internal::InNode(std::move(a), std::move(b)));
      });
    }
  }
  if (argc == 1 && fn == "!_") {
    auto a = Build(*e.args[0]);
    if (!a.ok()) return a.status();
    bool constant = options_.fold_constants && (*a)->constant();
    NodePtr node(new internal::NotNode(std::move(a).value()));
    return constant ? Fold(std::move(node)) : std::move(node);
  }
  return std::nullopt;
}

std::optional<absl::StatusOr<NodePtr>> Builder::BuildMatches(const Expr& e) {
  const Expr& subject = e.operand != nullptr ? *e.operand : *e.args[0];
  const Expr& pattern = e.operand != nullptr ? *e.args[0] : *e.args[1];
  if (pattern.kind != ExprKind::kConst ||
      pattern.constant.kind != Constant::Kind::kString) {
    return std::nullopt;
  }
  if (e.operand != nullptr && QualifiedName(*e.operand) &&
      !ResolveQualified(absl::StrSplit(*QualifiedName(*e.operand), '.'))) {
    return std::nullopt;  // a namespaced call, not a receiver
  }
  auto re = std::make_unique<re2::RE2>(pattern.constant.string_value,
                                       re2::RE2::Quiet);
  if (!re->ok()) return std::nullopt;  // the library reports the bad pattern
  auto s = Build(subject);
  if (!s.ok()) return s.status();
  return NodePtr(
      new internal::MatchesNode(std::move(s).value(), std::move(re)));
}

std::optional<absl::StatusOr<NodePtr>> Builder::BuildQuantifier(const Expr& e) {
  if (!e.iter_var2.empty() || e.accu_init == nullptr ||
      e.accu_init->kind != ExprKind::kConst ||
      e.accu_init->constant.kind != Constant::Kind::kBool ||
      !IsIdent(e.result.get(), e.accu_var)) {
    return std::nullopt;
  }
  bool exists = !e.accu_init->constant.bool_value;
  const Expr* cond = e.loop_condition.get();
  if (!IsCall(cond, "@not_strictly_false", 1)) return std::nullopt;
  const Expr* inner = cond->args[0].get();
  if (exists ? !(IsCall(inner, "!_", 1) &&
                 IsIdent(inner->args[0].get(), e.accu_var))
             : !IsIdent(inner, e.accu_var)) {
    return std::nullopt;
  }
  const Expr* step = e.loop_step.get();
  if (!IsCall(step, exists ? "_||_" : "_&&_", 2) ||
      !IsIdent(step->args[0].get(), e.accu_var)) {
    return std::nullopt;
  }
  auto range = Build(*e.iter_range);
  if (!range.ok()) return range.status();
  int iter = PushLocal(e.iter_var);
  auto predicate = Build(*step->args[1]);
  PopLocals(1);
  if (!predicate.ok()) return predicate.status();
  return NodePtr(new internal::QuantifierNode(
      std::move(range).value(), iter, std::move(predicate).value(), exists));
}

absl::StatusOr<NodePtr> Builder::BuildConcat(const Expr& e) {
  // Collect the operands of ((a + b) + c) + d left to right.
  std::vector<const Expr*> chain;
  const Expr* cur = &e;
  while (IsCall(cur, "_+_", 2)) {
    chain.push_back(cur->args[1].get());
    cur = cur->args[0].get();
  }
  chain.push_back(cur);
  std::vector<NodePtr> operands;
  bool constant = options_.fold_constants;
  for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
    RETRO_ASSIGN_OR_RETURN(NodePtr op, Build(**it));
    constant = constant && op->constant() != nullptr;
    operands.push_back(std::move(op));
  }
  std::vector<const Overload*> candidates;
  for (const Overload* o : env_.functions().Find("_+_")) {
    if (!o->member) candidates.push_back(o);
  }
  auto add = std::make_unique<internal::CallNode>("_+_", std::vector<NodePtr>{},
                                                  std::move(candidates));
  NodePtr node(new internal::ConcatNode(std::move(operands), std::move(add)));
  return constant ? Fold(std::move(node)) : std::move(node);
}

std::optional<absl::StatusOr<NodePtr>> Builder::BuildStringTest(const Expr& e) {
  using Op = internal::StringTestNode::Op;
  const Expr& arg = *e.args[0];
  if (arg.kind != ExprKind::kConst ||
      arg.constant.kind != Constant::Kind::kString) {
    return std::nullopt;
  }
  if (QualifiedName(*e.operand) &&
      !ResolveQualified(absl::StrSplit(*QualifiedName(*e.operand), '.'))) {
    return std::nullopt;  // a namespaced call, not a receiver
  }
  std::vector<const Overload*> candidates;
  for (const Overload* o : env_.functions().Find(e.name)) {
    if (o->member) candidates.push_back(o);
  }
  auto receiver = Build(*e.operand);
  if (!receiver.ok()) return receiver.status();
  Op op = e.name == "startsWith" ? Op::kStartsWith
          : e.name == "endsWith" ? Op::kEndsWith
                                 : Op::kContains;
  auto general = std::make_unique<internal::CallNode>(
      e.name, std::vector<NodePtr>{}, std::move(candidates));
  NodePtr node(new internal::StringTestNode(std::move(receiver).value(),
                                            arg.constant.string_value, op,
                                            std::move(general)));
  bool constant = options_.fold_constants && node != nullptr &&
                  e.operand->kind == ExprKind::kConst;
  return constant ? Fold(std::move(node)) : std::move(node);
}

// Matches `@result + [elem]`; returns elem.
const Expr* AppendedElement(const Expr* step, const std::string& accu) {
  if (!IsCall(step, "_+_", 2) || !IsIdent(step->args[0].get(), accu))
    return nullptr;
  const Expr* list = step->args[1].get();
  if (list->kind != ExprKind::kList || list->args.size() != 1 ||
      !list->optional_indices.empty()) {
    return nullptr;
  }
  return list->args[0].get();
}

std::optional<absl::StatusOr<NodePtr>> Builder::BuildListBuilder(
    const Expr& e) {
  if (e.accu_init == nullptr || e.accu_init->kind != ExprKind::kList ||
      !e.accu_init->args.empty() || !IsIdent(e.result.get(), e.accu_var) ||
      e.loop_condition == nullptr ||
      e.loop_condition->kind != ExprKind::kConst ||
      e.loop_condition->constant.kind != Constant::Kind::kBool ||
      !e.loop_condition->constant.bool_value) {
    return std::nullopt;
  }
  const Expr* step = e.loop_step.get();
  const Expr* predicate = nullptr;
  const Expr* element = AppendedElement(step, e.accu_var);
  if (element == nullptr) {
    if (!IsCall(step, "_?_:_", 3) ||
        !IsIdent(step->args[2].get(), e.accu_var)) {
      return std::nullopt;
    }
    predicate = step->args[0].get();
    element = AppendedElement(step->args[1].get(), e.accu_var);
    if (element == nullptr) return std::nullopt;
  }
  internal::ListBuilderNode::Parts p;
  auto range = Build(*e.iter_range);
  if (!range.ok()) return range.status();
  p.range = std::move(range).value();
  // The accumulator is never read by the element or predicate (checked
  // below by keeping it out of scope: a reference resolves as undeclared).
  p.iter_var = PushLocal(e.iter_var);
  size_t pushed = 1;
  if (!e.iter_var2.empty()) {
    p.iter_var2 = PushLocal(e.iter_var2);
    ++pushed;
  }
  absl::Status status;
  if (predicate != nullptr) {
    auto built = Build(*predicate);
    if (built.ok())
      p.predicate = std::move(built).value();
    else
      status = built.status();
  }
  if (status.ok()) {
    auto built = Build(*element);
    if (built.ok())
      p.element = std::move(built).value();
    else
      status = built.status();
  }
  PopLocals(pushed);
  if (!status.ok()) return status;
  return NodePtr(new internal::ListBuilderNode(std::move(p)));
}

}  // namespace

absl::StatusOr<std::unique_ptr<Plan>> BuildPlan(const ParsedExpr& parsed,
                                                const Env& env,
                                                const PlanOptions& options,
                                                Arena& constants) {
  if (parsed.expr == nullptr)
    return absl::InvalidArgumentError("empty expression");
  Builder builder(env, options, constants);
  RETRO_ASSIGN_OR_RETURN(NodePtr root, builder.Build(*parsed.expr));
  return std::make_unique<Plan>(std::move(root), builder.num_locals());
}

}  // namespace retro::cel

#include "policy/compiler.h"

#include <algorithm>
#include <numeric>

#include "absl/strings/str_cat.h"
#include "base/strings.h"
#include "cel/json.h"
#include "cel/parser.h"
#include "policy/kinds.h"
#include "policy/link.h"
#include "policy/loader_internal.h"
#include "policy/template.h"
#include "policy/yaml_util.h"

namespace retro::policy {
namespace {

const char* VarName(Var v) {
  switch (v) {
    case Var::kAudit:
      return "audit";
    case Var::kEvent:
      return "event";
    case Var::kActor:
      return "actor";
    case Var::kActorRef:
      return "actorRef";
    case Var::kKind:
      return "kind";
    case Var::kData:
      return "data";
    case Var::kMeta:
      return "meta";
    case Var::kParams:
      return "params";
  }
  return "";
}

bool IsKnown(const cel::Type& t) {
  return t.kind() != cel::TypeKind::kDyn &&
         t.kind() != cel::TypeKind::kTypeParam &&
         t.kind() != cel::TypeKind::kError;
}

// The most specific type describing every value given (dyn when they differ).
cel::Type Unify(const cel::Type& a, const cel::Type& b) {
  return a == b ? a : cel::Type::Dyn();
}

// The static type of a params value, so the checker can catch mistakes.
cel::Type TypeOfValue(const cel::Value& v) {
  switch (v.kind()) {
    case cel::Kind::kBool:
      return cel::Type::Bool();
    case cel::Kind::kInt:
      return cel::Type::Int();
    case cel::Kind::kUint:
      return cel::Type::Uint();
    case cel::Kind::kDouble:
      return cel::Type::Double();
    case cel::Kind::kString:
      return cel::Type::String();
    case cel::Kind::kList: {
      if (v.list().empty()) return cel::Type::List(cel::Type::Dyn());
      cel::Type elem = TypeOfValue(v.list()[0]);
      for (const cel::Value& item : v.list())
        elem = Unify(elem, TypeOfValue(item));
      return cel::Type::List(elem);
    }
    case cel::Kind::kMap: {
      const cel::MapData& m = v.map();
      if (m.size == 0)
        return cel::Type::Map(cel::Type::String(), cel::Type::Dyn());
      cel::Type value = TypeOfValue(m.values[0]);
      for (uint32_t i = 1; i < m.size; ++i)
        value = Unify(value, TypeOfValue(m.values[i]));
      return cel::Type::Map(cel::Type::String(), value);
    }
    default:
      return cel::Type::Dyn();
  }
}

// The payload variable an identifier names, if any.
bool PayloadVar(std::string_view name, Var* var) {
  if (name == "audit") {
    *var = Var::kAudit;
  } else if (name == "event") {
    *var = Var::kEvent;
  } else if (name == "data") {
    *var = Var::kData;
  } else {
    return false;
  }
  return true;
}

// True when `e` is a chain of field selections on a payload variable
// (`audit.objectRef.name`, has(...) included); sets the variable and the
// keys.
bool SelectChain(const cel::Expr& e, Var* var, std::vector<std::string>* path) {
  if (e.kind == cel::ExprKind::kIdent) {
    path->clear();
    return PayloadVar(e.name, var);
  }
  if (e.kind != cel::ExprKind::kSelect || e.operand == nullptr) return false;
  if (!SelectChain(*e.operand, var, path)) return false;
  path->push_back(e.name);
  return true;
}

// Adds the payload paths `e` reads to `out`: the end of every selection
// chain is read whole. Conservative: an identifier shadowed by a
// comprehension variable only adds more than needed.
void CollectPayloadPaths(const cel::Expr& e, PayloadSelections* out) {
  Var var;
  std::vector<std::string> path;
  if (SelectChain(e, &var, &path)) {
    out->by_var[static_cast<int>(var)].AddPath(path);
    return;
  }
  auto walk = [&](const cel::ExprPtr& child) {
    if (child != nullptr) CollectPayloadPaths(*child, out);
  };
  walk(e.operand);
  for (const cel::ExprPtr& arg : e.args) walk(arg);
  for (const cel::Expr::Entry& entry : e.entries) {
    walk(entry.key);
    walk(entry.value);
  }
  walk(e.iter_range);
  walk(e.accu_init);
  walk(e.loop_condition);
  walk(e.loop_step);
  walk(e.result);
}

// `audit` reads objectRef, user, responseStatus, requestObject and
// responseObject as {} when missing (internal::NormalizeAudit).
void DefaultAuditMaps(PayloadSelections* payload) {
  static constexpr std::string_view kDefaulted[] = {
      "objectRef", "user", "responseStatus", "requestObject", "responseObject"};
  for (cel::JsonSelection& child :
       payload->by_var[static_cast<int>(Var::kAudit)].children) {
    for (std::string_view key : kDefaulted) {
      if (child.key == key) child.empty_map_if_missing = true;
    }
  }
}

}  // namespace

class PolicyCompiler {
 public:
  PolicyCompiler(const SourceText& source, std::vector<Problem>* problems)
      : source_(source), problems_(problems) {}

  std::shared_ptr<const CompiledPolicy> Compile(const PolicyDoc& doc);
  std::shared_ptr<const CompiledSource> Compile(const SourceDoc& doc);

 private:
  enum class Want { kAny, kBool, kString };

  void Error(int pos, std::string path, std::string message) {
    ++errors_;
    problems_->push_back(
        source_.ProblemAt(pos, std::move(path), std::move(message)));
  }

  std::unique_ptr<cel::Env> MakeEnv(
      const std::vector<std::pair<Var, cel::Type>>& vars, SlotMap* slots,
      int pos);
  // Compiles the expression `text`, which starts at byte `value_offset` of
  // `scalar`'s value. `what` names it in messages ("match", "summary block
  // 2"). False on error (reported).
  bool CompileExpr(const cel::Env& env, const Scalar& scalar,
                   std::string_view text, int value_offset, Want want,
                   const std::string& what, CompiledExpr* out);
  bool CompileTemplate(const cel::Env& env, const Scalar& scalar,
                       CompiledTemplate* out);
  void CompileRules(const std::vector<RuleDoc>& docs, RuleList* list);

  const SourceText& source_;
  std::vector<Problem>* problems_;
  // Where CompileExpr records the payload paths it reads.
  PayloadSelections* payload_ = nullptr;
  int errors_ = 0;
  bool incomplete_ = false;  // a part the loader already reported is missing
};

std::unique_ptr<cel::Env> PolicyCompiler::MakeEnv(
    const std::vector<std::pair<Var, cel::Type>>& vars, SlotMap* slots,
    int pos) {
  auto env = cel::Env::Create();
  if (!env.ok()) {
    Error(pos, "",
          absl::StrCat("internal error creating the CEL environment: ",
                       env.status().message()));
    return nullptr;
  }
  absl::Status status = RegisterLinkFunction((*env)->functions());
  for (const auto& [var, type] : vars) {
    if (!status.ok()) break;
    status = (*env)->DeclareVariable(VarName(var), type);
    slots->slot[static_cast<int>(var)] = (*env)->SlotOf(VarName(var));
  }
  if (!status.ok()) {
    Error(
        pos, "",
        absl::StrCat("internal error declaring variables: ", status.message()));
    return nullptr;
  }
  return std::move(env).value();
}

bool PolicyCompiler::CompileExpr(const cel::Env& env, const Scalar& scalar,
                                 std::string_view text, int value_offset,
                                 Want want, const std::string& what,
                                 CompiledExpr* out) {
  out->text = std::string(text);
  auto place = [&](int32_t offset) {
    return OffsetInScalar(source_.text(), scalar.pos, scalar.value,
                          value_offset + std::max<int32_t>(offset, 0));
  };
  std::string prefix =
      what.starts_with("summary block") ? absl::StrCat(what, ": ") : "";
  if (text.empty()) {
    Error(place(0), scalar.path,
          absl::StrCat(prefix, "the expression is empty"));
    return false;
  }
  cel::Source cel_source{std::string(text)};
  cel::ParseResult parsed = cel::Parse(cel_source);
  if (!parsed.ok()) {
    for (const cel::Diagnostic& d : parsed.diagnostics) {
      Error(place(d.offset), scalar.path,
            absl::StrCat(prefix, "the expression does not parse: ", d.message));
    }
    return false;
  }
  if (payload_ != nullptr && parsed.parsed.expr != nullptr) {
    CollectPayloadPaths(*parsed.parsed.expr, payload_);
  }
  cel::Env::CompileOutput compiled = env.CompileDetailed(text);
  if (compiled.program == nullptr) {
    std::vector<std::string_view> names;
    for (const cel::VariableDecl& v : env.variables()) names.push_back(v.name);
    for (const cel::Diagnostic& d : compiled.diagnostics) {
      std::string message = d.message;
      size_t at = message.find("undeclared reference to '");
      if (at != std::string::npos &&
          message.find("did you mean") == std::string::npos) {
        size_t begin = at + 25;
        size_t end = message.find('\'', begin);
        std::string name = message.substr(begin, end - begin);
        std::string hint = internal::DidYouMean(name, names);
        if (hint.empty()) {
          absl::StrAppend(&message, "; the variables here are ");
          for (size_t i = 0; i < names.size(); ++i) {
            absl::StrAppend(&message, i ? ", " : "", base::AV(names[i]));
          }
        } else {
          absl::StrAppend(&message, " (", hint, ")");
        }
      }
      Error(place(d.offset), scalar.path, absl::StrCat(prefix, message));
    }
    return false;
  }
  const cel::Type& type = compiled.type;
  if (want == Want::kBool && IsKnown(type) &&
      type.kind() != cel::TypeKind::kBool) {
    Error(place(0), scalar.path,
          absl::StrCat(what, " must yield a bool, but this expression yields ",
                       type.DebugString(),
                       "; make it a condition, e.g. compare it with a value "
                       "(`... > 0`, `... == 'x'`)"));
    return false;
  }
  if (want == Want::kString && IsKnown(type) &&
      type.kind() != cel::TypeKind::kString) {
    Error(place(0), scalar.path,
          absl::StrCat(what, " (`", base::AV(text), "`) yields ",
                       type.DebugString(),
                       ", but it must yield a string; wrap it in string(...)"));
    return false;
  }
  out->program = std::move(compiled.program);
  return true;
}

bool PolicyCompiler::CompileTemplate(const cel::Env& env, const Scalar& scalar,
                                     CompiledTemplate* out) {
  ParsedTemplate parsed = ParseTemplate(scalar.value);
  for (const TemplateError& e : parsed.errors) {
    Error(OffsetInScalar(source_.text(), scalar.pos, scalar.value, e.offset),
          scalar.path, e.message);
  }
  if (!parsed.ok()) return false;
  bool ok = true;
  int block = 0;
  for (const TemplatePiece& piece : parsed.pieces) {
    if (!piece.is_block) {
      out->parts.push_back({piece.text, -1});
      continue;
    }
    ++block;
    CompiledExpr expr;
    if (!CompileExpr(env, scalar, piece.text, piece.offset, Want::kString,
                     absl::StrCat("summary block ", block), &expr)) {
      ok = false;
      continue;
    }
    out->parts.push_back({"", static_cast<int>(out->blocks.size())});
    out->blocks.push_back(std::move(expr));
  }
  return ok;
}

void PolicyCompiler::CompileRules(const std::vector<RuleDoc>& docs,
                                  RuleList* list) {
  const cel::Env& env = *list->env;
  payload_ = &list->payload;
  for (size_t i = 0; i < docs.size(); ++i) {
    const RuleDoc& doc = docs[i];
    CompiledRule rule;
    rule.name = doc.name.value;
    rule.index = static_cast<int>(i);
    rule.description = doc.description.value;
    if (doc.match.present() && !doc.match.value.empty()) {
      CompileExpr(env, doc.match, doc.match.value, 0, Want::kBool, "match",
                  &rule.match);
    } else {
      // The loader reported it (a rule that is not a mapping, or has no
      // match); a rule without a program must not reach the evaluator.
      incomplete_ = true;
    }
    for (size_t r = 0; r < doc.require.size(); ++r) {
      CompiledExpr expr;
      if (CompileExpr(env, doc.require[r], doc.require[r].value, 0, Want::kAny,
                      absl::StrCat("require[", r, "]"), &expr)) {
        rule.require.push_back(std::move(expr));
      }
    }
    if (doc.summary.present()) CompileTemplate(env, doc.summary, &rule.summary);
    for (const auto& [key, value] : doc.fields) {
      CompiledExpr expr;
      if (CompileExpr(env, value, value.value, 0, Want::kAny,
                      absl::StrCat("fields.", key.value), &expr)) {
        rule.fields.emplace_back(key.value, std::move(expr));
      }
    }
    rule.field_order.resize(rule.fields.size());
    std::iota(rule.field_order.begin(), rule.field_order.end(), 0);
    std::sort(rule.field_order.begin(), rule.field_order.end(),
              [&](int a, int b) {
                return rule.fields[a].first < rule.fields[b].first;
              });
    list->rules.push_back(std::move(rule));
  }
  DefaultAuditMaps(&list->payload);
  payload_ = nullptr;
}

std::shared_ptr<const CompiledPolicy> PolicyCompiler::Compile(
    const PolicyDoc& doc) {
  std::shared_ptr<CompiledPolicy> policy(new CompiledPolicy());
  policy->name_ = doc.name.value;
  policy->kind_ = doc.kind;
  policy->generation_ = base::Hash128Of(doc.normalized);
  policy->normalized_ = doc.normalized;
  policy->labels_ = doc.labels;
  policy->file_ = source_.file();
  policy->tests_ = doc.tests;
  const cel::Type actor_ref =
      cel::Type::Map(cel::Type::String(), cel::Type::String());
  if (doc.kind == PolicyKind::kActivity) {
    policy->api_group_ = doc.api_group.value;
    policy->resource_kind_ = doc.resource_kind.value;
    policy->resource_plural_ = PluralOfKind(doc.resource_kind.value);
    if (!doc.audit_rules.empty()) {
      RuleList& list = policy->audit_;
      list.env = MakeEnv({{Var::kAudit, cel::Type::Dyn()},
                          {Var::kActor, cel::Type::String()},
                          {Var::kActorRef, actor_ref},
                          {Var::kKind, cel::Type::String()}},
                         &list.slots, doc.pos);
      if (list.env == nullptr) return nullptr;
      CompileRules(doc.audit_rules, &list);
    }
    if (!doc.event_rules.empty()) {
      RuleList& list = policy->event_;
      list.env = MakeEnv({{Var::kEvent, cel::Type::Dyn()},
                          {Var::kActor, cel::Type::String()},
                          {Var::kActorRef, actor_ref}},
                         &list.slots, doc.pos);
      if (list.env == nullptr) return nullptr;
      CompileRules(doc.event_rules, &list);
    }
  } else {
    for (const Scalar& s : doc.inputs) policy->inputs_.push_back(s.value);
    policy->params_arena_ = std::make_unique<cel::Arena>();
    auto params = cel::ParseJson(doc.params_json, *policy->params_arena_);
    if (!params.ok()) {
      Error(doc.params_pos, doc.params_path,
            absl::StrCat("params cannot be read: ", params.status().message()));
      return nullptr;
    }
    policy->params_ = *params;
    RuleList& list = policy->native_;
    list.env = MakeEnv(
        {{Var::kData, cel::Type::Dyn()},
         {Var::kMeta, cel::Type::Map(cel::Type::String(), cel::Type::Dyn())},
         {Var::kParams, TypeOfValue(*params)}},
        &list.slots, doc.pos);
    if (list.env == nullptr) return nullptr;
    if (doc.select.present() && !doc.select.value.empty()) {
      payload_ = &list.payload;
      CompileExpr(*list.env, doc.select, doc.select.value, 0, Want::kBool,
                  "select", &policy->select_);
      payload_ = nullptr;
    }
    CompileRules(doc.rules, &list);
  }
  if (errors_ > 0 || incomplete_) return nullptr;
  return policy;
}

std::shared_ptr<const CompiledSource> PolicyCompiler::Compile(
    const SourceDoc& doc) {
  std::shared_ptr<CompiledSource> source(new CompiledSource());
  source->name_ = doc.name.value;
  source->format_ = doc.format;
  std::vector<std::pair<Var, cel::Type>> vars = {
      {Var::kData, cel::Type::Dyn()}};
  if (doc.format == SourceFormat::kKubernetesAudit)
    vars.push_back({Var::kAudit, cel::Type::Dyn()});
  if (doc.format == SourceFormat::kKubernetesEvent)
    vars.push_back({Var::kEvent, cel::Type::Dyn()});
  source->env_ = MakeEnv(vars, &source->slots_, doc.pos);
  if (source->env_ == nullptr) return nullptr;
  payload_ = &source->payload_;
  if (doc.id.present()) {
    CompileExpr(*source->env_, doc.id, doc.id.value, 0, Want::kAny, "id",
                &source->id_);
  }
  if (doc.time.present()) {
    CompileExpr(*source->env_, doc.time, doc.time.value, 0, Want::kAny, "time",
                &source->time_);
  }
  if (doc.tenant.present()) {
    CompileExpr(*source->env_, doc.tenant, doc.tenant.value, 0, Want::kString,
                "tenant", &source->tenant_);
  }
  DefaultAuditMaps(&source->payload_);
  payload_ = nullptr;
  if (errors_ > 0) return nullptr;
  return source;
}

std::shared_ptr<const CompiledSource> CompiledSource::Builtin(
    std::string_view type) {
  std::shared_ptr<CompiledSource> source(new CompiledSource());
  source->name_ = std::string(type);
  source->builtin_ = true;
  source->format_ = type == "audit"   ? SourceFormat::kKubernetesAudit
                    : type == "event" ? SourceFormat::kKubernetesEvent
                                      : SourceFormat::kJson;
  return source;
}

std::shared_ptr<const CompiledPolicy> CompilePolicy(
    const PolicyDoc& doc, const SourceText& source,
    std::vector<Problem>* problems) {
  return PolicyCompiler(source, problems).Compile(doc);
}

std::shared_ptr<const CompiledSource> CompileSource(
    const SourceDoc& doc, const SourceText& source,
    std::vector<Problem>* problems) {
  return PolicyCompiler(source, problems).Compile(doc);
}

}  // namespace retro::policy

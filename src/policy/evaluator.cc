#include "policy/evaluator.h"

#include <atomic>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "base/strings.h"
#include "base/time.h"
#include "policy/canonical_json.h"
#include "policy/envelope.h"
#include "policy/kinds.h"

namespace retro::policy {
namespace {

using internal::Lookup;
using internal::StringAt;

// An environment with kNumVars variables: it only sizes the activation that
// every compiled rule list binds its own slots in (slots are < kNumVars).
const cel::Env& LayoutEnv() {
  static const cel::Env* env = [] {
    auto created = cel::Env::Create();
    cel::Env* e = created->release();
    for (int i = 0; i < kNumVars; ++i) {
      (void)e->DeclareVariable(absl::StrCat("slot", i), cel::Type::Dyn());
    }
    return e;
  }();
  return *env;
}

void AppendLengthPrefixed(std::string_view part, std::string* out) {
  uint64_t n = part.size();
  char len[8];
  for (int i = 0; i < 8; ++i) len[i] = static_cast<char>(n >> (8 * i));
  out->append(len, 8);
  out->append(part);
}

// A value that a `require` accepts: not an error, not null, not empty.
bool Present(const cel::Value& v) {
  switch (v.kind()) {
    case cel::Kind::kError:
    case cel::Kind::kNull:
      return false;
    case cel::Kind::kString:
      return !v.string_value().empty();
    case cel::Kind::kBytes:
      return !v.bytes_value().empty();
    case cel::Kind::kList:
      return !v.list().empty();
    case cel::Kind::kMap:
      return v.map().size > 0;
    case cel::Kind::kOptional:
      return v.optional_value() != nullptr;
    default:
      return true;
  }
}

std::string Describe(const cel::Value& v) {
  std::string s = v.DebugString();
  if (s.size() > 60) s = s.substr(0, 57) + "...";
  return absl::StrCat(base::AV(v.TypeName()), " ", s);
}

}  // namespace

std::string_view OutcomeKindName(OutcomeKind kind) {
  switch (kind) {
    case OutcomeKind::kUnselected:
      return "unselected";
    case OutcomeKind::kMatched:
      return "matched";
    case OutcomeKind::kUnmatched:
      return "unmatched";
    case OutcomeKind::kDropped:
      return "dropped";
    case OutcomeKind::kError:
      return "error";
  }
  return "";
}

namespace {
// Versions are unique in the process, so a SourceSet assigned another's
// contents also takes another version.
std::atomic<uint64_t> next_source_version{0};
}  // namespace

SourceSet::SourceSet()
    : audit_(CompiledSource::Builtin("audit")),
      event_(CompiledSource::Builtin("event")),
      json_(CompiledSource::Builtin("")),
      version_(++next_source_version) {}

void SourceSet::Add(std::shared_ptr<const CompiledSource> source) {
  std::string name = source->name();
  by_type_[name] = std::move(source);
  version_ = ++next_source_version;
}

const CompiledSource& SourceSet::For(std::string_view type) const {
  auto it = by_type_.find(type);
  if (it != by_type_.end()) return *it->second;
  if (type == "audit") return *audit_;
  if (type == "event") return *event_;
  return *json_;
}

Evaluator::Evaluator(const SourceSet* sources, EvaluatorOptions options)
    : sources_(sources),
      options_(options),
      activation_(std::make_unique<cel::Activation>(LayoutEnv())) {
  load_status_ = absl::FailedPreconditionError("no event loaded");
}

Evaluator::~Evaluator() = default;

void Evaluator::Bind(const SlotMap& slots, const PayloadSelections& payload,
                     const cel::Value* params) {
  activation_->Clear();
  for (int v = 0; v < kNumVars; ++v) {
    int slot = slots.slot[v];
    if (slot < 0) continue;
    Var var = static_cast<Var>(v);
    if (var == Var::kParams) {
      if (params != nullptr) activation_->SetSlot(slot, *params);
    } else if (var == Var::kMeta) {
      activation_->SetSlot(slot, Meta());
    } else if (!has_var_[v]) {
      continue;
    } else if (var == Var::kActorRef) {
      activation_->SetSlot(slot, ActorRef());
    } else if (var == Var::kAudit || var == Var::kEvent || var == Var::kData) {
      activation_->SetSlot(slot, Payload(var, payload.by_var[v]));
    } else {
      activation_->SetSlot(slot, vars_[v]);
    }
  }
}

cel::Value Evaluator::WholePayload(Var var) {
  if (!has_whole_) {
    cel::JsonSelection whole;
    whole.whole = true;
    cel::Value data = document_.Build(whole, arena_);
    vars_[static_cast<int>(Var::kData)] = data;
    if (format_ == SourceFormat::kKubernetesAudit) {
      vars_[static_cast<int>(Var::kAudit)] =
          internal::NormalizeAudit(data, arena_);
    }
    vars_[static_cast<int>(Var::kEvent)] = data;
    has_whole_ = true;
  }
  return vars_[static_cast<int>(var)];
}

cel::Value Evaluator::Payload(Var var, const cel::JsonSelection& selection) {
  if (!lazy_) return vars_[static_cast<int>(var)];
  if (selection.whole) return WholePayload(var);
  // Built per Bind (once per Load for the source, once per Evaluate for a
  // policy): nothing is shared between policies, so each gets what it reads.
  return document_.Build(selection, arena_);
}

std::string_view Evaluator::PayloadString(
    std::initializer_list<std::string_view> path) {
  if (lazy_) return document_.StringAt(path);
  return StringAt(vars_[static_cast<int>(Var::kData)], path);
}

const cel::Value* Evaluator::PayloadAt(
    std::initializer_list<std::string_view> path) {
  if (!lazy_) return Lookup(vars_[static_cast<int>(Var::kData)], path);
  std::optional<cel::Value> v = document_.ValueAt(path, arena_);
  if (!v.has_value()) return nullptr;
  return arena_.New<cel::Value>(*v);
}

cel::Value Evaluator::Run(const CompiledExpr& expr, LinkSink* links) {
  return expr.program->Evaluate(*activation_, arena_, options_.eval, links);
}

cel::Value Evaluator::Meta() {
  if (has_meta_) return vars_[static_cast<int>(Var::kMeta)];
  cel::Value* keys = arena_.AllocArray<cel::Value>(5);
  cel::Value* values = arena_.AllocArray<cel::Value>(5);
  keys[0] = cel::Value::String("id");
  values[0] = cel::Value::String(envelope_.id);
  keys[1] = cel::Value::String("type");
  values[1] = cel::Value::String(envelope_.type);
  keys[2] = cel::Value::String("tenant");
  values[2] = cel::Value::String(envelope_.tenant);
  keys[3] = cel::Value::String("time");
  values[3] = envelope_.has_time ? cel::Value::FromTime(envelope_.time)
                                 : cel::Value::Null();
  keys[4] = cel::Value::String("source");
  values[4] = cel::Value::String(envelope_.source);
  const cel::Value* duplicate = nullptr;
  cel::Value meta =
      cel::Value::Map(cel::BuildMap(arena_, keys, values, 5, &duplicate));
  vars_[static_cast<int>(Var::kMeta)] = meta;
  has_meta_ = true;
  return meta;
}

cel::Value Evaluator::ActorRef() {
  cel::Value& ref = vars_[static_cast<int>(Var::kActorRef)];
  if (!has_actor_ref_) {
    ref = internal::ActorRef(
        actor_type_, vars_[static_cast<int>(Var::kActor)].string_value(),
        arena_);
    has_actor_ref_ = true;
  }
  return ref;
}

EvaluatorOptions StoredEventOptions() {
  EvaluatorOptions o;
  o.validated_events = true;
  return o;
}

absl::Status Evaluator::Load(std::string_view type, std::string_view json) {
  return LoadImpl(type, json, /*padded=*/false);
}

absl::Status Evaluator::LoadPadded(std::string_view type,
                                   std::string_view json) {
  return LoadImpl(type, json, /*padded=*/true);
}

absl::Status Evaluator::LoadImpl(std::string_view type, std::string_view json,
                                 bool padded) {
  arena_.Reset();
  has_var_.fill(false);
  has_meta_ = false;
  has_actor_ref_ = false;
  if (source_ == nullptr || type != type_ ||
      source_version_ != sources_->version()) {
    type_.assign(type);
    source_ = &sources_->For(type);
    source_version_ = sources_->version();
  }
  envelope_.type = type_;
  envelope_.id.clear();
  envelope_.tenant.clear();
  envelope_.has_time = false;
  envelope_.time_nanos = 0;
  envelope_.source = {};
  has_whole_ = false;
  // The fast path: validate the whole event, convert what policies read
  // when they read it. Anything else (not an object, invalid, a number
  // beyond 64 bits) is converted whole by JsonParser, which also gives the
  // exact error.
  lazy_ =
      !options_.convert_whole_payload &&
      (options_.validated_events ? document_.ParseValidatedObject(json, padded)
                                 : document_.ParseObject(json));
  if (!lazy_) {
    auto parsed = parser_.Parse(json, arena_);
    if (!parsed.ok()) {
      load_status_ = absl::InvalidArgumentError(absl::StrCat(
          "the event is not valid JSON: ", parsed.status().message()));
      return load_status_;
    }
    cel::Value payload = *parsed;
    if (payload.kind() != cel::Kind::kMap) {
      load_status_ = absl::InvalidArgumentError(
          absl::StrCat("the event must be a JSON object, not ",
                       base::AV(payload.TypeName())));
      return load_status_;
    }
    vars_[static_cast<int>(Var::kData)] = payload;
  }
  const CompiledSource& source = *source_;
  format_ = source.format();
  auto set = [&](Var v, cel::Value value) {
    vars_[static_cast<int>(v)] = value;
    has_var_[static_cast<int>(v)] = true;
  };
  has_var_[static_cast<int>(Var::kData)] = true;
  if (format_ == SourceFormat::kKubernetesAudit) {
    if (!lazy_) {
      set(Var::kAudit, internal::NormalizeAudit(
                           vars_[static_cast<int>(Var::kData)], arena_));
    }
    has_var_[static_cast<int>(Var::kAudit)] = true;
    std::string_view actor = PayloadString({"user", "username"});
    set(Var::kActor, cel::Value::String(actor));
    actor_type_ = internal::AuditActorType(actor);
    has_var_[static_cast<int>(Var::kActorRef)] = true;
    set(Var::kKind,
        cel::Value::String(PayloadString({"objectRef", "resource"})));
  } else if (format_ == SourceFormat::kKubernetesEvent) {
    std::string_view actor = PayloadString({"reportingController"});
    if (actor.empty()) actor = PayloadString({"source", "component"});
    if (!lazy_) set(Var::kEvent, vars_[static_cast<int>(Var::kData)]);
    has_var_[static_cast<int>(Var::kEvent)] = true;
    set(Var::kActor, cel::Value::String(actor));
    actor_type_ = "controller";
    has_var_[static_cast<int>(Var::kActorRef)] = true;
  }
  load_status_ = ReadEnvelope(source, json);
  return load_status_;
}

absl::Status Evaluator::ReadEnvelope(const CompiledSource& source,
                                     std::string_view json) {
  envelope_.source = source.builtin() ? std::string_view() : source.name();
  // Bound for the first expression that runs (a remembered tenant needs
  // none).
  bool bound = false;
  auto run = [&](const CompiledExpr& expr) {
    if (!bound) Bind(source.slots(), source.payload(), nullptr);
    bound = true;
    return Run(expr, nullptr);
  };
  auto fail = [&](std::string_view what, std::string_view message) {
    return absl::InvalidArgumentError(absl::StrCat(
        "source '", base::AV(source.builtin() ? type_ : source.name()), "', ",
        base::AV(what), ": ", base::AV(message)));
  };
  // id
  if (const CompiledExpr* id = source.id()) {
    cel::Value v = run(*id);
    if (v.is_string()) {
      envelope_.id.assign(v.string_value());
    } else if (v.kind() == cel::Kind::kInt || v.kind() == cel::Kind::kUint) {
      AppendCanonicalJson(v, &envelope_.id);
    } else if (v.is_error()) {
      return fail("id", v.error_message());
    } else {
      return fail("id", absl::StrCat("yielded ", Describe(v),
                                     "; an id must be a string"));
    }
  } else {
    switch (format_) {
      case SourceFormat::kKubernetesAudit:
        envelope_.id.assign(PayloadString({"auditID"}));
        if (envelope_.id.empty())
          return fail("id", "the audit event has no auditID");
        break;
      case SourceFormat::kKubernetesEvent:
        envelope_.id.assign(PayloadString({"metadata", "uid"}));
        if (envelope_.id.empty())
          return fail("id", "the event has no metadata.uid");
        break;
      case SourceFormat::kJson: {
        const cel::Value* v = PayloadAt({"id"});
        if (v != nullptr && v->is_string()) {
          envelope_.id.assign(v->string_value());
        } else if (v != nullptr && v->kind() == cel::Kind::kInt) {
          AppendCanonicalJson(*v, &envelope_.id);
        } else {
          // No id: the content identifies the event.
          envelope_.id = base::Hex64(base::Hash64(json));
        }
        break;
      }
    }
  }
  // time
  std::string_view time_text;
  if (const CompiledExpr* time = source.time()) {
    cel::Value v = run(*time);
    if (v.kind() == cel::Kind::kTimestamp) {
      envelope_.time = v.timestamp();
      envelope_.has_time = true;
    } else if (v.is_string()) {
      time_text = v.string_value();
      if (time_text.empty()) return fail("time", "yielded an empty string");
    } else if (v.is_error()) {
      return fail("time", v.error_message());
    } else {
      return fail(
          "time",
          absl::StrCat("yielded ", Describe(v),
                       "; a time must be an RFC 3339 string or a timestamp"));
    }
  } else if (format_ == SourceFormat::kKubernetesAudit) {
    time_text = PayloadString({"requestReceivedTimestamp"});
  } else if (format_ == SourceFormat::kKubernetesEvent) {
    time_text = PayloadString({"eventTime"});
    if (time_text.empty())
      time_text = PayloadString({"metadata", "creationTimestamp"});
  }
  if (!time_text.empty()) {
    if (!internal::ParseTimestamp(time_text, &envelope_.time)) {
      return fail("time", absl::StrCat("'", base::AV(time_text),
                                       "' is not an RFC 3339 time"));
    }
    envelope_.has_time = true;
  }
  if (envelope_.has_time)
    envelope_.time_nanos = base::ToUnixNanos(envelope_.time);
  // tenant
  if (const CompiledExpr* tenant = source.tenant()) {
    const bool remember = TenantKey(source, &tenant_key_);
    if (remember) {
      auto it = tenants_.find(tenant_key_);
      if (it != tenants_.end()) {
        envelope_.tenant.assign(it->second);
        return absl::OkStatus();
      }
    }
    cel::Value v = run(*tenant);
    if (v.is_string()) {
      envelope_.tenant.assign(v.string_value());
      if (remember) {
        if (tenants_.size() >= kMaxTenants) tenants_.clear();
        tenants_.emplace(tenant_key_, envelope_.tenant);
      }
    } else if (v.is_error()) {
      return fail("tenant", v.error_message());
    } else {
      return fail("tenant", absl::StrCat("yielded ", Describe(v),
                                         "; a tenant must be a string"));
    }
  }
  return absl::OkStatus();
}

bool Evaluator::TenantKey(const CompiledSource& source, std::string* key) {
  if (!lazy_) return false;
  if (tenants_version_ != sources_->version()) {
    // Sources changed: a remembered one may be gone (its address reused).
    tenants_.clear();
    tenants_version_ = sources_->version();
  }
  key->clear();
  const CompiledSource* p = &source;
  key->append(reinterpret_cast<const char*>(&p), sizeof(p));
  const SlotMap& slots = source.slots();
  for (int v = 0; v < kNumVars; ++v) {
    if (slots.slot[v] < 0) continue;
    Var var = static_cast<Var>(v);
    if (var != Var::kAudit && var != Var::kEvent && var != Var::kData) {
      return false;  // reads more than the payload
    }
    key->push_back(has_var_[v] ? 'V' : 'U');
    if (has_var_[v]) {
      document_.AppendSelectionKey(source.payload().by_var[v], key);
    }
  }
  return key->size() <= kMaxTenantKeyBytes;
}

void Evaluator::Fail(const CompiledRule* rule, std::string_view expression,
                     std::string_view message) {
  outcome_.kind = OutcomeKind::kError;
  outcome_.expression.assign(expression);
  outcome_.message.assign(message);
  outcome_.reason.clear();
  if (rule != nullptr) {
    outcome_.rule = rule->name;
    outcome_.rule_index = rule->index;
    absl::StrAppend(&outcome_.reason, "rule '", rule->name, "', ");
  }
  absl::StrAppend(&outcome_.reason, base::AV(expression), ": ",
                  base::AV(message));
}

bool Evaluator::Selects(const CompiledPolicy& policy, const RuleList** list) {
  if (policy.kind() == PolicyKind::kNative) {
    bool input = false;
    for (const std::string& t : policy.inputs()) input = input || t == type_;
    if (!input) return false;
    *list = &policy.rules();
    return true;
  }
  if (format_ == SourceFormat::kKubernetesAudit) {
    if (policy.audit_rules().rules.empty()) return false;
    // kind is objectRef.resource, read at Load.
    if (vars_[static_cast<int>(Var::kKind)].string_value() !=
            policy.resource_plural() ||
        PayloadString({"objectRef", "apiGroup"}) != policy.api_group()) {
      return false;
    }
    *list = &policy.audit_rules();
    return true;
  }
  if (format_ == SourceFormat::kKubernetesEvent) {
    if (policy.event_rules().rules.empty()) return false;
    const cel::Value* regarding = PayloadAt({"regarding"});
    if (regarding == nullptr || regarding->kind() != cel::Kind::kMap) {
      regarding = PayloadAt({"involvedObject"});
    }
    if (regarding == nullptr) return false;
    if (StringAt(*regarding, {"kind"}) != policy.resource_kind() ||
        GroupOfApiVersion(StringAt(*regarding, {"apiVersion"})) !=
            policy.api_group()) {
      return false;
    }
    *list = &policy.event_rules();
    return true;
  }
  return false;
}

const Outcome& Evaluator::Evaluate(const CompiledPolicy& policy) {
  outcome_.kind = OutcomeKind::kUnselected;
  outcome_.policy = policy.name();
  outcome_.rule = {};
  outcome_.rule_index = -1;
  outcome_.reason.clear();
  outcome_.expression.clear();
  outcome_.message.clear();
  if (!load_status_.ok()) {
    Fail(nullptr, "input",
         std::string_view(load_status_.message().data(),
                          load_status_.message().size()));
    return outcome_;
  }
  const RuleList* list = nullptr;
  if (!Selects(policy, &list)) return outcome_;
  Bind(list->slots, list->payload, &policy.params());
  if (const CompiledExpr* select = policy.select()) {
    cel::Value v = Run(*select, nullptr);
    if (v.is_error()) {
      Fail(nullptr, "select", v.error_message());
      return outcome_;
    }
    if (!v.is_bool()) {
      Fail(nullptr, "select",
           absl::StrCat("yielded ", Describe(v), ", not a bool"));
      return outcome_;
    }
    if (!v.bool_value()) return outcome_;
  }
  RunRules(policy, *list);
  return outcome_;
}

void Evaluator::RunRules(const CompiledPolicy& policy, const RuleList& list) {
  for (const CompiledRule& rule : list.rules) {
    cel::Value m = Run(rule.match, nullptr);
    if (m.is_error()) return Fail(&rule, "match", m.error_message());
    if (!m.is_bool()) {
      return Fail(
          &rule, "match",
          absl::StrCat("yielded ", Describe(m), "; match must yield a bool"));
    }
    if (!m.bool_value()) continue;
    outcome_.rule = rule.name;
    outcome_.rule_index = rule.index;
    for (const CompiledExpr& req : rule.require) {
      if (!Present(Run(req, nullptr))) {
        outcome_.kind = OutcomeKind::kDropped;
        absl::StrAppend(&outcome_.reason, "missing ", req.text);
        return;
      }
    }
    if (!RenderRecord(rule)) return;
    FinishRecord(policy, rule);
    outcome_.kind = OutcomeKind::kMatched;
    return;
  }
  outcome_.kind = OutcomeKind::kUnmatched;
}

bool Evaluator::RenderRecord(const CompiledRule& rule) {
  Record& record = outcome_.record;
  record.summary.clear();
  links_.clear();
  int block = 0;
  for (const CompiledTemplate::Part& part : rule.summary.parts) {
    if (part.block < 0) {
      record.summary.append(part.literal);
      continue;
    }
    ++block;
    cel::Value v = Run(rule.summary.blocks[part.block], &links_);
    if (v.is_string()) {
      record.summary.append(v.string_value());
      continue;
    }
    std::string where =
        absl::StrCat("summary block ", block, " (`",
                     rule.summary.blocks[part.block].text, "`)");
    if (v.is_error()) {
      Fail(&rule, where, v.error_message());
    } else {
      Fail(
          &rule, where,
          absl::StrCat(
              "yielded ", Describe(v),
              "; a summary block must yield a string: wrap it in string(...)"));
    }
    return false;
  }
  record.fields.resize(rule.fields.size());
  for (size_t i = 0; i < rule.fields.size(); ++i) {
    const auto& [name, expr] = rule.fields[i];
    cel::Value v = Run(expr, &links_);
    RecordField& field = record.fields[i];
    field.name = name;
    field.json.clear();
    if (v.is_error()) {
      Fail(&rule, absl::StrCat("fields.", name), v.error_message());
      return false;
    }
    if (!AppendCanonicalJson(v, &field.json)) {
      Fail(&rule, absl::StrCat("fields.", name),
           absl::StrCat("yielded ", Describe(v),
                        ", which JSON cannot represent"));
      return false;
    }
  }
  record.links_json.assign("[");
  for (size_t i = 0; i < links_.size(); ++i) {
    if (i > 0) record.links_json.push_back(',');
    record.links_json.append("{\"marker\":");
    AppendJsonString(links_[i].marker.string_value(), &record.links_json);
    record.links_json.append(",\"resource\":");
    if (!AppendCanonicalJson(links_[i].resource, &record.links_json)) {
      Fail(&rule, "link", "the linked resource cannot be represented as JSON");
      return false;
    }
    record.links_json.push_back('}');
  }
  record.links_json.push_back(']');
  record.num_links = static_cast<int>(links_.size());
  return true;
}

void Evaluator::FinishRecord(const CompiledPolicy& policy,
                             const CompiledRule& rule) {
  Record& record = outcome_.record;
  record.origin_type = envelope_.type;
  record.origin_id = envelope_.id;
  record.tenant = envelope_.tenant;
  record.has_time = envelope_.has_time;
  record.time = envelope_.time;
  // record_id: the same bytes base::Hasher hashes for (policy, type, id).
  buffer_.clear();
  AppendLengthPrefixed(policy.name(), &buffer_);
  AppendLengthPrefixed(envelope_.type, &buffer_);
  AppendLengthPrefixed(envelope_.id, &buffer_);
  record.record_id = base::Hash128Of(buffer_);
  // content_hash: canonical JSON, keys sorted.
  buffer_.assign("{\"fields\":{");
  for (size_t n = 0; n < rule.field_order.size(); ++n) {
    const RecordField& f = record.fields[rule.field_order[n]];
    if (n > 0) buffer_.push_back(',');
    AppendJsonString(f.name, &buffer_);
    buffer_.push_back(':');
    buffer_.append(f.json);
  }
  buffer_.append("},\"links\":");
  buffer_.append(record.links_json);
  buffer_.append(",\"rule\":");
  AppendJsonString(rule.name, &buffer_);
  buffer_.append(",\"summary\":");
  AppendJsonString(record.summary, &buffer_);
  buffer_.append(",\"tenant\":");
  AppendJsonString(envelope_.tenant, &buffer_);
  buffer_.append(",\"time\":");
  if (envelope_.has_time) {
    buffer_.append(std::to_string(envelope_.time_nanos));
  } else {
    buffer_.append("null");
  }
  buffer_.push_back('}');
  record.content_hash = base::Hash128Of(buffer_);
}

const Outcome& Evaluator::EvaluateLine(const CompiledPolicy& policy,
                                       std::string_view type,
                                       std::string_view json) {
  (void)Load(type, json);
  return Evaluate(policy);
}

}  // namespace retro::policy

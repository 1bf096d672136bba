#include "policy/loader.h"

#include <algorithm>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "base/strings.h"
#include "policy/canonical_json.h"
#include "policy/kinds.h"
#include "policy/loader_internal.h"
#include "policy/yaml_util.h"
#include "yaml-cpp/eventhandler.h"
#include "yaml-cpp/mark.h"

namespace retro::policy {
namespace internal {

int DocReader::Pos(const YAML::Node& node) const {
  YAML::Mark m = node.Mark();
  if (m.is_null() || m.pos < 0) return base_pos_;
  return base_pos_ + m.pos;
}

void DocReader::Error(int pos, std::string path, std::string message) {
  ++errors_;
  problems_->push_back(
      source_.ProblemAt(pos, std::move(path), std::move(message)));
}

void DocReader::Warn(int pos, std::string path, std::string message) {
  problems_->push_back(source_.ProblemAt(
      pos, std::move(path), std::move(message), Problem::Severity::kWarning));
}

YAML::Node DocReader::Child(const YAML::Node& map, std::string_view key) {
  if (!map.IsMap()) return YAML::Node(YAML::NodeType::Undefined);
  for (const auto& kv : map) {
    if (kv.first.IsScalar() && kv.first.Scalar() == key) return kv.second;
  }
  return YAML::Node(YAML::NodeType::Undefined);
}

void DocReader::CheckKeys(const YAML::Node& map, const std::string& path,
                          std::initializer_list<std::string_view> allowed,
                          bool strict) {
  if (!map.IsMap()) return;
  std::vector<std::string_view> names(allowed.begin(), allowed.end());
  std::vector<std::string> seen;
  for (const auto& kv : map) {
    if (!kv.first.IsScalar()) {
      Error(kv.first, path,
            "a key must be a plain name, not a list or mapping");
      continue;
    }
    const std::string& key = kv.first.Scalar();
    std::string key_path = path.empty() ? key : absl::StrCat(path, ".", key);
    if (std::find(seen.begin(), seen.end(), key) != seen.end()) {
      Error(kv.first, key_path,
            absl::StrCat("'", key, "' is given twice; keep one"));
      continue;
    }
    seen.push_back(key);
    if (std::find(names.begin(), names.end(), key) != names.end()) continue;
    std::string message = absl::StrCat("unknown field '", key, "'");
    std::string suggestion = DidYouMean(key, names);
    if (!suggestion.empty()) {
      absl::StrAppend(&message, " (", suggestion, ")");
    } else {
      absl::StrAppend(&message, "; expected one of: ");
      for (size_t i = 0; i < names.size(); ++i) {
        absl::StrAppend(&message, i ? ", " : "", base::AV(names[i]));
      }
    }
    if (strict) {
      Error(kv.first, key_path, message);
    } else {
      Warn(Pos(kv.first), key_path, absl::StrCat(message, "; it is ignored"));
    }
  }
}

Scalar DocReader::AsScalar(const YAML::Node& node, std::string path,
                           std::string_view what) {
  Scalar s;
  s.path = std::move(path);
  if (node.IsScalar()) {
    s.value = node.Scalar();
    s.pos = Pos(node);
  } else if (node.IsNull()) {
    s.pos = Pos(node);
  } else {
    Error(node, s.path,
          absl::StrCat(
              "must be ", what.empty() ? "a single value" : base::AV(what),
              ", not a ", node.IsMap() ? "mapping" : "list",
              node.IsMap() ? " (quote the text if it contains ': ')" : ""));
  }
  return s;
}

Scalar DocReader::ReadScalar(const YAML::Node& map, std::string_view key,
                             const std::string& parent_path, bool required,
                             std::string_view what) {
  std::string path = parent_path.empty()
                         ? std::string(key)
                         : absl::StrCat(parent_path, ".", base::AV(key));
  YAML::Node child = Child(map, key);
  if (!child.IsDefined()) {
    if (required) {
      Error(map, path,
            absl::StrCat(
                "'", base::AV(key), "' is required",
                what.empty() ? "" : absl::StrCat(": add ", base::AV(what))));
    }
    Scalar s;
    s.path = path;
    return s;
  }
  Scalar s = AsScalar(child, path, what);
  if (required && s.present() && s.value.empty() && !child.IsScalar()) {
    Error(child, path, absl::StrCat("'", base::AV(key), "' must not be empty"));
  }
  return s;
}

bool DocReader::ExpectMap(const YAML::Node& node, const std::string& path,
                          std::string_view hint) {
  if (node.IsMap()) return true;
  Error(node, path,
        absl::StrCat("must be a mapping (key: value lines)",
                     hint.empty() ? "" : "; ", base::AV(hint)));
  return false;
}

bool DocReader::ExpectSeq(const YAML::Node& node, const std::string& path,
                          std::string_view hint) {
  if (node.IsSequence()) return true;
  Error(node, path,
        absl::StrCat("must be a list (lines starting with '- ')",
                     hint.empty() ? "" : "; ", base::AV(hint)));
  return false;
}

namespace {

int EditDistance(std::string_view a, std::string_view b) {
  std::vector<int> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = static_cast<int>(j);
  for (size_t i = 1; i <= a.size(); ++i) {
    int diag = row[0];
    row[0] = static_cast<int>(i);
    for (size_t j = 1; j <= b.size(); ++j) {
      int up = row[j];
      row[j] =
          std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] != b[j - 1])});
      diag = up;
    }
  }
  return row[b.size()];
}

}  // namespace

std::string DidYouMean(std::string_view name,
                       const std::vector<std::string_view>& candidates) {
  int best = 1 + static_cast<int>(name.size()) / 3;
  best = std::min(best, 2);
  std::string_view found;
  for (std::string_view c : candidates) {
    int d = EditDistance(name, c);
    if (d <= best && (found.empty() || d < EditDistance(name, found)))
      found = c;
  }
  if (found.empty()) return {};
  return absl::StrCat("did you mean '", base::AV(found), "'?");
}

}  // namespace internal

namespace {

using internal::DocReader;

constexpr std::string_view kActivityApiVersion =
    "activity.miloapis.com/v1alpha1";
constexpr std::string_view kRetroApiVersion = "retro/v1";

void ReadMetadata(DocReader& r, const YAML::Node& doc, Scalar* name,
                  std::vector<std::pair<std::string, std::string>>* labels,
                  bool dns_name) {
  YAML::Node meta = DocReader::Child(doc, "metadata");
  if (!meta.IsDefined()) {
    r.Error(doc, "metadata", "'metadata' with a 'name' is required");
    return;
  }
  if (!r.ExpectMap(meta, "metadata", "give at least 'name: my-policy'")) return;
  *name = r.ReadScalar(meta, "name", "metadata", true,
                       "a name such as 'my-policy'");
  if (name->present() && name->value.empty()) {
    r.Error(name->pos, name->path, "the name must not be empty");
  } else if (name->present() && dns_name && !IsDns1123Name(name->value)) {
    std::string suggestion = SuggestDns1123Name(name->value);
    r.Error(name->pos, name->path,
            absl::StrCat("'", name->value,
                         "' is not a DNS-1123 name: use lower-case letters, "
                         "digits, '-' and '.', starting and ending with a "
                         "letter or digit",
                         suggestion.empty()
                             ? ""
                             : absl::StrCat(" (e.g. '", suggestion, "')")));
  }
  YAML::Node l = DocReader::Child(meta, "labels");
  if (l.IsDefined() && r.ExpectMap(l, "metadata.labels") && labels != nullptr) {
    for (const auto& kv : l) {
      if (kv.first.IsScalar() && kv.second.IsScalar()) {
        labels->emplace_back(kv.first.Scalar(), kv.second.Scalar());
      } else {
        r.Error(kv.second, "metadata.labels",
                "label keys and values must be text");
      }
    }
  }
}

std::string Normalize(DocReader& r, const YAML::Node& doc,
                      std::string_view api_version, std::string_view kind) {
  std::string out = "{\"apiVersion\":";
  AppendJsonString(api_version, &out);
  out += ",\"kind\":";
  AppendJsonString(kind, &out);
  out += ",\"spec\":";
  std::string error;
  if (!YamlToJson(DocReader::Child(doc, "spec"), /*sort_keys=*/true, &out,
                  &error)) {
    r.Error(doc, "spec", error);
  }
  out += "}";
  return out;
}

void ReadActivityPolicy(DocReader& r, const YAML::Node& doc, PolicyDoc* p) {
  p->kind = PolicyKind::kActivity;
  YAML::Node spec = DocReader::Child(doc, "spec");
  if (!spec.IsDefined()) {
    r.Error(
        doc, "spec",
        "'spec' is required: give spec.resource and auditRules or eventRules");
    return;
  }
  if (!r.ExpectMap(spec, "spec")) return;
  r.CheckKeys(spec, "spec", {"resource", "auditRules", "eventRules", "tests"},
              false);
  YAML::Node resource = DocReader::Child(spec, "resource");
  if (!resource.IsDefined()) {
    r.Error(spec, "spec.resource",
            "'resource' is required: say which events the policy reads, e.g. "
            "{apiGroup: apps, kind: Deployment}");
  } else if (r.ExpectMap(resource, "spec.resource",
                         "e.g. {apiGroup: apps, kind: Deployment}")) {
    r.CheckKeys(resource, "spec.resource", {"apiGroup", "kind"}, false);
    p->api_group = r.ReadScalar(resource, "apiGroup", "spec.resource", false);
    if (!p->api_group.present()) p->api_group.pos = r.Pos(resource);
    p->resource_kind =
        r.ReadScalar(resource, "kind", "spec.resource", true,
                     "the resource's kind, e.g. 'kind: Deployment'");
    if (p->resource_kind.present() && p->resource_kind.value.empty()) {
      r.Error(p->resource_kind.pos, p->resource_kind.path,
              "the kind must not be empty, e.g. 'kind: Deployment'");
    }
  }
  YAML::Node audit = DocReader::Child(spec, "auditRules");
  YAML::Node event = DocReader::Child(spec, "eventRules");
  if (audit.IsDefined() && !audit.IsNull() &&
      r.ExpectSeq(audit, "spec.auditRules")) {
    p->audit_rules = r.ReadRules(audit, "spec.auditRules", /*native=*/false);
  }
  if (event.IsDefined() && !event.IsNull() &&
      r.ExpectSeq(event, "spec.eventRules")) {
    p->event_rules = r.ReadRules(event, "spec.eventRules", /*native=*/false);
  }
  if ((!audit.IsDefined() || audit.size() == 0) &&
      (!event.IsDefined() || event.size() == 0)) {
    r.Error(spec, "spec",
            "the policy has no rules: add 'auditRules' (for audit events) or "
            "'eventRules' (for Kubernetes events)");
  }
  YAML::Node tests = DocReader::Child(spec, "tests");
  if (tests.IsDefined() && !tests.IsNull() &&
      r.ExpectSeq(tests, "spec.tests")) {
    p->tests = r.ReadTests(tests, "spec.tests");
  }
}

void ReadNativePolicy(DocReader& r, const YAML::Node& doc, PolicyDoc* p) {
  p->kind = PolicyKind::kNative;
  YAML::Node spec = DocReader::Child(doc, "spec");
  if (!spec.IsDefined()) {
    r.Error(doc, "spec", "'spec' is required: give spec.input and spec.rules");
    return;
  }
  if (!r.ExpectMap(spec, "spec")) return;
  r.CheckKeys(spec, "spec", {"input", "select", "params", "rules", "tests"},
              true);
  YAML::Node input = DocReader::Child(spec, "input");
  if (!input.IsDefined() || input.IsNull()) {
    r.Error(spec, "spec.input",
            "'input' is required: the event type(s) the policy reads, e.g. "
            "'input: usage' or 'input: [usage, audit]'");
  } else if (input.IsSequence()) {
    int i = 0;
    for (const YAML::Node& item : input) {
      p->inputs.push_back(r.AsScalar(
          item, absl::StrCat("spec.input[", i++, "]"), "an event type"));
    }
    if (p->inputs.empty()) {
      r.Error(input, "spec.input", "give at least one event type");
    }
  } else {
    p->inputs.push_back(
        r.AsScalar(input, "spec.input", "an event type or a list of them"));
  }
  for (const Scalar& s : p->inputs) {
    if (s.present() && s.value.empty())
      r.Error(s.pos, s.path, "an event type must not be empty");
  }
  p->select = r.ReadScalar(spec, "select", "spec", false, "a CEL expression");
  YAML::Node params = DocReader::Child(spec, "params");
  p->params_path = "spec.params";
  if (params.IsDefined() && !params.IsNull()) {
    p->params_pos = r.Pos(params);
    if (r.ExpectMap(params, "spec.params",
                    "name each parameter, e.g. 'limit: 10'")) {
      p->params_json.clear();
      std::string error;
      if (!YamlToJson(params, /*sort_keys=*/false, &p->params_json, &error)) {
        r.Error(params, "spec.params", error);
        p->params_json = "{}";
      }
    }
  }
  YAML::Node rules = DocReader::Child(spec, "rules");
  if (!rules.IsDefined() || rules.IsNull()) {
    r.Error(spec, "spec.rules", "'rules' is required: add at least one rule");
  } else if (r.ExpectSeq(rules, "spec.rules")) {
    if (rules.size() == 0)
      r.Error(rules, "spec.rules", "add at least one rule");
    p->rules = r.ReadRules(rules, "spec.rules", /*native=*/true);
  }
  YAML::Node tests = DocReader::Child(spec, "tests");
  if (tests.IsDefined() && !tests.IsNull() &&
      r.ExpectSeq(tests, "spec.tests")) {
    p->tests = r.ReadTests(tests, "spec.tests");
  }
}

void ReadDocument(DocReader& r, const YAML::Node& doc, FileDocs* out) {
  if (doc.IsNull() || !doc.IsDefined()) return;  // empty or comments only
  if (!doc.IsMap()) {
    r.Error(doc, "",
            "a document must be a mapping with apiVersion, kind, metadata and "
            "spec");
    return;
  }
  r.CheckKeys(doc, "", {"apiVersion", "kind", "metadata", "spec"}, false);
  Scalar api = r.ReadScalar(doc, "apiVersion", "", true,
                            "'apiVersion: retro/v1' or 'apiVersion: " +
                                std::string(kActivityApiVersion) + "'");
  Scalar kind = r.ReadScalar(doc, "kind", "", true,
                             "'kind: Policy', 'Source' or 'ActivityPolicy'");
  if (!api.present() || !kind.present()) return;
  int errors_before = r.errors();
  if (kind.value == "ActivityPolicy" || kind.value == "Policy") {
    bool activity = kind.value == "ActivityPolicy";
    std::string_view want = activity ? kActivityApiVersion : kRetroApiVersion;
    if (api.value != want) {
      r.Error(api.pos, "apiVersion",
              absl::StrCat("a ", kind.value, " has apiVersion '",
                           base::AV(want), "', not '", api.value, "'"));
    }
    PolicyDoc p;
    p.api_version = api.value;
    p.pos = r.Pos(doc);
    ReadMetadata(r, doc, &p.name, &p.labels, /*dns_name=*/true);
    if (activity) {
      ReadActivityPolicy(r, doc, &p);
    } else {
      ReadNativePolicy(r, doc, &p);
    }
    p.normalized = Normalize(r, doc, api.value, kind.value);
    if (r.errors() == errors_before || p.name.present())
      out->policies.push_back(std::move(p));
    return;
  }
  if (kind.value == "Source") {
    if (api.value != kRetroApiVersion) {
      r.Error(api.pos, "apiVersion",
              absl::StrCat("a Source has apiVersion 'retro/v1', not '",
                           api.value, "'"));
    }
    SourceDoc s;
    s.pos = r.Pos(doc);
    ReadMetadata(r, doc, &s.name, nullptr, /*dns_name=*/false);
    YAML::Node spec = DocReader::Child(doc, "spec");
    if (!spec.IsDefined()) {
      r.Error(doc, "spec", "'spec' is required: give at least 'format'");
      return;
    }
    if (!r.ExpectMap(spec, "spec")) return;
    r.ReadSourceSpec(spec, &s);
    out->sources.push_back(std::move(s));
    return;
  }
  std::vector<std::string_view> kinds = {"ActivityPolicy", "Policy", "Source"};
  std::string hint = internal::DidYouMean(kind.value, kinds);
  r.Error(kind.pos, "kind",
          absl::StrCat("unknown kind '", kind.value, "'",
                       hint.empty() ? "" : absl::StrCat(" (", hint, ")"),
                       "; Retro reads ActivityPolicy (",
                       base::AV(kActivityApiVersion),
                       "), Policy and Source (retro/v1)"));
}

bool IsDocumentMarker(std::string_view line) {
  if (!line.starts_with("---") && !line.starts_with("...")) return false;
  return line.size() == 3 || line[3] == ' ' || line[3] == '\t' ||
         line[3] == '\r' || line[3] == '\n';
}

std::string YamlErrorMessage(const YAML::Exception& e, std::string_view line) {
  std::string message = absl::StrCat("YAML syntax error: ", e.msg);
  if (line.find('\t') != std::string_view::npos) {
    absl::StrAppend(&message,
                    "; this line has a tab: YAML indents with spaces only, "
                    "replace the tab with spaces");
  } else {
    absl::StrAppend(&message,
                    "; check the indentation and that text containing ': ' "
                    "or '#' is quoted");
  }
  return message;
}

// yaml-cpp 0.7 is handed a chunk only after this scan, which parses it
// with yaml-cpp's event parser (no nodes built) under two bounds:
//  - progress: a token the parser cannot place at the top of a document (a
//    ',' outside any [...] or {...}, as in `, x` or `- a\n,`) is never
//    consumed, so each HandleNextDocument call returns one more empty
//    document at the same place and YAML::LoadAll never returns (memory
//    grows until the process dies). A document that starts where the
//    previous one started is reported as a syntax error there.
//  - alias expansion: `*name` repeats its anchor's whole node; nested
//    aliases grow exponentially ("billion laughs") when the tree is walked.
//    The scan adds each alias's expanded size and stops at a limit.
// Nesting depth is bounded by yaml-cpp itself (DeepRecursion) and by
// YamlToJson.
class BoundedScan : public YAML::EventHandler {
 public:
  struct TooManyAliasNodes {};

  explicit BoundedScan(size_t max_alias_nodes)
      : max_alias_nodes_(max_alias_nodes) {}

  size_t alias_nodes() const { return alias_nodes_; }
  const YAML::Mark& document_start() const { return document_start_; }
  const YAML::Mark& last_alias() const { return last_alias_; }

  void OnDocumentStart(const YAML::Mark& mark) override {
    document_start_ = mark;
    sizes_.clear();  // anchors are numbered per document
    open_.clear();
  }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t anchor) override {
    Leaf(anchor);
  }
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t anchor,
                const std::string&) override {
    Leaf(anchor);
  }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    size_t size = anchor < sizes_.size() ? sizes_[anchor] : 1;
    nodes_ += size;
    alias_nodes_ += size;
    last_alias_ = mark;
    if (alias_nodes_ > max_alias_nodes_) throw TooManyAliasNodes{};
  }
  void OnSequenceStart(const YAML::Mark&, const std::string&,
                       YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    Open(anchor);
  }
  void OnSequenceEnd() override { Close(); }
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value) override {
    Open(anchor);
  }
  void OnMapEnd() override { Close(); }

 private:
  void SetSize(YAML::anchor_t anchor, size_t size) {
    if (anchor == YAML::NullAnchor) return;
    if (sizes_.size() <= anchor) sizes_.resize(anchor + 1, 1);
    sizes_[anchor] = size;
  }
  void Leaf(YAML::anchor_t anchor) {
    ++nodes_;
    SetSize(anchor, 1);
  }
  void Open(YAML::anchor_t anchor) {
    open_.push_back({anchor, nodes_});
    ++nodes_;
  }
  void Close() {
    if (open_.empty()) return;
    SetSize(open_.back().first, nodes_ - open_.back().second);
    open_.pop_back();
  }

  size_t max_alias_nodes_;
  size_t nodes_ = 0;  // expanded: an alias counts its anchor's size
  size_t alias_nodes_ = 0;
  YAML::Mark document_start_ = YAML::Mark::null_mark();
  YAML::Mark last_alias_ = YAML::Mark::null_mark();
  std::vector<size_t> sizes_;  // by anchor id: expanded node count
  std::vector<std::pair<YAML::anchor_t, size_t>> open_;
};

// Scans `chunk` (which starts at byte `begin` of the file) with BoundedScan;
// false, with a problem, when yaml-cpp must not load it. Syntax errors are
// left to YAML::LoadAll, which reports them with the same positions.
bool ScanChunk(const SourceText& source, int begin, const std::string& chunk,
               const LoadOptions& options, size_t* alias_nodes,
               std::vector<Problem>* problems) {
  auto problem_at = [&](const YAML::Mark& mark, std::string message) {
    int pos = mark.is_null() ? begin : begin + mark.pos;
    Problem p = source.ProblemAt(pos, "", std::move(message));
    if (!mark.is_null()) {
      p.line = source.LineOf(begin) + mark.line;
      p.column = mark.column + 1;
      p.snippet = std::string(source.Line(p.line));
    }
    problems->push_back(std::move(p));
  };
  std::istringstream in(chunk);
  BoundedScan scan(options.max_alias_nodes - *alias_nodes);
  try {
    YAML::Parser parser(in);
    int previous = -1;
    while (parser.HandleNextDocument(scan)) {
      const YAML::Mark& start = scan.document_start();
      if (start.pos == previous) {
        char c = start.pos >= 0 && static_cast<size_t>(start.pos) < chunk.size()
                     ? chunk[start.pos]
                     : ' ';
        problem_at(
            start,
            c == ','
                ? std::string(
                      "YAML syntax error: a ',' outside any [...] or {...}; "
                      "quote the text it belongs to, or remove it")
                : absl::StrCat("YAML syntax error: unexpected '",
                               base::AV(std::string_view(&c, 1)),
                               "' here; quote the text it belongs to, or "
                               "remove it"));
        return false;
      }
      previous = start.pos;
    }
  } catch (const BoundedScan::TooManyAliasNodes&) {
    problem_at(scan.last_alias(),
               absl::StrCat("aliases (*name) repeat more than ",
                            options.max_alias_nodes,
                            " YAML nodes in this file; write the repeated "
                            "parts out, or use fewer and smaller aliases"));
    return false;
  } catch (const YAML::Exception&) {
    // A syntax error: YAML::LoadAll reports it.
  }
  *alias_nodes += scan.alias_nodes();
  return true;
}

}  // namespace

FileDocs LoadDocuments(std::string file, std::string text,
                       std::vector<Problem>* problems,
                       const LoadOptions& options) {
  FileDocs out;
  auto source = std::make_shared<SourceText>(std::move(file), std::move(text));
  out.source = source;
  const std::string& t = source->text();
  if (t.size() > options.max_file_bytes) {
    problems->push_back(source->ProblemAt(
        -1, "",
        absl::StrCat("the file is larger than ", options.max_file_bytes,
                     " bytes; split it into several files")));
    return out;
  }
  // Split at document markers so each document is parsed on its own.
  std::vector<int> starts = {0};
  for (size_t pos = 0; pos < t.size();) {
    size_t end = t.find('\n', pos);
    if (end == std::string::npos) end = t.size();
    if (pos > 0 &&
        IsDocumentMarker(std::string_view(t).substr(pos, end - pos))) {
      starts.push_back(static_cast<int>(pos));
    }
    pos = end + 1;
  }
  starts.push_back(static_cast<int>(t.size()));
  int documents = 0;
  size_t alias_nodes = 0;
  for (size_t i = 0; i + 1 < starts.size(); ++i) {
    int begin = starts[i];
    std::string chunk = t.substr(begin, starts[i + 1] - begin);
    if (!ScanChunk(*source, begin, chunk, options, &alias_nodes, problems))
      continue;
    std::vector<YAML::Node> docs;
    try {
      docs = YAML::LoadAll(chunk);
    } catch (const YAML::Exception& e) {
      int pos = e.mark.is_null() ? begin : begin + e.mark.pos;
      int line = source->LineOf(pos);
      Problem p =
          source->ProblemAt(pos, "", YamlErrorMessage(e, source->Line(line)));
      if (!e.mark.is_null()) {
        // yaml-cpp's line/column are exact; its pos can lag behind them.
        p.line = source->LineOf(begin) + e.mark.line;
        p.column = e.mark.column + 1;
        p.snippet = std::string(source->Line(p.line));
        p.message = YamlErrorMessage(e, p.snippet);
      }
      problems->push_back(std::move(p));
      continue;
    }
    for (const YAML::Node& doc : docs) {
      if (++documents > options.max_documents) {
        problems->push_back(source->ProblemAt(
            begin, "",
            absl::StrCat("more than ", options.max_documents,
                         " documents in one file; split it")));
        return out;
      }
      DocReader reader(*source, begin, problems);
      try {
        ReadDocument(reader, doc, &out);
      } catch (const YAML::Exception& e) {
        problems->push_back(
            source->ProblemAt(begin, "", YamlErrorMessage(e, "")));
      }
    }
  }
  return out;
}

std::vector<std::string> SplitDocumentTexts(std::string_view text) {
  std::vector<std::string> docs(1);
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    std::string_view t = line;
    while (!t.empty() && (t.back() == ' ' || t.back() == '\r')) {
      t.remove_suffix(1);
    }
    if (t == "---" || t.substr(0, 4) == "--- ") {
      docs.emplace_back();
      continue;
    }
    docs.back().append(line).push_back('\n');
  }
  return docs;
}

}  // namespace retro::policy

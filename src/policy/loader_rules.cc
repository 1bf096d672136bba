// The loader's readers for rules, tests and source specs.
#include "absl/strings/str_cat.h"
#include "base/strings.h"
#include "policy/canonical_json.h"
#include "policy/kinds.h"
#include "policy/loader_internal.h"
#include "policy/yaml_util.h"

namespace retro::policy::internal {

RuleDoc DocReader::ReadRule(const YAML::Node& node, const std::string& path,
                            bool native) {
  RuleDoc rule;
  if (!ExpectMap(node, path, "a rule has name, match and summary")) return rule;
  if (native) {
    CheckKeys(node, path,
              {"name", "description", "match", "require", "summary", "fields"},
              true);
  } else {
    CheckKeys(node, path, {"name", "description", "match", "summary"}, false);
  }
  rule.name =
      ReadScalar(node, "name", path, true, "a name such as 'name: created'");
  rule.description = ReadScalar(node, "description", path, false, "text");
  rule.match =
      ReadScalar(node, "match", path, true,
                 "a CEL condition, e.g. match: \"audit.verb == 'create'\"");
  rule.summary =
      ReadScalar(node, "summary", path, true,
                 "a summary template, e.g. summary: \"{{ actor }} did it\"");
  if (rule.match.present() && rule.match.value.empty()) {
    Error(rule.match.pos, rule.match.path,
          "match is empty: write a CEL condition, or \"true\" to match "
          "everything");
  }
  if (!native) return rule;
  YAML::Node require = Child(node, "require");
  if (require.IsDefined() && !require.IsNull()) {
    std::string rpath = path + ".require";
    if (require.IsSequence()) {
      int i = 0;
      for (const YAML::Node& item : require) {
        Scalar s = AsScalar(item, absl::StrCat(rpath, "[", i++, "]"),
                            "a CEL expression");
        if (s.present() && s.value.empty()) {
          Error(s.pos, s.path,
                "an empty expression; remove it or name a field, e.g. "
                "data.orgId");
        } else if (s.present()) {
          rule.require.push_back(std::move(s));
        }
      }
    } else {
      Scalar s = AsScalar(require, rpath, "a CEL expression or a list of them");
      if (s.present() && !s.value.empty()) rule.require.push_back(std::move(s));
    }
  }
  YAML::Node fields = Child(node, "fields");
  if (fields.IsDefined() && !fields.IsNull()) {
    std::string fpath = path + ".fields";
    if (ExpectMap(fields, fpath,
                  "name each field, e.g. 'customer: data.orgId'")) {
      for (const auto& kv : fields) {
        Scalar key = AsScalar(kv.first, fpath, "a field name");
        if (!key.present()) continue;
        key.path = absl::StrCat(fpath, ".", key.value);
        if (key.value.empty()) {
          Error(key.pos, key.path, "a field needs a name");
          continue;
        }
        bool duplicate = false;
        for (const auto& [other, expr] : rule.fields) {
          duplicate = duplicate || other.value == key.value;
        }
        if (duplicate) {
          Error(
              key.pos, key.path,
              absl::StrCat("field '", key.value, "' is given twice; keep one"));
          continue;
        }
        Scalar value = AsScalar(kv.second, key.path, "a CEL expression");
        if (value.present() && value.value.empty()) {
          Error(value.pos, value.path,
                "the field's expression is empty; write a CEL expression, e.g. "
                "data.orgId");
          continue;
        }
        rule.fields.emplace_back(std::move(key), std::move(value));
      }
    }
  }
  return rule;
}

std::vector<RuleDoc> DocReader::ReadRules(const YAML::Node& seq,
                                          const std::string& path,
                                          bool native) {
  std::vector<RuleDoc> rules;
  int i = 0;
  for (const YAML::Node& item : seq) {
    std::string rule_path = absl::StrCat(path, "[", i++, "]");
    RuleDoc rule = ReadRule(item, rule_path, native);
    const Scalar& name = rule.name;
    if (name.present()) {
      if (!IsDns1123Name(name.value)) {
        std::string suggestion = SuggestDns1123Name(name.value);
        Error(name.pos, name.path,
              absl::StrCat("rule name '", name.value,
                           "' is not a DNS-1123 name: use lower-case letters, "
                           "digits, '-' and '.', starting and ending with a "
                           "letter or digit",
                           suggestion.empty()
                               ? ""
                               : absl::StrCat(" (e.g. '", suggestion, "')")));
      }
      for (size_t j = 0; j < rules.size(); ++j) {
        if (rules[j].name.present() && rules[j].name.value == name.value) {
          std::string list = path.substr(path.rfind('.') + 1);
          Error(name.pos, name.path,
                absl::StrCat("rule name '", name.value, "' appears twice in ",
                             list, " (also ", list, "[", j,
                             "]); rule names must be unique: rename one"));
          break;
        }
      }
    }
    rules.push_back(std::move(rule));
  }
  return rules;
}

void DocReader::ReadExpect(const YAML::Node& node, const std::string& path,
                           TestDoc* test) {
  if (!ExpectMap(node, path,
                 "say what should happen: rule/summary/fields, dropped, error "
                 "or unmatched")) {
    return;
  }
  CheckKeys(node, path,
            {"rule", "summary", "fields", "links", "dropped", "error",
             "unmatched", "unselected"},
            true);
  test->rule = ReadScalar(node, "rule", path, false, "a rule name");
  test->summary =
      ReadScalar(node, "summary", path, false, "the expected summary");
  test->dropped = ReadScalar(node, "dropped", path, false,
                             "the reason, e.g. 'missing data.orgId'");
  YAML::Node error = Child(node, "error");
  if (error.IsDefined()) {
    test->expect_error = true;
    test->error =
        AsScalar(error, path + ".error", "part of the error message, or true");
    if (test->error.value == "true") test->error.value.clear();
  }
  auto flag = [&](std::string_view key, bool* out) {
    YAML::Node n = Child(node, key);
    if (!n.IsDefined()) return;
    if (!n.IsScalar() || TypeOfScalar(n) != ScalarType::kBool) {
      Error(n, absl::StrCat(path, ".", base::AV(key)), "must be true or false");
      return;
    }
    *out = n.Scalar()[0] == 't' || n.Scalar()[0] == 'T';
  };
  flag("unmatched", &test->expect_unmatched);
  flag("unselected", &test->expect_unselected);
  YAML::Node fields = Child(node, "fields");
  if (fields.IsDefined() && ExpectMap(fields, path + ".fields")) {
    test->has_fields = true;
    for (const auto& kv : fields) {
      if (!kv.first.IsScalar()) continue;
      std::string json, err;
      if (!YamlToJson(kv.second, /*sort_keys=*/true, &json, &err)) {
        Error(kv.second, absl::StrCat(path, ".fields.", kv.first.Scalar()),
              err);
        continue;
      }
      test->fields.emplace_back(kv.first.Scalar(), std::move(json));
    }
  }
  YAML::Node links = Child(node, "links");
  if (links.IsDefined() && ExpectSeq(links, path + ".links")) {
    test->has_links = true;
    std::string err;
    if (!YamlToJson(links, /*sort_keys=*/true, &test->links_json, &err)) {
      Error(links, path + ".links", err);
    }
  }
  int outcomes = (test->rule.present() || test->summary.present() ||
                  test->has_fields || test->has_links) +
                 test->dropped.present() + test->expect_error +
                 test->expect_unmatched + test->expect_unselected;
  if (outcomes == 0) {
    Error(node, path,
          "expect names no outcome: give rule (and summary/fields), dropped, "
          "error, unmatched or unselected");
  } else if (outcomes > 1) {
    Error(node, path,
          "expect names more than one outcome: a matched record (rule, "
          "summary, fields, links), dropped, error, unmatched and unselected "
          "exclude each other");
  }
}

std::vector<TestDoc> DocReader::ReadTests(const YAML::Node& seq,
                                          const std::string& path) {
  std::vector<TestDoc> tests;
  int i = 0;
  for (const YAML::Node& item : seq) {
    TestDoc test;
    test.path = absl::StrCat(path, "[", i++, "]");
    test.pos = Pos(item);
    test.line = source_.LineOf(test.pos);
    if (!ExpectMap(item, test.path, "a test has name, input and expect"))
      continue;
    CheckKeys(item, test.path, {"name", "type", "input", "expect"}, true);
    test.name = ReadScalar(item, "name", test.path, false);
    if (!test.name.present()) test.name.value = absl::StrCat("test ", i);
    test.type = ReadScalar(item, "type", test.path, false, "an event type");
    YAML::Node input = Child(item, "input");
    if (!input.IsDefined()) {
      Error(item, test.path + ".input",
            "'input' is required: the raw event payload");
    } else if (input.IsScalar() && TypeOfScalar(input) == ScalarType::kString) {
      test.input_json = input.Scalar();  // raw JSON text
    } else {
      std::string err;
      if (!YamlToJson(input, /*sort_keys=*/false, &test.input_json, &err)) {
        Error(input, test.path + ".input", err);
      }
    }
    YAML::Node expect = Child(item, "expect");
    if (!expect.IsDefined()) {
      Error(item, test.path + ".expect",
            "'expect' is required: what the policy should produce");
    } else {
      ReadExpect(expect, test.path + ".expect", &test);
    }
    tests.push_back(std::move(test));
  }
  return tests;
}

void DocReader::ReadSourceSpec(const YAML::Node& spec, SourceDoc* doc) {
  CheckKeys(spec, "spec", {"format", "id", "time", "tenant"}, true);
  Scalar format =
      ReadScalar(spec, "format", "spec", true,
                 "'format: kubernetes-audit', 'kubernetes-event' or 'json'");
  if (format.present()) {
    if (format.value == "kubernetes-audit") {
      doc->format = SourceFormat::kKubernetesAudit;
    } else if (format.value == "kubernetes-event") {
      doc->format = SourceFormat::kKubernetesEvent;
    } else if (format.value == "json") {
      doc->format = SourceFormat::kJson;
    } else {
      Error(format.pos, format.path,
            absl::StrCat("unknown format '", format.value,
                         "'; use kubernetes-audit, kubernetes-event or json"));
    }
  }
  doc->id = ReadScalar(spec, "id", "spec", false, "a CEL expression");
  doc->time = ReadScalar(spec, "time", "spec", false, "a CEL expression");
  doc->tenant = ReadScalar(spec, "tenant", "spec", false, "a CEL expression");
  if (doc->format == SourceFormat::kJson && format.present()) {
    if (!doc->id.present()) {
      Error(spec, "spec.id",
            "a json source needs 'id': a CEL expression over data, e.g. 'id: "
            "data.id'");
    }
    if (!doc->time.present()) {
      Error(spec, "spec.time",
            "a json source needs 'time': a CEL expression over data, e.g. "
            "'time: data.createdAt'");
    }
  }
}

}  // namespace retro::policy::internal

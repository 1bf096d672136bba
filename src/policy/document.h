// Policy documents as read from YAML, before compilation: plain data with the
// location of every scalar a later stage may need to blame. Produced by the
// loader (loader.h), consumed by the compiler (compiler.h).
#ifndef RETRO_POLICY_DOCUMENT_H_
#define RETRO_POLICY_DOCUMENT_H_

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "policy/source_text.h"

namespace retro::policy {

// A scalar as written, with where it is.
struct Scalar {
  std::string value;
  std::string path;  // "spec.auditRules[1].match"
  int pos = -1;      // byte offset of the node in the file; -1 when absent
  bool present() const { return pos >= 0; }
};

struct RuleDoc {
  Scalar name;
  Scalar description;
  Scalar match;
  std::vector<Scalar> require;
  Scalar summary;
  std::vector<std::pair<Scalar, Scalar>> fields;  // name (key) -> expression
};

// One embedded example (`tests:` of a Policy).
struct TestDoc {
  Scalar name;
  std::string path;  // "spec.tests[0]"
  int pos = -1;
  int line = 0;
  Scalar type;             // the input's type; default: the policy's first
  std::string input_json;  // the raw payload
  // Expectations; the present ones are checked.
  Scalar rule;
  Scalar summary;
  bool has_fields = false;
  std::vector<std::pair<std::string, std::string>> fields;  // name -> JSON
  bool has_links = false;
  std::string links_json;  // canonical JSON array of {marker, resource}
  Scalar dropped;          // the exact reason
  Scalar error;            // a substring of the error ("" = any error)
  bool expect_error = false;
  bool expect_unmatched = false;
  bool expect_unselected = false;
};

enum class PolicyKind { kActivity, kNative };

struct PolicyDoc {
  PolicyKind kind = PolicyKind::kNative;
  std::string api_version;
  Scalar name;
  int pos = -1;  // the document's start
  // Canonical JSON of {apiVersion, kind, spec}: the generation's identity is
  // its hash.
  std::string normalized;
  std::vector<std::pair<std::string, std::string>> labels;

  // ActivityPolicy.
  Scalar api_group;
  Scalar resource_kind;
  std::vector<RuleDoc> audit_rules;
  std::vector<RuleDoc> event_rules;

  // Policy.
  std::vector<Scalar> inputs;
  Scalar select;
  std::string params_json = "{}";  // spec.params as JSON (key order kept)
  std::string params_path;
  int params_pos = -1;
  std::vector<RuleDoc> rules;

  std::vector<TestDoc> tests;
};

enum class SourceFormat { kKubernetesAudit, kKubernetesEvent, kJson };

struct SourceDoc {
  Scalar name;  // the input type it describes
  int pos = -1;
  SourceFormat format = SourceFormat::kJson;
  Scalar id;      // CEL (json format)
  Scalar time;    // CEL (json format)
  Scalar tenant;  // CEL; absent means ""
};

// Everything read from one file.
struct FileDocs {
  std::shared_ptr<const SourceText> source;
  std::vector<PolicyDoc> policies;
  std::vector<SourceDoc> sources;
};

}  // namespace retro::policy

#endif  // RETRO_POLICY_DOCUMENT_H_

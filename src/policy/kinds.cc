#include "policy/kinds.h"

#include <algorithm>
#include <cctype>

#include "absl/strings/ascii.h"

namespace retro::policy {
namespace {

struct KindPlural {
  std::string_view kind;
  std::string_view plural;
};

// The built-in kinds of Kubernetes and common ecosystem kinds, lower-cased,
// with the plural the API server uses. Only kinds whose plural the English
// rules below would get wrong strictly need to be here; the rest document
// what is covered.
constexpr KindPlural kKinds[] = {
    {"apiservice", "apiservices"},
    {"binding", "bindings"},
    {"certificatesigningrequest", "certificatesigningrequests"},
    {"clusterrole", "clusterroles"},
    {"clusterrolebinding", "clusterrolebindings"},
    {"componentstatus", "componentstatuses"},
    {"configmap", "configmaps"},
    {"controllerrevision", "controllerrevisions"},
    {"cronjob", "cronjobs"},
    {"csidriver", "csidrivers"},
    {"csinode", "csinodes"},
    {"csistoragecapacity", "csistoragecapacities"},
    {"customresourcedefinition", "customresourcedefinitions"},
    {"daemonset", "daemonsets"},
    {"deployment", "deployments"},
    {"endpoints", "endpoints"},
    {"endpointslice", "endpointslices"},
    {"event", "events"},
    {"flowschema", "flowschemas"},
    {"horizontalpodautoscaler", "horizontalpodautoscalers"},
    {"ingress", "ingresses"},
    {"ingressclass", "ingressclasses"},
    {"job", "jobs"},
    {"lease", "leases"},
    {"limitrange", "limitranges"},
    {"localsubjectaccessreview", "localsubjectaccessreviews"},
    {"mutatingwebhookconfiguration", "mutatingwebhookconfigurations"},
    {"namespace", "namespaces"},
    {"networkpolicy", "networkpolicies"},
    {"node", "nodes"},
    {"persistentvolume", "persistentvolumes"},
    {"persistentvolumeclaim", "persistentvolumeclaims"},
    {"pod", "pods"},
    {"poddisruptionbudget", "poddisruptionbudgets"},
    {"podsecuritypolicy", "podsecuritypolicies"},
    {"podtemplate", "podtemplates"},
    {"priorityclass", "priorityclasses"},
    {"prioritylevelconfiguration", "prioritylevelconfigurations"},
    {"replicaset", "replicasets"},
    {"replicationcontroller", "replicationcontrollers"},
    {"resourcequota", "resourcequotas"},
    {"role", "roles"},
    {"rolebinding", "rolebindings"},
    {"runtimeclass", "runtimeclasses"},
    {"secret", "secrets"},
    {"selfsubjectaccessreview", "selfsubjectaccessreviews"},
    {"selfsubjectrulesreview", "selfsubjectrulesreviews"},
    {"service", "services"},
    {"serviceaccount", "serviceaccounts"},
    {"statefulset", "statefulsets"},
    {"storageclass", "storageclasses"},
    {"subjectaccessreview", "subjectaccessreviews"},
    {"tokenreview", "tokenreviews"},
    {"validatingadmissionpolicy", "validatingadmissionpolicies"},
    {"validatingadmissionpolicybinding", "validatingadmissionpolicybindings"},
    {"validatingwebhookconfiguration", "validatingwebhookconfigurations"},
    {"volumeattachment", "volumeattachments"},
};

bool IsVowel(char c) {
  return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u';
}

bool IsAlnumLower(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

}  // namespace

std::string PluralOfKind(std::string_view kind) {
  std::string lower(kind);
  for (char& c : lower) c = absl::ascii_tolower(static_cast<unsigned char>(c));
  for (const KindPlural& k : kKinds) {
    if (k.kind == lower) return std::string(k.plural);
  }
  if (lower.empty()) return lower;
  std::string_view l = lower;
  if (l.ends_with("s") || l.ends_with("x") || l.ends_with("z") ||
      l.ends_with("ch") || l.ends_with("sh")) {
    return lower + "es";
  }
  if (l.size() >= 2 && l.back() == 'y' && !IsVowel(l[l.size() - 2])) {
    return lower.substr(0, lower.size() - 1) + "ies";
  }
  return lower + "s";
}

std::string_view GroupOfApiVersion(std::string_view api_version) {
  size_t slash = api_version.find('/');
  if (slash == std::string_view::npos) return {};
  return api_version.substr(0, slash);
}

bool IsDns1123Name(std::string_view name) {
  if (name.empty() || name.size() > 253) return false;
  if (!IsAlnumLower(name.front()) || !IsAlnumLower(name.back())) return false;
  for (char c : name) {
    if (!IsAlnumLower(c) && c != '-' && c != '.') return false;
  }
  return true;
}

std::string SuggestDns1123Name(std::string_view name) {
  std::string out;
  for (char c : name) {
    char l = absl::ascii_tolower(static_cast<unsigned char>(c));
    if (IsAlnumLower(l) || l == '.' || l == '-') {
      out.push_back(l);
    } else if (!out.empty() && out.back() != '-') {
      out.push_back('-');
    }
  }
  while (!out.empty() && !IsAlnumLower(out.back())) out.pop_back();
  size_t start = 0;
  while (start < out.size() && !IsAlnumLower(out[start])) ++start;
  out = out.substr(start, 253);
  return IsDns1123Name(out) ? out : std::string();
}

}  // namespace retro::policy

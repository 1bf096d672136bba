// Kubernetes naming helpers: the plural resource of a kind (as audit events'
// objectRef.resource spells it), the API group of an apiVersion, and
// DNS-1123 names. Pure functions; thread-safe.
#ifndef RETRO_POLICY_KINDS_H_
#define RETRO_POLICY_KINDS_H_

#include <string>
#include <string_view>

namespace retro::policy {

// "Deployment" -> "deployments", "Ingress" -> "ingresses", "NetworkPolicy"
// -> "networkpolicies", "Endpoints" -> "endpoints". Built-in Kubernetes
// kinds come from a table; any other kind follows English rules on its
// lower-cased name (s/x/z/ch/sh + "es", consonant + y -> "ies", else + "s").
std::string PluralOfKind(std::string_view kind);

// "apps/v1" -> "apps", "v1" -> "" (the core group).
std::string_view GroupOfApiVersion(std::string_view api_version);

// A DNS-1123 subdomain: at most 253 characters of lower-case letters, digits,
// '-' and '.', starting and ending with a letter or digit.
bool IsDns1123Name(std::string_view name);

// A DNS-1123 name close to `name` ("Write_Secret" -> "write-secret"), for
// messages; empty when nothing sensible remains.
std::string SuggestDns1123Name(std::string_view name);

}  // namespace retro::policy

#endif  // RETRO_POLICY_KINDS_H_

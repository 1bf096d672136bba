// Reading Kubernetes-shaped payloads: field paths, the audit defaults
// ActivityPolicy promises, actors, and fast RFC 3339 timestamps. Internal to
// the evaluator; pure functions over values in the caller's arena.
#ifndef RETRO_POLICY_ENVELOPE_H_
#define RETRO_POLICY_ENVELOPE_H_

#include <initializer_list>
#include <string_view>

#include "absl/time/time.h"
#include "cel/arena.h"
#include "cel/value.h"

namespace retro::policy::internal {

// The value at a path of map keys; nullptr when any step is missing or not
// a map.
const cel::Value* Lookup(const cel::Value& root,
                         std::initializer_list<std::string_view> path);
// The string at a path; empty when missing or not a string.
std::string_view StringAt(const cel::Value& root,
                          std::initializer_list<std::string_view> path);

// The audit payload with objectRef, user, responseStatus, requestObject and
// responseObject defaulting to {} so `has()` on their fields works.
// REQUIRES: payload is a map.
cel::Value NormalizeAudit(const cel::Value& payload, cel::Arena& arena);

// {"type": type, "name": name}.
cel::Value ActorRef(std::string_view type, std::string_view name,
                    cel::Arena& arena);
// user, serviceaccount or system, from an audit username.
std::string_view AuditActorType(std::string_view username);

// Parses an RFC 3339 timestamp; a fast path for the common
// "2026-11-20T00:01:56.579795Z" shape, base::ParseRfc3339 for the rest.
bool ParseTimestamp(std::string_view text, absl::Time* out);

}  // namespace retro::policy::internal

#endif  // RETRO_POLICY_ENVELOPE_H_

// Bearer tokens and roles. Roles are ordered: viewer (read) < ingest (write
// events) < operator (runs) < admin (policies, sources, config); a role may
// do everything the roles below it may.
//
// Tokens come from the config file (`tokens:` list of {name, role, token or
// token_file}) and from the admin token generated into the data directory on
// first start (`<data>/admin.token`, mode 0600).
//
// Thread-safety: immutable after loading; Find may be called concurrently.
#ifndef RETRO_API_AUTH_H_
#define RETRO_API_AUTH_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "base/strings.h"

namespace retro::api {

enum class Role { kViewer = 0, kIngest = 1, kOperator = 2, kAdmin = 3 };
std::string_view RoleName(Role role);
bool ParseRole(std::string_view text, Role* role);

struct Principal {
  std::string name;
  Role role = Role::kViewer;
};

class TokenStore {
 public:
  // Adds a token. InvalidArgument for an empty or short token.
  [[nodiscard]] absl::Status Add(std::string token, Principal principal);
  // Reads `<dir>/admin.token`, generating it (32 random bytes, hex) when
  // absent; registers it as "admin". Returns the file's path.
  [[nodiscard]] absl::StatusOr<std::string> EnsureAdminToken(
      const std::string& dir);
  // nullptr when unknown.
  const Principal* Find(std::string_view token) const;
  size_t size() const { return tokens_.size(); }

 private:
  base::StringMap<Principal> tokens_;
};

// The server's config file (YAML):
//   listen: 127.0.0.1:8080
//   data: ./retro-data
//   max_body_bytes: 67108864
//   workers: 2
//   queue_capacity: 200000
//   tokens:
//     - {name: ci, role: ingest, token: "..."}    # or token_file: path
struct ServerConfig {
  std::string listen;
  std::string data;
  size_t max_body_bytes = 0;
  int workers = 0;
  size_t queue_capacity = 0;
  TokenStore tokens;
};

// Problems name the file and the entry.
[[nodiscard]] absl::Status LoadServerConfig(const std::string& path,
                                            ServerConfig* config);

}  // namespace retro::api

#endif  // RETRO_API_AUTH_H_

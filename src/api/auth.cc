#include "api/auth.h"

#include <sys/stat.h>

#include <fstream>
#include <random>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/file.h"
#include "yaml-cpp/yaml.h"

namespace retro::api {
namespace {

std::string RandomHex(size_t bytes) {
  std::random_device rd;
  std::string out;
  for (size_t i = 0; i < bytes; ++i) {
    absl::StrAppendFormat(&out, "%02x", rd() & 0xff);
  }
  return out;
}

std::string TrimLine(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' ||
                        s.back() == ' ' || s.back() == '\t'))
    s.pop_back();
  return s;
}

}  // namespace

std::string_view RoleName(Role role) {
  switch (role) {
    case Role::kViewer:
      return "viewer";
    case Role::kIngest:
      return "ingest";
    case Role::kOperator:
      return "operator";
    case Role::kAdmin:
      return "admin";
  }
  return "viewer";
}

bool ParseRole(std::string_view text, Role* role) {
  for (Role r : {Role::kViewer, Role::kIngest, Role::kOperator, Role::kAdmin}) {
    if (RoleName(r) == text) {
      *role = r;
      return true;
    }
  }
  return false;
}

absl::Status TokenStore::Add(std::string token, Principal principal) {
  if (token.size() < 16) {
    return absl::InvalidArgumentError(
        absl::StrCat("token of '", principal.name,
                     "' is too short (at least 16 characters)"));
  }
  tokens_[std::move(token)] = std::move(principal);
  return absl::OkStatus();
}

absl::StatusOr<std::string> TokenStore::EnsureAdminToken(
    const std::string& dir) {
  std::string path = absl::StrCat(dir, "/admin.token");
  auto existing = base::ReadFile(path);
  std::string token;
  if (existing.ok()) {
    token = TrimLine(*existing);
  } else {
    token = RandomHex(32);
    std::string tmp = path + ".tmp";
    {
      std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
      if (!out) return absl::InternalError(absl::StrCat("cannot write ", tmp));
      out << token << "\n";
    }
    ::chmod(tmp.c_str(), 0600);
    if (std::rename(tmp.c_str(), path.c_str()) != 0) {
      return absl::InternalError(absl::StrCat("cannot create ", path));
    }
  }
  absl::Status st = Add(token, Principal{"admin", Role::kAdmin});
  if (!st.ok()) return st;
  return path;
}

const Principal* TokenStore::Find(std::string_view token) const {
  auto it = tokens_.find(token);
  return it == tokens_.end() ? nullptr : &it->second;
}

absl::Status LoadServerConfig(const std::string& path, ServerConfig* config) {
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", e.what()));
  }
  try {
    if (!root.IsMap()) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": the config must be a YAML mapping"));
    }
    if (root["listen"]) config->listen = root["listen"].as<std::string>();
    if (root["data"]) config->data = root["data"].as<std::string>();
    if (root["max_body_bytes"])
      config->max_body_bytes = root["max_body_bytes"].as<size_t>();
    if (root["workers"]) config->workers = root["workers"].as<int>();
    if (root["queue_capacity"])
      config->queue_capacity = root["queue_capacity"].as<size_t>();
    YAML::Node tokens = root["tokens"];
    if (tokens && !tokens.IsSequence()) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": tokens must be a list"));
    }
    for (size_t i = 0; tokens && i < tokens.size(); ++i) {
      YAML::Node t = tokens[i];
      std::string where = absl::StrCat(path, ": tokens[", i, "]");
      if (!t["name"] || !t["role"]) {
        return absl::InvalidArgumentError(
            absl::StrCat(where, ": needs name and role"));
      }
      Principal p;
      p.name = t["name"].as<std::string>();
      if (!ParseRole(t["role"].as<std::string>(), &p.role)) {
        return absl::InvalidArgumentError(absl::StrCat(
            where, ": role must be viewer, ingest, operator or admin"));
      }
      std::string token;
      if (t["token"]) {
        token = t["token"].as<std::string>();
      } else if (t["token_file"]) {
        auto text = base::ReadFile(t["token_file"].as<std::string>());
        if (!text.ok()) {
          return absl::InvalidArgumentError(
              absl::StrCat(where, ": ", text.status().message()));
        }
        token = TrimLine(*text);
      } else {
        return absl::InvalidArgumentError(
            absl::StrCat(where, ": needs token or token_file"));
      }
      absl::Status st = config->tokens.Add(token, p);
      if (!st.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat(where, ": ", st.message()));
      }
    }
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", e.what()));
  }
  return absl::OkStatus();
}

}  // namespace retro::api

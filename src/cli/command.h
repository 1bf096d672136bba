// How `retro` subcommands plug in: each command's .cc defines a registrar with
// RETRO_REGISTER_COMMAND, which adds its CLI11 subcommand to the app. main.cc
// knows none of them, so adding a command touches no other command.
//
// Exit codes: 0 success, 1 the operation failed (an error, a failed test or
// check), 2 bad usage (CLI11's own errors), 3 could not reach a service.
#ifndef RETRO_CLI_COMMAND_H_
#define RETRO_CLI_COMMAND_H_

#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "base/file.h"

namespace retro::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitUnavailable = 3;

// Thrown by a command's callback to end the process with `code` after the
// message (if any) has been printed. Caught only in main().
struct ExitRequest {
  int code;
};

// The file's bytes; prints "error: cannot read PATH" and exits (1) when it
// cannot be read.
inline std::string ReadFileOrExit(const std::string& path) {
  absl::StatusOr<std::string> text = base::ReadFile(path);
  if (!text.ok()) {
    std::fprintf(stderr, "error: %s\n",
                 std::string(text.status().message()).c_str());
    throw ExitRequest{kExitFailure};
  }
  return std::move(*text);
}

using CommandRegistrar = std::function<void(CLI::App& app)>;

// Registration order is the help order (by name).
std::vector<std::pair<std::string, CommandRegistrar>>& CommandRegistry();

struct CommandRegistration {
  CommandRegistration(std::string name, CommandRegistrar registrar) {
    CommandRegistry().emplace_back(std::move(name), std::move(registrar));
  }
};

}  // namespace retro::cli

#define RETRO_REGISTER_COMMAND(name, fn) \
  static ::retro::cli::CommandRegistration retro_command_##name(#name, fn)

#endif  // RETRO_CLI_COMMAND_H_

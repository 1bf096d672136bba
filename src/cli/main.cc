// The `retro` executable: builds the CLI11 app from the registered commands.
#include <algorithm>
#include <cstdio>

#include "CLI/CLI.hpp"
#include "cli/command.h"

namespace retro::cli {

std::vector<std::pair<std::string, CommandRegistrar>>& CommandRegistry() {
  static auto* registry =
      new std::vector<std::pair<std::string, CommandRegistrar>>();
  return *registry;
}

}  // namespace retro::cli

int main(int argc, char** argv) {
  CLI::App app{
      "retro: derive records from raw events with versioned CEL policies, and "
      "re-run any policy over history safely."};
  app.require_subcommand(1);
  app.set_version_flag("--version", "retro 0.1.0");
  auto& registry = retro::cli::CommandRegistry();
  std::sort(registry.begin(), registry.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  for (auto& [name, registrar] : registry) registrar(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : retro::cli::kExitUsage;
  } catch (const retro::cli::ExitRequest& e) {
    return e.code;
  }
  return 0;
}

// `retro policy lint|test|preview`: check policy files, run their embedded
// tests, and try them on sample input. The work is done by src/policy; this
// file only parses flags and prints.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cli/command.h"
#include "policy/outcome_json.h"
#include "policy/policy_set.h"
#include "policy/test_runner.h"

namespace retro::cli {
namespace {

using policy::Outcome;
using policy::OutcomeKind;
using policy::PolicySet;
using policy::Problem;

void PrintProblems(const std::vector<Problem>& problems) {
  for (const Problem& p : problems) {
    std::fprintf(stderr, "%s\n", p.ToStringWithSnippet().c_str());
  }
}

int CountErrors(const std::vector<Problem>& problems) {
  int n = 0;
  for (const Problem& p : problems) n += p.is_error();
  return n;
}

// Loads files into `set`; prints problems; exits when any is an error.
void LoadOrExit(PolicySet& set, const std::vector<std::string>& files) {
  for (const std::string& f : files) set.AddFile(f);
  PrintProblems(set.problems());
  if (set.has_errors()) {
    std::fprintf(stderr,
                 "%d error(s); fix them first (see `retro policy lint`)\n",
                 CountErrors(set.problems()));
    throw ExitRequest{kExitFailure};
  }
}

void RunLint(const std::vector<std::string>& files) {
  int errors = 0, warnings = 0;
  for (const std::string& file : files) {
    PolicySet set;
    set.AddFile(file);
    PrintProblems(set.problems());
    int e = CountErrors(set.problems());
    errors += e;
    warnings += static_cast<int>(set.problems().size()) - e;
    if (e == 0) {
      std::printf("ok  %s (%zu %s)\n", file.c_str(), set.policies().size(),
                  set.policies().size() == 1 ? "policy" : "policies");
    }
  }
  std::fprintf(stderr, "%zu file(s): %d error(s), %d warning(s)\n",
               files.size(), errors, warnings);
  if (errors > 0) throw ExitRequest{kExitFailure};
}

void RunTest(const std::vector<std::string>& files) {
  PolicySet set;
  LoadOrExit(set, files);
  int passed = 0, failed = 0;
  for (const auto& p : set.policies()) {
    if (p->tests().empty()) {
      std::printf("--    %s: no tests\n", p->name().c_str());
      continue;
    }
    for (const policy::TestResult& r :
         policy::RunPolicyTests(*p, set.sources())) {
      if (r.passed) {
        ++passed;
        std::printf("PASS  %s: %s\n", r.policy.c_str(), r.name.c_str());
        continue;
      }
      ++failed;
      std::printf("FAIL  %s: %s (%s:%d, %s)\n", r.policy.c_str(),
                  r.name.c_str(), r.file.c_str(), r.line, r.path.c_str());
      for (const std::string& f : r.failures)
        std::printf("        %s\n", f.c_str());
      std::printf("        produced: %s\n", r.outcome_json.c_str());
    }
  }
  std::printf("%d passed, %d failed\n", passed, failed);
  if (failed > 0) throw ExitRequest{kExitFailure};
}

struct PreviewFlags {
  std::string file;
  std::string name;
  std::string type;
  std::string input;
  std::string output = "json";
  std::vector<std::string> sources;
};

std::string Clip(std::string_view s, size_t n) {
  if (s.size() <= n) return std::string(s);
  return absl::StrCat(std::string(s.substr(0, n - 3)), "...");
}

void PrintTableRow(std::string_view index, std::string_view id,
                   std::string_view policy, std::string_view outcome,
                   std::string_view rule, std::string_view text) {
  std::printf("%s\n", absl::StrFormat("%-6s %-20s %-22s %-10s %-16s %s", index,
                                      Clip(id, 20), Clip(policy, 22), outcome,
                                      Clip(rule, 16), text)
                          .c_str());
}

void RunPreview(const PreviewFlags& flags) {
  PolicySet set;
  std::vector<std::string> files = flags.sources;
  files.push_back(flags.file);
  LoadOrExit(set, files);
  std::vector<const policy::CompiledPolicy*> policies;
  for (const auto& p : set.policies()) {
    if (flags.name.empty() || p->name() == flags.name)
      policies.push_back(p.get());
  }
  if (policies.empty()) {
    std::fprintf(
        stderr, "error: %s\n",
        flags.name.empty()
            ? absl::StrCat(flags.file, " holds no policy").c_str()
            : absl::StrCat("no policy named '", flags.name, "' in ", flags.file)
                  .c_str());
    throw ExitRequest{kExitFailure};
  }
  std::ifstream file;
  std::istream* in = &std::cin;
  if (flags.input != "-") {
    file.open(flags.input, std::ios::binary);
    if (!file) {
      std::fprintf(stderr, "error: cannot read %s\n", flags.input.c_str());
      throw ExitRequest{kExitFailure};
    }
    in = &file;
  }
  bool table = flags.output == "table";
  if (table)
    PrintTableRow("INDEX", "ID", "POLICY", "OUTCOME", "RULE",
                  "SUMMARY / REASON");
  policy::Evaluator evaluator(&set.sources());
  std::string line, out;
  int64_t index = 0;
  while (std::getline(*in, line)) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    (void)evaluator.Load(flags.type, line);
    std::string_view id = evaluator.envelope().id;
    bool selected = false;
    for (const policy::CompiledPolicy* p : policies) {
      const Outcome& o = evaluator.Evaluate(*p);
      if (o.kind == OutcomeKind::kUnselected) continue;
      selected = true;
      if (table) {
        std::string_view text = o.kind == OutcomeKind::kMatched
                                    ? std::string_view(o.record.summary)
                                    : o.reason;
        PrintTableRow(absl::StrCat(index), id, p->name(),
                      policy::OutcomeKindName(o.kind), o.rule, text);
      } else {
        out.clear();
        policy::AppendOutcomeJson(o, index, id, &out);
        out.push_back('\n');
        std::fwrite(out.data(), 1, out.size(), stdout);
      }
    }
    if (!selected) {
      if (table) {
        PrintTableRow(absl::StrCat(index), id, "-", "unselected", "", "");
      } else {
        out.clear();
        policy::AppendUnselectedJson(index, id, &out);
        out.push_back('\n');
        std::fwrite(out.data(), 1, out.size(), stdout);
      }
    }
    ++index;
  }
}

void RegisterPolicy(CLI::App& app) {
  CLI::App* cmd =
      app.add_subcommand("policy", "Check, test and preview policies");
  cmd->require_subcommand(1);

  auto lint_files = std::make_shared<std::vector<std::string>>();
  CLI::App* lint = cmd->add_subcommand("lint",
                                       "Validate policy files and print every "
                                       "problem (exit 1 when any is an error)");
  lint->add_option("files", *lint_files, "policy YAML files")->required();
  lint->callback([lint_files] { RunLint(*lint_files); });

  auto test_files = std::make_shared<std::vector<std::string>>();
  CLI::App* test = cmd->add_subcommand(
      "test",
      "Run the policies' embedded tests (spec.tests); exit 1 when one fails");
  test->add_option(
          "files", *test_files,
          "policy YAML files (include the Source documents the tests need)")
      ->required();
  test->callback([test_files] { RunTest(*test_files); });

  auto flags = std::make_shared<PreviewFlags>();
  CLI::App* preview =
      cmd->add_subcommand("preview",
                          "Evaluate sample events (one raw JSON payload a "
                          "line) with a policy file");
  preview->add_option("file", flags->file, "policy YAML file")->required();
  preview->add_option("--name", flags->name, "only the policy with this name");
  preview
      ->add_option("--type", flags->type,
                   "the events' type, e.g. audit, event, usage")
      ->required();
  preview
      ->add_option("--input", flags->input,
                   "events, one JSON object a line ('-': stdin)")
      ->required();
  preview
      ->add_option("-o,--output", flags->output,
                   "json (one object a line) or table")
      ->check(CLI::IsMember({"json", "table"}))
      ->capture_default_str();
  preview->add_option(
      "--source", flags->sources,
      "YAML file with Source documents (how ids, times and tenants "
      "are read); repeatable");
  preview->callback([flags] { RunPreview(*flags); });
}

}  // namespace

RETRO_REGISTER_COMMAND(policy, RegisterPolicy);

}  // namespace retro::cli

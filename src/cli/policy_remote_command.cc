// `retro policy apply|list|get|generations|diff|delete` and `retro source
// apply|list|get|delete`: the server's policies and sources. Registered under
// a name that sorts after "policy", so the `policy` subcommand (lint, test,
// preview: policy_command.cc) exists when these are added to it.
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/line_diff.h"
#include "cli/remote.h"
#include "policy/loader.h"
#include "simdjson.h"

namespace retro::cli {
namespace {

struct Flags {
  std::vector<std::string> files;
  std::string name;
  uint64_t generation = 0;
  uint64_t from = 0, to = 0;  // diff: 0 = active, latest
  std::string file;           // diff: compare with this file's document
  std::string output = "table";
  api::ClientOptions client;
};

std::string Str(simdjson::dom::element e, const char* key) {
  std::string_view v;
  if (e[key].get_string().get(v)) return "";
  return std::string(v);
}

uint64_t Num(simdjson::dom::element e, const char* key) {
  uint64_t v = 0;
  if (e[key].get(v)) {
  }
  return v;
}

// Applies every policy (and, with sources, Source) document of the files.
void RunApply(const Flags& flags, bool policies, bool sources) {
  api::Client client(flags.client);
  int applied = 0;
  for (const std::string& file : flags.files) {
    std::string text = ReadFileOrExit(file);
    std::vector<policy::Problem> problems;
    policy::FileDocs all = policy::LoadDocuments(file, text, &problems);
    if (policy::HasErrors(problems)) {
      for (const policy::Problem& p : problems) {
        std::fprintf(stderr, "%s\n", p.ToStringWithSnippet().c_str());
      }
      std::fprintf(stderr, "error: %s has problems; nothing applied\n",
                   file.c_str());
      throw ExitRequest{kExitFailure};
    }
    for (const std::string& doc : policy::SplitDocumentTexts(text)) {
      std::vector<policy::Problem> ignored;
      policy::FileDocs d = policy::LoadDocuments(file, doc, &ignored);
      std::string kind, name;
      if (policies && d.policies.size() == 1) {
        kind = "policies";
        name = d.policies[0].name.value;
      } else if (sources && d.sources.size() == 1) {
        kind = "sources";
        name = d.sources[0].name.value;
      } else {
        continue;
      }
      if (!flags.name.empty() && name != flags.name) continue;
      api::HttpResponse r = CallOrExit(
          client, "PUT", absl::StrCat("/v1/", kind, "/", UrlEncode(name)), doc,
          "application/yaml");
      simdjson::dom::parser parser;
      auto root = ParseOrExit(parser, r.body);
      bool created = false;
      if (root["created"].get(created)) {
      }
      if (kind == "policies") {
        std::printf("policy/%s: generation %llu (%s)\n", name.c_str(),
                    static_cast<unsigned long long>(Num(root, "generation")),
                    created ? "created" : "unchanged");
      } else {
        std::printf("source/%s: %s\n", name.c_str(),
                    created ? "created" : "updated");
      }
      ++applied;
    }
  }
  if (applied == 0) {
    std::fprintf(stderr, "error: no %s document found\n",
                 policies ? "policy" : "Source");
    throw ExitRequest{kExitFailure};
  }
}

void RunList(const Flags& flags, const std::string& kind) {
  api::Client client(flags.client);
  api::HttpResponse r = CallOrExit(client, "GET", absl::StrCat("/v1/", kind));
  if (flags.output == "json") {
    std::fwrite(r.body.data(), 1, r.body.size(), stdout);
    return;
  }
  simdjson::dom::parser parser;
  auto root = ParseOrExit(parser, r.body);
  simdjson::dom::array items;
  if (root[kind].get_array().get(items)) return;
  if (kind == "policies") {
    std::printf("%-32s %-7s %-7s\n", "NAME", "ACTIVE", "LATEST");
    for (auto e : items) {
      std::printf("%-32s %-7llu %-7llu\n", Str(e, "name").c_str(),
                  static_cast<unsigned long long>(Num(e, "active_generation")),
                  static_cast<unsigned long long>(Num(e, "latest_generation")));
    }
  } else {
    std::printf("%-32s %s\n", "NAME", "UPDATED");
    for (auto e : items) {
      std::printf("%-32s %s\n", Str(e, "name").c_str(),
                  Str(e, "updated").c_str());
    }
  }
}

void RunGet(const Flags& flags, const std::string& kind) {
  api::Client client(flags.client);
  std::string path = absl::StrCat("/v1/", kind, "/", UrlEncode(flags.name));
  if (flags.generation > 0)
    absl::StrAppend(&path, "?generation=", flags.generation);
  api::HttpResponse r = CallOrExit(client, "GET", path);
  if (flags.output == "json") {
    std::fwrite(r.body.data(), 1, r.body.size(), stdout);
    return;
  }
  simdjson::dom::parser parser;
  auto root = ParseOrExit(parser, r.body);
  std::string spec = kind == "policies" ? Str(root["spec_generation"], "spec")
                                        : Str(root, "spec");
  if (kind == "policies") {
    std::printf(
        "# policy %s: generation %llu of %llu (active %llu)\n",
        flags.name.c_str(),
        static_cast<unsigned long long>(
            Num(root["spec_generation"], "generation")),
        static_cast<unsigned long long>(Num(root, "latest_generation")),
        static_cast<unsigned long long>(Num(root, "active_generation")));
  }
  std::fwrite(spec.data(), 1, spec.size(), stdout);
}

void RunGenerations(const Flags& flags) {
  api::Client client(flags.client);
  api::HttpResponse r = CallOrExit(
      client, "GET",
      absl::StrCat("/v1/policies/", UrlEncode(flags.name), "/generations"));
  if (flags.output == "json") {
    std::fwrite(r.body.data(), 1, r.body.size(), stdout);
    return;
  }
  simdjson::dom::parser parser;
  auto root = ParseOrExit(parser, r.body);
  uint64_t active = Num(root, "active_generation");
  std::printf("%-4s %-10s %-34s %s\n", "", "GENERATION", "CONTENT HASH",
              "CREATED");
  simdjson::dom::array gens;
  if (root["generations"].get_array().get(gens)) return;
  for (auto g : gens) {
    uint64_t n = Num(g, "generation");
    std::printf("%-4s %-10llu %-34s %s\n", n == active ? "*" : "",
                static_cast<unsigned long long>(n),
                Str(g, "content_hash").c_str(), Str(g, "created").c_str());
  }
}

// The spec text of one generation of a policy.
std::string GenerationSpec(api::Client& client, const std::string& name,
                           uint64_t generation) {
  api::HttpResponse r =
      CallOrExit(client, "GET",
                 absl::StrCat("/v1/policies/", UrlEncode(name),
                              "?generation=", generation));
  simdjson::dom::parser parser;
  auto root = ParseOrExit(parser, r.body);
  return Str(root["spec_generation"], "spec");
}

// `retro policy diff NAME`: the active generation against the latest (or
// any two, or a file's document: what apply would change). Exit 0 when the
// same, 1 when they differ, like diff(1).
void RunDiff(const Flags& flags) {
  api::Client client(flags.client);
  api::HttpResponse r = CallOrExit(
      client, "GET", absl::StrCat("/v1/policies/", UrlEncode(flags.name)));
  simdjson::dom::parser parser;
  auto root = ParseOrExit(parser, r.body);
  const uint64_t active = Num(root, "active_generation");
  const uint64_t latest = Num(root, "latest_generation");
  auto label = [&](uint64_t g) {
    return absl::StrCat("policy/", flags.name, " generation ", g,
                        g == active ? " (active)" : "");
  };
  uint64_t from = flags.from > 0 ? flags.from : active;
  // Nothing given and the active generation is the latest: the last change.
  if (flags.from == 0 && flags.to == 0 && flags.file.empty() &&
      active == latest && latest > 1) {
    from = latest - 1;
  }
  base::LineDiffOptions options;
  options.from_label = label(from);
  std::string from_text = GenerationSpec(client, flags.name, from);
  std::string to_text;
  if (!flags.file.empty()) {
    if (flags.to > 0) {
      std::fprintf(stderr, "error: give --to or --file, not both\n");
      throw ExitRequest{kExitUsage};
    }
    std::string text = ReadFileOrExit(flags.file);
    bool found = false;
    for (const std::string& doc : policy::SplitDocumentTexts(text)) {
      std::vector<policy::Problem> ignored;
      policy::FileDocs d = policy::LoadDocuments(flags.file, doc, &ignored);
      if (d.policies.size() == 1 && d.policies[0].name.value == flags.name) {
        to_text = doc;
        found = true;
        break;
      }
    }
    if (!found) {
      std::fprintf(stderr, "error: %s has no policy named '%s'\n",
                   flags.file.c_str(), flags.name.c_str());
      throw ExitRequest{kExitFailure};
    }
    options.to_label = flags.file;
  } else {
    const uint64_t to = flags.to > 0 ? flags.to : latest;
    if (to == from) {
      std::fprintf(stderr,
                   "no differences: generation %llu is both sides (give "
                   "--from/--to, or --file to compare a file)\n",
                   static_cast<unsigned long long>(to));
      return;
    }
    to_text = GenerationSpec(client, flags.name, to);
    options.to_label = label(to);
  }
  std::string diff = base::UnifiedLineDiff(from_text, to_text, options);
  if (diff.empty()) {
    std::fprintf(stderr, "no differences between %s and %s\n",
                 options.from_label.c_str(), options.to_label.c_str());
    return;
  }
  std::fwrite(diff.data(), 1, diff.size(), stdout);
  throw ExitRequest{kExitFailure};
}

void RunDelete(const Flags& flags, const std::string& kind) {
  api::Client client(flags.client);
  CallOrExit(client, "DELETE",
             absl::StrCat("/v1/", kind, "/", UrlEncode(flags.name)));
  std::printf("%s/%s: deleted\n", kind == "policies" ? "policy" : "source",
              flags.name.c_str());
}

void AddOutput(CLI::App* cmd, Flags* flags) {
  cmd->add_option("-o,--output", flags->output, "table or json")
      ->check(CLI::IsMember({"table", "json"}))
      ->capture_default_str();
}

void AddRemote(CLI::App* cmd, const std::string& kind) {
  bool is_policy = kind == "policies";
  auto flags = std::make_shared<Flags>();
  CLI::App* apply = cmd->add_subcommand(
      "apply", is_policy ? "Apply policy files on the server (each policy "
                           "document; a changed spec becomes a new generation)"
                         : "Apply Source documents on the server");
  apply->add_option("files", flags->files, "YAML files")->required();
  apply->add_option("--name", flags->name, "only the document with this name");
  AddClientFlags(apply, &flags->client);
  apply->callback(
      [flags, is_policy] { RunApply(*flags, is_policy, !is_policy); });

  auto lf = std::make_shared<Flags>();
  CLI::App* list = cmd->add_subcommand(
      "list", is_policy ? "List the server's policies" : "List the sources");
  AddOutput(list, lf.get());
  AddClientFlags(list, &lf->client);
  list->callback([lf, kind] { RunList(*lf, kind); });

  auto gf = std::make_shared<Flags>();
  CLI::App* get = cmd->add_subcommand(
      "get", is_policy ? "Print a policy's active (or a given) generation"
                       : "Print a Source document");
  get->add_option("name", gf->name, "name")->required();
  if (is_policy) get->add_option("--generation", gf->generation, "generation");
  AddOutput(get, gf.get());
  AddClientFlags(get, &gf->client);
  get->callback([gf, kind] { RunGet(*gf, kind); });

  if (is_policy) {
    auto nf = std::make_shared<Flags>();
    CLI::App* gens = cmd->add_subcommand(
        "generations", "List a policy's generations (* = active)");
    gens->add_option("name", nf->name, "policy name")->required();
    AddOutput(gens, nf.get());
    AddClientFlags(gens, &nf->client);
    gens->callback([nf] { RunGenerations(*nf); });

    auto ff = std::make_shared<Flags>();
    CLI::App* diff = cmd->add_subcommand(
        "diff",
        "Show what changed between two generations of a policy (default: the "
        "active one and the latest, or the latest and the one before), or "
        "between the active one and a file's "
        "document (what apply would change); exit 1 when they differ");
    diff->add_option("name", ff->name, "policy name")->required();
    diff->add_option("--from", ff->from,
                     "generation (default: the active one)");
    diff->add_option("--to", ff->to, "generation (default: the latest)");
    diff->add_option("--file", ff->file,
                     "compare with the document of this name in a YAML file");
    AddClientFlags(diff, &ff->client);
    diff->callback([ff] { RunDiff(*ff); });
  }

  auto df = std::make_shared<Flags>();
  CLI::App* del = cmd->add_subcommand(
      "delete", is_policy ? "Delete a policy (its generations stay readable)"
                          : "Delete a Source document");
  del->add_option("name", df->name, "name")->required();
  AddClientFlags(del, &df->client);
  del->callback([df, kind] { RunDelete(*df, kind); });
}

void RegisterPolicyRemote(CLI::App& app) {
  CLI::App* policy = nullptr;
  try {
    policy = app.get_subcommand("policy");
  } catch (const CLI::OptionNotFound&) {
    policy = app.add_subcommand("policy", "Manage policies");
    policy->require_subcommand(1);
  }
  AddRemote(policy, "policies");
}

void RegisterSource(CLI::App& app) {
  CLI::App* cmd = app.add_subcommand(
      "source",
      "Manage Source documents (how envelopes are read) on the server");
  cmd->require_subcommand(1);
  AddRemote(cmd, "sources");
}

}  // namespace

RETRO_REGISTER_COMMAND(policy_remote, RegisterPolicyRemote);
RETRO_REGISTER_COMMAND(source, RegisterSource);

}  // namespace retro::cli

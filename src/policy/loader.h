// The loader: YAML text -> policy and source documents, with every
// structural problem reported (unknown kinds, missing or misspelt fields,
// wrong shapes, invalid or duplicate rule names, malformed templates are left
// to the compiler). Documents are separated by `---` lines; a syntax error in
// one document does not hide the problems of the others. Never throws.
// Thread-safe: a pure function.
#ifndef RETRO_POLICY_LOADER_H_
#define RETRO_POLICY_LOADER_H_

#include <string>
#include <string_view>
#include <vector>

#include "policy/document.h"
#include "policy/problem.h"

namespace retro::policy {

// Bounds on hostile input.
struct LoadOptions {
  size_t max_file_bytes = 4 * 1024 * 1024;
  int max_documents = 1000;
  // YAML nodes that aliases (*name) may repeat, in all (each alias counts its
  // anchor's whole subtree): bounds "billion laughs" expansion.
  size_t max_alias_nodes = 100'000;
};

// Reads every document of `text` (named `file` in problems). Documents with
// errors are still returned when they could be read far enough to compile
// the rest; `problems` receives everything found.
FileDocs LoadDocuments(std::string file, std::string text,
                       std::vector<Problem>* problems,
                       const LoadOptions& options = {});

// The text of each document of a YAML file, split at `---` lines (a `---`
// followed by spaces or a comment too), each with its line breaks. What
// `apply` sends one document at a time.
std::vector<std::string> SplitDocumentTexts(std::string_view text);

}  // namespace retro::policy

#endif  // RETRO_POLICY_LOADER_H_

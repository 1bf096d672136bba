#include "policy/policy_set.h"

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "policy/compiler.h"

namespace retro::policy {

bool PolicySet::AddFile(const std::string& path, const LoadOptions& options) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    Problem p;
    p.file = path;
    p.message = "cannot read the file (does it exist, and may you read it?)";
    problems_.push_back(std::move(p));
    return false;
  }
  std::ostringstream text;
  text << in.rdbuf();
  return AddText(path, std::move(text).str(), options);
}

bool PolicySet::AddText(std::string file, std::string text,
                        const LoadOptions& options) {
  size_t errors_before = 0;
  for (const Problem& p : problems_) errors_before += p.is_error();
  FileDocs docs =
      LoadDocuments(std::move(file), std::move(text), &problems_, options);
  const SourceText& source = *docs.source;
  for (const SourceDoc& doc : docs.sources) {
    std::string place =
        absl::StrCat(source.file(), ":", source.LineOf(doc.pos));
    auto it = source_places_.find(doc.name.value);
    if (it != source_places_.end()) {
      problems_.push_back(source.ProblemAt(
          doc.name.pos, doc.name.path,
          absl::StrCat("a Source for type '", doc.name.value,
                       "' is already defined at ", it->second, "; keep one")));
      continue;
    }
    if (auto compiled = CompileSource(doc, source, &problems_)) {
      source_places_[doc.name.value] = place;
      sources_.Add(std::move(compiled));
    }
  }
  for (const PolicyDoc& doc : docs.policies) {
    std::string place =
        absl::StrCat(source.file(), ":", source.LineOf(doc.pos));
    bool duplicate = false;
    for (size_t i = 0; i < policies_.size(); ++i) {
      if (policies_[i]->name() == doc.name.value) {
        problems_.push_back(source.ProblemAt(
            doc.name.pos, doc.name.path,
            absl::StrCat("a policy named '", doc.name.value,
                         "' is already defined at ", policy_places_[i],
                         "; policy names must be unique")));
        duplicate = true;
      }
    }
    auto compiled = CompilePolicy(doc, source, &problems_);
    if (compiled != nullptr && !duplicate) {
      policies_.push_back(std::move(compiled));
      policy_places_.push_back(place);
    }
  }
  size_t errors_after = 0;
  for (const Problem& p : problems_) errors_after += p.is_error();
  return errors_after == errors_before;
}

const CompiledPolicy* PolicySet::Find(std::string_view name) const {
  for (const auto& p : policies_) {
    if (p->name() == name) return p.get();
  }
  return nullptr;
}

}  // namespace retro::policy

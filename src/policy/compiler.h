// The compiler: valid documents -> CompiledPolicy / CompiledSource. Reports
// every CEL problem (syntax, undeclared names, overloads, a match that is not
// bool, a summary block that is not a string, a malformed template) at its
// place in the YAML file. Thread-safe: a pure function.
#ifndef RETRO_POLICY_COMPILER_H_
#define RETRO_POLICY_COMPILER_H_

#include <memory>
#include <vector>

#include "policy/compiled.h"
#include "policy/document.h"
#include "policy/problem.h"
#include "policy/source_text.h"

namespace retro::policy {

// Null when the document has an error (reported in `problems`).
std::shared_ptr<const CompiledPolicy> CompilePolicy(
    const PolicyDoc& doc, const SourceText& source,
    std::vector<Problem>* problems);
std::shared_ptr<const CompiledSource> CompileSource(
    const SourceDoc& doc, const SourceText& source,
    std::vector<Problem>* problems);

}  // namespace retro::policy

#endif  // RETRO_POLICY_COMPILER_H_

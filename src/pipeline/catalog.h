// Catalog: the compiled form of the store's control data that live
// processing and ingest use — every Source document and the active
// generation of every (not deleted) policy — as an immutable snapshot.
// Reload() rebuilds it after a policy or source changes; readers keep the
// snapshot they took until they take a new one.
//
// Thread-safety: Current() and Reload() may be called from any thread;
// reloads are serialised. Snapshots are immutable.
#ifndef RETRO_PIPELINE_CATALOG_H_
#define RETRO_PIPELINE_CATALOG_H_

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "policy/policy_set.h"
#include "store/store.h"

namespace retro::pipeline {

struct ActivePolicy {
  std::shared_ptr<const policy::CompiledPolicy> compiled;
  std::string name;  // the store's name (the URL's)
  uint64_t generation = 0;
};

struct CatalogSnapshot {
  std::shared_ptr<const policy::PolicySet> set;  // owns sources and policies
  std::vector<ActivePolicy> policies;
  // Stored documents that no longer compile ("policy/x: message").
  std::vector<std::string> problems;
  uint64_t version = 0;  // increases with every reload

  const policy::SourceSet& sources() const { return set->sources(); }
};

class Catalog {
 public:
  explicit Catalog(store::Store* store) : store_(store) {}
  [[nodiscard]] absl::Status Reload();
  std::shared_ptr<const CatalogSnapshot> Current() const;

  // Compiles `text` with the stored sources (for validation and preview):
  // the returned set holds the stored sources' documents first, then text's.
  [[nodiscard]] absl::StatusOr<std::shared_ptr<policy::PolicySet>>
  CompileWithSources(const std::string& file, const std::string& text,
                     const std::string& skip_source = "");

 private:
  store::Store* store_;
  std::mutex reload_mu_;
  mutable std::mutex mu_;
  std::shared_ptr<const CatalogSnapshot> current_ =
      std::make_shared<CatalogSnapshot>(CatalogSnapshot{
          std::make_shared<policy::PolicySet>(), {}, {}, 0});
};

}  // namespace retro::pipeline

#endif  // RETRO_PIPELINE_CATALOG_H_

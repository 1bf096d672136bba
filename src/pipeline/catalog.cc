#include "pipeline/catalog.h"

#include "absl/strings/str_cat.h"
#include "base/status.h"
#include "base/strings.h"

namespace retro::pipeline {

absl::StatusOr<std::shared_ptr<policy::PolicySet>> Catalog::CompileWithSources(
    const std::string& file, const std::string& text,
    const std::string& skip_source) {
  auto set = std::make_shared<policy::PolicySet>();
  RETRO_ASSIGN_OR_RETURN(auto docs, store_->control().ListDocuments("source"));
  for (const store::Document& d : docs) {
    if (d.name == skip_source) continue;
    set->AddText(absl::StrCat("source/", d.name), d.body);
  }
  set->AddText(file, text);
  return set;
}

absl::Status Catalog::Reload() {
  std::lock_guard<std::mutex> reload_lock(reload_mu_);
  auto snap = std::make_shared<CatalogSnapshot>();
  auto set = std::make_shared<policy::PolicySet>();
  RETRO_ASSIGN_OR_RETURN(auto docs, store_->control().ListDocuments("source"));
  for (const store::Document& d : docs) {
    if (!set->AddText(absl::StrCat("source/", d.name), d.body)) {
      snap->problems.push_back(
          absl::StrCat("source/", d.name, ": no longer compiles"));
    }
  }
  RETRO_ASSIGN_OR_RETURN(auto infos, store_->control().ListPolicies());
  struct Pending {
    size_t index;
    std::string name;
    uint64_t generation;
  };
  std::vector<Pending> pending;
  for (const store::PolicyInfo& info : infos) {
    if (info.deleted || info.active_generation == 0) continue;
    RETRO_ASSIGN_OR_RETURN(
        store::PolicyGeneration gen,
        store_->control().GetGeneration(info.name, info.active_generation));
    size_t before = set->policies().size();
    if (!set->AddText(absl::StrCat("policy/", info.name), gen.spec) ||
        set->policies().size() != before + 1) {
      snap->problems.push_back(absl::StrCat(
          "policy/", info.name, " generation ", info.active_generation,
          ": no longer compiles"));
      continue;
    }
    pending.push_back({before, info.name, info.active_generation});
  }
  for (const Pending& p : pending) {
    snap->policies.push_back({set->policies()[p.index], p.name, p.generation});
  }
  snap->set = std::move(set);
  std::lock_guard<std::mutex> lock(mu_);
  snap->version = current_->version + 1;
  current_ = std::move(snap);
  return absl::OkStatus();
}

std::shared_ptr<const CatalogSnapshot> Catalog::Current() const {
  std::lock_guard<std::mutex> lock(mu_);
  return current_;
}

}  // namespace retro::pipeline

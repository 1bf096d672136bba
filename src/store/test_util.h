// Helpers for the store tests: a temporary data directory and event/record
// builders. Test-only.
#ifndef RETRO_STORE_TEST_UTIL_H_
#define RETRO_STORE_TEST_UTIL_H_

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "store/store.h"

namespace retro::store::testing {

// A fresh directory under $TMPDIR, removed at destruction.
class TempDir {
 public:
  TempDir() {
    std::string tmpl =
        (std::filesystem::temp_directory_path() / "retro-store-XXXXXX")
            .string();
    char* p = mkdtemp(tmpl.data());
    EXPECT_NE(p, nullptr);
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

inline absl::Time T0() { return absl::FromUnixSeconds(1715670000); }

inline Event MakeEvent(std::string type, std::string id, std::string tenant,
                       absl::Time time, std::string data = "") {
  Event e;
  e.type = std::move(type);
  e.id = std::move(id);
  e.tenant = std::move(tenant);
  e.time = time;
  e.source = "test";
  e.data = data.empty() ? "{\"id\":\"" + e.id + "\"}" : std::move(data);
  return e;
}

inline std::unique_ptr<Store> OpenOrDie(const StoreOptions& options) {
  auto s = OpenStore(options);
  EXPECT_TRUE(s.ok()) << s.status();
  return s.ok() ? std::move(*s) : nullptr;
}

}  // namespace retro::store::testing

#endif  // RETRO_STORE_TEST_UTIL_H_

#include <cstdint>
#include <memory>
#include <random>
#include <string>

#include "gtest/gtest.h"
#include "store/rocks_store.h"
#include "store/test_util.h"

namespace rocksdb::crc32c {
uint32_t Extend(uint32_t crc, const char* data, size_t n);
}  // namespace rocksdb::crc32c

namespace retro::store::rocks {
namespace {

using ::retro::store::testing::MakeEvent;
using ::retro::store::testing::OpenOrDie;
using ::retro::store::testing::TempDir;

TEST(RocksCrc32cTest, KnownValue) {
  // The CRC-32C check value (RFC 3720, appendix B.4).
  const std::string s = "123456789";
  EXPECT_EQ(rocksdb::crc32c::Extend(0, s.data(), s.size()), 0xE3069283u);
  EXPECT_EQ(LibraryCrc32cExtend(0, s.data(), s.size()), 0xE3069283u);
}

TEST(RocksCrc32cTest, AgreesWithTheLibraryOnEveryLengthAndAlignment) {
  std::mt19937_64 rng(7);
  std::string buf(4096 + 64, '\0');
  for (char& c : buf) c = static_cast<char>(rng());
  for (size_t offset = 0; offset < 16; ++offset) {
    for (size_t n = 0; n <= 300; ++n) {
      uint32_t init = static_cast<uint32_t>(rng());
      ASSERT_EQ(rocksdb::crc32c::Extend(init, buf.data() + offset, n),
                LibraryCrc32cExtend(init, buf.data() + offset, n))
          << "offset " << offset << ", length " << n;
    }
  }
  // Extending piece by piece is the same as all at once.
  uint32_t whole = rocksdb::crc32c::Extend(0, buf.data(), 4096);
  uint32_t parts = rocksdb::crc32c::Extend(0, buf.data(), 1000);
  parts = rocksdb::crc32c::Extend(parts, buf.data() + 1000, 3096);
  EXPECT_EQ(whole, parts);
  EXPECT_EQ(whole, LibraryCrc32cExtend(0, buf.data(), 4096));
}

TEST(RocksCrc32cTest, RocksDbCallsItAndReadsBackWhatItWrote) {
  TempDir dir;
  StoreOptions options;
  options.path = dir.path() + "/store";
  Event e = MakeEvent("audit", "a-1", "t", absl::Now(), R"({"k":1})");
  const uint64_t before = HardwareCrc32cCalls();
  {
    // The MANIFEST, the WAL and the tables' blocks are all checksummed.
    std::unique_ptr<Store> store = OpenOrDie(options);
    ASSERT_NE(store, nullptr);
    auto r = store->events().Append({&e, 1}, {});
    ASSERT_TRUE(r.ok()) << r.status();
    ASSERT_EQ(r->accepted, 1u);
    ASSERT_TRUE(store->Compact().ok());
  }
  if (__builtin_cpu_supports("sse4.2")) {
    EXPECT_GT(HardwareCrc32cCalls(), before)
        << "RocksDB did not call rocks_crc32c.cc's Extend";
  }
  // Reopening replays the WAL and verifies the tables' block checksums.
  std::unique_ptr<Store> store = OpenOrDie(options);
  ASSERT_NE(store, nullptr);
  auto got = store->events().Get("audit", "a-1");
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ((*got)->data, e.data);
}

}  // namespace
}  // namespace retro::store::rocks

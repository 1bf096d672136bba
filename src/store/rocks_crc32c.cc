// RocksDB checksums every WAL record and every table block with CRC32C.
// Debian's librocksdb is built portable, so its rocksdb::crc32c::Extend is
// the table-driven loop (about a byte per cycle): measured, 6 % of ingest's
// CPU, most of it the WAL of the synced appends. The library calls Extend
// through its PLT, so the definition below, in the executable, is the one
// every call binds to; it computes the same function with the SSE4.2 crc32
// instruction, and hands over to the library's own where the CPU lacks it.
// With another RocksDB whose Extend has another signature, this definition
// is simply not called. rocks_crc32c_test checks it against the library's.
#include <dlfcn.h>
#include <nmmintrin.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "store/rocks_store.h"

namespace rocksdb::crc32c {
uint32_t Extend(uint32_t crc, const char* data, size_t n);
}  // namespace rocksdb::crc32c

namespace retro::store::rocks {
namespace {

using ExtendFn = uint32_t (*)(uint32_t, const char*, size_t);

constexpr char kExtendSymbol[] = "_ZN7rocksdb6crc32c6ExtendEjPKcm";

std::atomic<uint64_t> hardware_calls{0};

__attribute__((target("sse4.2"))) uint32_t HardwareExtend(uint32_t crc,
                                                          const char* data,
                                                          size_t n) {
  uint64_t c = ~crc;
  const char* p = data;
  for (; n >= 8; n -= 8, p += 8) {
    uint64_t word;
    std::memcpy(&word, p, 8);
    c = _mm_crc32_u64(c, word);
  }
  uint32_t c32 = static_cast<uint32_t>(c);
  for (; n > 0; --n, ++p) c32 = _mm_crc32_u8(c32, static_cast<uint8_t>(*p));
  return ~c32;
}

// Bit by bit: only if the library's own cannot be found.
uint32_t SoftwareExtend(uint32_t crc, const char* data, size_t n) {
  uint32_t c = ~crc;
  for (size_t i = 0; i < n; ++i) {
    c ^= static_cast<uint8_t>(data[i]);
    for (int k = 0; k < 8; ++k) c = (c >> 1) ^ (0x82F63B78u & (0u - (c & 1)));
  }
  return ~c;
}

// The library's own Extend, for CPUs without SSE4.2.
ExtendFn LibraryExtend() {
  static const ExtendFn fn =
      reinterpret_cast<ExtendFn>(dlsym(RTLD_NEXT, kExtendSymbol));
  return fn;
}

bool HasSse42() {
  static const bool has = [] {
    __builtin_cpu_init();  // in case this runs before constructors have
    return __builtin_cpu_supports("sse4.2") != 0;
  }();
  return has;
}

}  // namespace

uint64_t HardwareCrc32cCalls() {
  return hardware_calls.load(std::memory_order_relaxed);
}

uint32_t LibraryCrc32cExtend(uint32_t crc, const char* data, size_t n) {
  ExtendFn fn = LibraryExtend();
  return fn != nullptr ? fn(crc, data, n) : SoftwareExtend(crc, data, n);
}

}  // namespace retro::store::rocks

namespace rocksdb::crc32c {

uint32_t Extend(uint32_t crc, const char* data, size_t n) {
  using namespace retro::store::rocks;
  if (HasSse42()) {
    hardware_calls.fetch_add(1, std::memory_order_relaxed);
    return HardwareExtend(crc, data, n);
  }
  return LibraryCrc32cExtend(crc, data, n);
}

}  // namespace rocksdb::crc32c

// Arena: a bump allocator for values that live exactly as long as one
// evaluation (or one compiled program's constants). Not thread-safe: one arena
// per thread/evaluation. Objects allocated with New<T> must be trivially
// destructible; NewObject<T> also runs T's destructor when the arena is reset
// or destroyed.
#ifndef RETRO_CEL_ARENA_H_
#define RETRO_CEL_ARENA_H_

#include <cstddef>
#include <cstring>
#include <memory>
#include <memory_resource>
#include <new>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace retro::cel {

class Arena {
 public:
  // The first `initial_bytes` are kept across Reset(), so an arena reused
  // for one evaluation after another does not touch malloc once warm.
  explicit Arena(size_t initial_bytes = 4096)
      : initial_(new std::byte[initial_bytes]),
        resource_(initial_.get(), initial_bytes) {}
  ~Arena() { RunCleanups(); }
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;

  void* Allocate(size_t bytes, size_t align = alignof(std::max_align_t)) {
    return resource_.allocate(bytes == 0 ? 1 : bytes, align);
  }

  template <typename T, typename... Args>
  T* New(Args&&... args) {
    static_assert(std::is_trivially_destructible_v<T>,
                  "use NewObject for types with destructors");
    return new (Allocate(sizeof(T), alignof(T))) T(std::forward<Args>(args)...);
  }

  template <typename T, typename... Args>
  T* NewObject(Args&&... args) {
    T* p = new (Allocate(sizeof(T), alignof(T))) T(std::forward<Args>(args)...);
    if constexpr (!std::is_trivially_destructible_v<T>) {
      cleanups_.push_back({p, [](void* o) { static_cast<T*>(o)->~T(); }});
    }
    return p;
  }

  // An uninitialised array of n T (T trivially destructible).
  template <typename T>
  T* AllocArray(size_t n) {
    static_assert(std::is_trivially_destructible_v<T>);
    return static_cast<T*>(Allocate(sizeof(T) * n, alignof(T)));
  }

  std::string_view CopyString(std::string_view s) {
    if (s.empty()) return std::string_view();
    char* p = static_cast<char*>(Allocate(s.size(), 1));
    std::memcpy(p, s.data(), s.size());
    return std::string_view(p, s.size());
  }

  // Frees everything allocated so far; memory is kept for reuse when small.
  void Reset() {
    RunCleanups();
    resource_.release();
  }

 private:
  struct Cleanup {
    void* object;
    void (*destroy)(void*);
  };
  void RunCleanups() {
    for (auto it = cleanups_.rbegin(); it != cleanups_.rend(); ++it) {
      it->destroy(it->object);
    }
    cleanups_.clear();
  }

  std::unique_ptr<std::byte[]> initial_;
  std::pmr::monotonic_buffer_resource resource_;
  std::vector<Cleanup> cleanups_;
};

}  // namespace retro::cel

#endif  // RETRO_CEL_ARENA_H_

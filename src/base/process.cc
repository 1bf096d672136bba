#include "base/process.h"

#include <malloc.h>

namespace retro::base {

void KeepLargeBuffersInHeap() {
  mallopt(M_MMAP_THRESHOLD, 256 << 20);
  mallopt(M_TRIM_THRESHOLD, 512 << 20);
}

}  // namespace retro::base

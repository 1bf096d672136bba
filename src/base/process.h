// Process-wide settings that the server, and the benchmarks that stand in
// for it, apply once at start.
#ifndef RETRO_BASE_PROCESS_H_
#define RETRO_BASE_PROCESS_H_

namespace retro::base {

// Keeps large buffers (request bodies of ~1 MB, run batches' write batches)
// in the heap: with glibc's default mmap threshold each one is mapped and
// faulted in anew (a third of ingest CPU). Thread-safe; call it early.
void KeepLargeBuffersInHeap();

}  // namespace retro::base

#endif  // RETRO_BASE_PROCESS_H_

#include "common/heap.h"

#include <malloc.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>

namespace pyhang {

void preferHugePagesForHeap() {
  constexpr uintptr_t kHugePage = uintptr_t{2} << 20;
  constexpr int kStep = 16 << 20;
  // Grow the heap in 16 MiB steps and keep large blocks on it, so that the advised range is
  // where the allocations go; never give memory back (pyhang is short-lived).
  mallopt(M_TOP_PAD, kStep);
  mallopt(M_MMAP_THRESHOLD, 2 * kStep);
  mallopt(M_TRIM_THRESHOLD, 8 * kStep);
  auto before = reinterpret_cast<uintptr_t>(sbrk(0));
  // Extends the heap by the probe and the pad (volatile: a malloc/free pair may be elided).
  void* volatile probe = std::malloc(kHugePage);
  std::free(probe);
  auto after = reinterpret_cast<uintptr_t>(sbrk(0));
  if (before == uintptr_t(-1) || after == uintptr_t(-1) || after <= before) return;
  uintptr_t start = (before + kHugePage - 1) & ~(kHugePage - 1);
  uintptr_t end = after & ~(kHugePage - 1);
  // Later extensions grow this (the heap's last) mapping and keep its advice.
  if (end > start) madvise(reinterpret_cast<void*>(start), end - start, MADV_HUGEPAGE);
}

}  // namespace pyhang

// How pyhang's own heap is set up before the readers fill it.
#pragma once

namespace pyhang {

// Asks for transparent huge pages under the malloc heap. Reading a big target allocates 10-20 MB
// in small pieces (a snapshot of 1,000 asyncio tasks: some 10^5 strings, vectors and map nodes);
// with 4 KiB pages the first write to each page is a page fault, about 3,000 of them and a fifth
// of the run. glibc does the same under GLIBC_TUNABLES=glibc.malloc.hugetlb=1. Without THP
// (disabled, or "never") the advice is ignored and nothing else changes.
void preferHugePagesForHeap();

}  // namespace pyhang

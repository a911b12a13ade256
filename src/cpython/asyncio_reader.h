// asyncio: finds every task of the process's main interpreter, its coroutine stack
// (the chain of suspended coroutine frames), what it awaits (another task, a future, an asyncio
// Lock/Event/Condition/Semaphore/Queue, a timer, I/O, gather/wait/TaskGroup children), what it
// holds through `async with`, and the state of each running event loop (ready callbacks, timers,
// watched file descriptors). CPYTHON.md section 7. Every read is bounded and every walk capped;
// unreadable parts become warnings and placeholders.
#pragma once

#include "cpython/code_reader.h"
#include "cpython/frame_walker.h"
#include "cpython/object_reader.h"
#include "cpython/process_reader.h"
#include "cpython/runtime_locator.h"
#include "cpython/sync_reader.h"
#include "cpython/source_files.h"
#include "snapshot/snapshot.h"

namespace pyhang::cpython {

struct AsyncioInputs {
  const RemoteMemory& mem;
  const RuntimeLocation& runtime;
  const ObjectReader& objects;
  const CodeReader& codes;
  const FrameWalker& walker;
  const SyncReader& sync;
  const ReadOptions& options;
  SourceFiles& sources;   // the process reader's, so that each file is read once
};

// Fills out.tasks and out.loops and adds the asyncio objects tasks wait for or hold to
// out.objects (with the program's names for them). Expects out.threads to be read already.
// Never fails: a process without asyncio gets no tasks.
void readAsyncio(const AsyncioInputs& in, Process& out);

// Parses the repr asyncio logs for a task that finished with an exception nobody retrieved:
// "<Task finished name='Task-2' coro=<task() done, defined at /x.py:7> exception=Exception('x')>".
// Fills name, coroutine, definedAt, exception; false when `text` is not such a repr.
bool parseFinishedTaskRepr(const std::string& text, Task& out);

}  // namespace pyhang::cpython

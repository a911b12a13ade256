#include "snapshot/snapshot.h"

namespace pyhang {

bool isCountingSemLock(const SyncObject& o) {
  if (o.kind != ObjectKind::kSemLock) return false;
  auto kind = o.attrs.find("semkind");
  auto max = o.attrs.find("maxvalue");
  return kind != o.attrs.end() && kind->second == "semaphore" && max != o.attrs.end() && max->second != "1";
}

const char* objectKindName(ObjectKind kind) {
  switch (kind) {
    case ObjectKind::kUnknown: return "object";
    case ObjectKind::kLock: return "lock";
    case ObjectKind::kRLock: return "rlock";
    case ObjectKind::kCondition: return "condition";
    case ObjectKind::kSemaphore: return "semaphore";
    case ObjectKind::kEvent: return "event";
    case ObjectKind::kBarrier: return "barrier";
    case ObjectKind::kQueue: return "queue";
    case ObjectKind::kThread: return "thread";
    case ObjectKind::kThreadHandle: return "thread-handle";
    case ObjectKind::kFuture: return "future";
    case ObjectKind::kSemLock: return "semlock";
    case ObjectKind::kMpLock: return "multiprocessing-lock";
    case ObjectKind::kProcess: return "process";
    case ObjectKind::kAsyncLock: return "asyncio-lock";
    case ObjectKind::kAsyncEvent: return "asyncio-event";
    case ObjectKind::kAsyncCondition: return "asyncio-condition";
    case ObjectKind::kAsyncSemaphore: return "asyncio-semaphore";
    case ObjectKind::kAsyncQueue: return "asyncio-queue";
    case ObjectKind::kAsyncBarrier: return "asyncio-barrier";
    case ObjectKind::kTask: return "task";
    case ObjectKind::kAsyncFuture: return "asyncio-future";
    case ObjectKind::kManagerLock: return "manager-lock";
    case ObjectKind::kImportLock: return "import-lock";
    case ObjectKind::kIoBuffer: return "io-buffer";
  }
  return "object";
}

const char* waitOpName(WaitOp op) {
  switch (op) {
    case WaitOp::kNone: return "none";
    case WaitOp::kAcquire: return "acquire";
    case WaitOp::kWait: return "wait";
    case WaitOp::kJoin: return "join";
    case WaitOp::kQueueGet: return "queue-get";
    case WaitOp::kQueuePut: return "queue-put";
    case WaitOp::kQueueJoin: return "queue-join";
    case WaitOp::kFutureResult: return "future-result";
    case WaitOp::kSleep: return "sleep";
    case WaitOp::kIo: return "io";
    case WaitOp::kPipeWrite: return "pipe-write";
    case WaitOp::kPipeRead: return "pipe-read";
    case WaitOp::kFileLock: return "file-lock";
  }
  return "none";
}

}  // namespace pyhang

#include "session/io_buffer_waits.h"

namespace pyhang {

namespace {

// struct _gil_runtime_state's size (free-threaded builds): a futex inside it is a wait for the GIL.
constexpr uint64_t kGilStateSize = 216;

const SyncObject* heldStreamLock(const Process& p, const Thread& t) {
  const SyncObject* parked = nullptr;
  int parkedCount = 0;
  for (const auto& [addr, o] : p.objects) {
    if (o.kind != ObjectKind::kIoBuffer || !o.locked.value_or(false) || !o.ownerIdent || *o.ownerIdent == 0 ||
        *o.ownerIdent == t.ident) {
      continue;
    }
    if (!o.waitersIsABit) {
      if (o.lockWord == t.futexAddress) return &o;
    } else if (o.waiters.value_or(0) > 0) {
      parked = &o;
      ++parkedCount;
    }
  }
  return parkedCount == 1 ? parked : nullptr;
}

}  // namespace

void attachIoBufferWaits(Process& p) {
  for (auto& t : p.threads) {
    if (t.futexAddress == 0 || t.frames.empty()) continue;
    Frame& f = t.frames.back();
    if (f.kind != Frame::Kind::kPython || f.waitsOn) continue;
    bool gil = false;
    for (uint64_t g : p.gilStates) gil = gil || (t.futexAddress >= g && t.futexAddress < g + kGilStateSize);
    if (gil) continue;
    if (const SyncObject* o = heldStreamLock(p, t)) {
      WaitInfo w;
      w.op = WaitOp::kAcquire;
      w.object = o->address;
      w.how = "stream lock";
      f.waitsOn = w;
    }
  }
}

}  // namespace pyhang

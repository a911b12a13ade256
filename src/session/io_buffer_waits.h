// Waits for a buffered stream's C lock. BufferedWriter and its siblings take a PyThread lock in C
// around every write, read and flush, and record its owner; a thread that blocks taking it
// (print() while another thread writes a long line; in a forked child, any write to a stream the
// parent's writer thread held at fork time) shows only a Python call and a futex. Its futex
// address ties it to the stream.
#pragma once

#include "snapshot/snapshot.h"

namespace pyhang {

// For each thread of `process` blocked in futex(2) (Thread::futexAddress) whose innermost frame
// is a Python call with no wait of its own: when the futex is the lock of a held buffered stream
// the reader recorded (ObjectKind::kIoBuffer; a sem_t up to 3.14, matched by address), or from
// 3.15 (a PyMutex, whose waiters park elsewhere) the only held stream lock with a parked waiter,
// owned by another thread, the frame waits to acquire it.
void attachIoBufferWaits(Process& process);

}  // namespace pyhang

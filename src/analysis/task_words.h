// How the tasks' analysis names tasks, objects, threads and places in its findings and notes.
// Internal to analysis/.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "snapshot/snapshot.h"

namespace pyhang::tasks {

// Pending or running (not finished, not cancelled), and a real task.
bool isPending(const Task& t);

// The task waits for something that only another task (or thread) can provide, with no timer.
bool waitsForever(const Task& t);

// A task awaiting I/O, without a timeout, on a descriptor its loop watches whose other end only
// this process holds (LoopFd::peerFd, live): that loop fd, else null.
const LoopFd* closedLoopFd(const Process& p, const Task& t);

const SyncObject* objectOf(const Process& p, uint64_t addr);

// The lock an asyncio object stands for: a Condition's lock, else itself.
uint64_t asyncLockOf(const Process& p, uint64_t obj);

bool isAsyncLockKind(const Process& p, uint64_t obj);

// "lock1 (lock2) <asyncio.locks.Lock at 0x...>": the program's names, the frame's own name when
// different, the type and the address (as the thread findings do).
std::string objectLabel(const Process& p, uint64_t addr, const Frame* frame);

std::string shortObjectName(const Process& p, uint64_t addr);

const Task* taskAt(const Process& p, uint64_t addr);

const Thread* threadOf(const Process& p, int64_t tid);

std::string threadLabel(const Snapshot& s, const Process& p, int64_t tid);

std::string loopPhrase(const Snapshot& s, const Process& p, int64_t tid);

std::string where(const Frame& f, int line = 0);

std::string fmtSeconds(double s);

const Frame* awaitFrame(const Task& t);

std::string atPhrase(const Task& t);

std::string childList(const Process& p, const std::vector<uint64_t>& unordered, size_t cap = 6);

}  // namespace pyhang::tasks

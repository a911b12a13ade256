// Internal to the fix lines (fix_lines.cpp: the entry points and the lookups they share;
// fix_lines_deadlocks.cpp: lock-order cycles, self-deadlocks, file locks, re-entrancy, join
// cycles and dead holders; fix_lines_pipes.cpp: full pipes and read cycles;
// fix_lines_all_blocked.cpp: the all-blocked finding). Not for use outside them.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "snapshot/snapshot.h"

namespace pyhang::fix_lines_internal {

std::string baseName(const std::string& path);
std::string place(const SourceLocation& l);
const Process* processOf(const Snapshot& s, int64_t pid);
const Thread* threadOf(const Snapshot& s, const Participant& part);
const SyncObject* objectOf(const Snapshot& s, int64_t pid, uint64_t addr);
const SyncObject* waitedObject(const Snapshot& s, const Participant& part);
std::string nameOf(const SyncObject* o);
std::string who(const Participant& part, bool manyProcesses = false, const Snapshot* s = nullptr);
bool isAsync(const SyncObject* o);
bool inFunction(const Thread* t, std::string_view function, std::string_view fileSuffix);
bool manyProcesses(const Finding& f);

// fix_lines_deadlocks.cpp
std::string lockOrderFix(const Snapshot& s, const Finding& f);
std::string selfDeadlockFix(const Snapshot& s, const Finding& f);
std::string fileLockFix(const Snapshot& s, const Finding& f);
std::string reentrancyFix(const Snapshot& s, const Finding& f, bool gc);
std::string joinCycleFix(const Snapshot& s, const Finding& f);
std::string deadHolderFix(const Snapshot& s, const Finding& f, bool process);

// fix_lines_pipes.cpp
const SourceLocation* aioProcWaitCaller(const Snapshot& s, const Finding& f);
std::string readCycleFix(const Snapshot& s, const Finding& f);
std::string fullPipeFix(const Snapshot& s, const Finding& f);

// fix_lines_all_blocked.cpp
std::string allBlockedFix(const Snapshot& s, const Finding& f);

}  // namespace pyhang::fix_lines_internal

// CPython structure layouts, one table per minor version, filled from ONE list of fields.
// layoutFor() is the only place that switches on the version; behaviour that differs between
// versions is exposed as named predicates on VersionTraits.
// Offsets: the interpreters' own DWARF (tools/extract_layout_offsets.py writes them to
// tests/data/offsets/, and a unit test compares this table with them), for 3.14/3.15 their
// _Py_DebugOffsets and headers; -1 means "this version has no such field (or pyhang does not
// read it there)".
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "cpython/linetable.h"

namespace pyhang::cpython {

// X(name): every field the readers use. The layout tables, the _Py_DebugOffsets loader and the
// layout test all iterate this one list.
#define PYHANG_LAYOUT_FIELDS(X)                                                             \
  /* _PyRuntimeState */                                                                     \
  X(rt_finalizing) X(rt_interp_head) X(rt_main_thread) X(rt_gil) X(rt_gilstate_current)     \
  X(rt_gc_collecting)                                                                       \
  /* PyInterpreterState */                                                                  \
  X(is_next) X(is_threads_head) X(is_threads_main) X(is_id) X(is_modules) X(is_sysdict)     \
  X(is_gc_collecting) X(is_ceval_gil)                                                       \
  /* PyThreadState */                                                                       \
  X(ts_next) X(ts_interp) X(ts_frame) X(ts_cframe) X(cf_current_frame) X(ts_current_frame)  \
  X(ts_thread_id) X(ts_native_thread_id) X(ts_status) X(ts_holds_gil) X(ts_state)           \
  /* PyFrameObject <= 3.10 */                                                               \
  X(f_back) X(f_code) X(f_locals) X(f_valuestack) X(f_stacktop) X(f_stackdepth) X(f_lasti)  \
  X(f_iblock) X(f_blockstack) X(f_localsplus)                                               \
  /* _PyInterpreterFrame >= 3.11 */                                                         \
  X(if_code) X(if_previous) X(if_locals) X(if_instr) X(if_stacktop) X(if_stackpointer)      \
  X(if_is_entry) X(if_owner) X(if_localsplus)                                               \
  /* PyCodeObject */                                                                        \
  X(co_argcount) X(co_posonlyargcount) X(co_kwonlyargcount) X(co_nlocals) X(co_stacksize)   \
  X(co_flags) X(co_firstlineno) X(co_code) X(co_varnames) X(co_freevars) X(co_cellvars)     \
  X(co_cell2arg) X(co_nlocalsplus) X(co_ncellvars) X(co_nfreevars) X(co_localsplusnames)    \
  X(co_localspluskinds) X(co_filename) X(co_name) X(co_qualname) X(co_linetable)            \
  X(co_exceptiontable) X(co_firsttraceable) X(co_code_adaptive) X(co_names)                             \
  /* objects */                                                                             \
  X(tuple_items) X(str_ascii_size) X(str_compact_size) X(str_legacy_data)                   \
  X(func_code) X(func_name) X(func_qualname) X(ht_cached_keys)                              \
  X(gen_frame) X(gen_code) X(gen_name) X(gen_qualname) X(gen_frame_state) X(gen_iframe)     \
  X(owner_cstack) X(owner_interpreter)                                                      \
  /* asyncio's per-thread and per-interpreter task lists (3.14+, _PyThreadStateImpl) */     \
  X(ts_asyncio_running_loop) X(ts_asyncio_running_task) X(ts_asyncio_tasks_head)            \
  X(is_asyncio_tasks_head)                                                                  \
  /* _queue.SimpleQueue: a list and a read position (3.7-3.12), a ring buffer (3.13+) */   \
  X(sq_lst) X(sq_lst_pos) X(sq_ring_get_idx) X(sq_ring_items) X(sq_ring_cap) X(sq_ring_count)

struct Layout {
#define PYHANG_DECLARE_FIELD(name) int32_t name = -1;
  PYHANG_LAYOUT_FIELDS(PYHANG_DECLARE_FIELD)
#undef PYHANG_DECLARE_FIELD
};

// Calls f(name, value) for every field.
template <class F>
void forEachField(const Layout& l, F&& f) {
#define PYHANG_VISIT_FIELD(name) f(#name, l.name);
  PYHANG_LAYOUT_FIELDS(PYHANG_VISIT_FIELD)
#undef PYHANG_VISIT_FIELD
}

enum class FrameModel { kFrameObject, kInterpreterFrame };
enum class LongModel { kSignedSize, kTag };
enum class DictModel { kOld, kNew311 };          // PyDictKeysObject before/after 3.11
enum class ManagedDictModel { kNone, k311, k312, k313 };
enum class LockModel { kSemaphore, kPyMutex };   // _thread.lock: sem_t* (<=3.13.0) or PyMutex
enum class RLockModel { kSemaphore, kRecursiveMutex };
// Where the interpreter list and the GIL-holding thread state are: in _PyRuntime (3.7+) or, in
// 3.6, in separate globals of libpython (interp_head, _PyThreadState_Current, ...) found by name.
enum class RuntimeModel { kGlobals36, kRuntimeState };
// Which _Py_DebugOffsets struct the target carries at the start of _PyRuntime.
enum class DebugOffsetsModel { kNone, k313, k314, k315 };
// How asyncio's tasks are found: 3.6 the static variables all_tasks (a WeakSet) and
// current_tasks of the _asyncio extension for C tasks, class attributes of the pure-Python Task
// (asyncio.tasks._PyTask._all_tasks) for the others; 3.7-3.11 the module's WeakSet asyncio.tasks._all_tasks;
// 3.12/3.13 _scheduled_tasks plus the _eager_tasks set; 3.14+ intrusive lists in the thread and
// interpreter states.
enum class TaskRegistry { kStatics36, kModuleWeakSet, kScheduledAndEager, kIntrusiveLists };

// gi_frame_state values of a generator/coroutine (3.11+; the frame holds it before): the
// suspended state, the suspended-in-`yield from`/`await` states (3.13+; kNoState before) and the
// first value meaning finished. 3.15 renumbered them from 0.
struct GenStates {
  static constexpr int kNoState = -128;
  int suspended = -1;
  int yieldFrom = kNoState;
  int yieldFromLocked = kNoState;
  int finished = 1;
  // Where the awaited object (the `yield from` receiver) lies, counted down from the top of the
  // suspended frame's stack: 1 (the top slot), 2 in 3.15 (a NULL slot lies above it).
  int receiverFromTop = 1;
};

struct VersionTraits {
  int minor = 0;
  int micro = 0;
  FrameModel frames = FrameModel::kFrameObject;
  LongModel longs = LongModel::kSignedSize;
  DictModel dicts = DictModel::kOld;
  ManagedDictModel managedDicts = ManagedDictModel::kNone;
  LockModel locks = LockModel::kSemaphore;
  RLockModel rlocks = RLockModel::kSemaphore;
  // PyThread_type_lock, the C lock behind _io's buffered streams: a heap sem_t up to 3.14, a
  // heap PyMutex from 3.15.
  LockModel pythreadLocks = LockModel::kSemaphore;
  bool stackRefs = false;          // 3.14: frame slots are tagged _PyStackRef
  RuntimeModel runtime = RuntimeModel::kRuntimeState;
  DebugOffsetsModel debugOffsets = DebugOffsetsModel::kNone;
  TaskRegistry tasks = TaskRegistry::kModuleWeakSet;
  LineTableFormat lineTable = LineTableFormat::kLnotab;
  GenStates genStates;
  bool lastiIsInstructionIndex = false;  // 3.10: f_lasti counts 2-byte units
  bool threadsInInterp = true;     // false only for 3.8-3.10 naming, kept for clarity
  bool gilPerInterpreter = false;  // 3.12+: interp->ceval.gil pointer
  bool callSelfAfterCallable = false;  // 3.13+: [callable, self_or_NULL]
  bool holdsGilInStatus = false;       // 3.13: bit 5 of PyThreadState._status says it holds the GIL
  bool signalHandlersByScan = false;   // 3.12+: the Python signal handlers are found by scanning _PyRuntime
  bool kwNamesOffStack = false;        // 3.11, 3.12: keyword names of a call live in KW_NAMES, not on the stack
  bool shutdownJoinsInC = false;       // 3.13+: threading._shutdown() joins the threads in C (_thread_shutdown)
  int dictValuesHeader = 0;            // bytes before a split dict's values array (3.13+: 8)
  bool entryShimOnCStack = false;      // 3.12+: an eval entry's shim frame lives on the C stack
  int loadAttrNameShift = 0;           // LOAD_ATTR's argument >> this is the name's index (3.12+: 1)
  bool simpleQueueHandsOff = false;    // 3.13+: SimpleQueue.put() hands its item to a parked get()
};

struct VersionInfo {
  int major = 3, minor = 0, micro = 0;
  std::string str() const;
};

struct PythonLayout {
  VersionInfo version;
  VersionTraits traits;
  Layout offsets;
};

// The compiled-in layout for a version, or nullopt when that version is not supported.
std::optional<PythonLayout> layoutFor(const VersionInfo& version);

constexpr int kMinSupportedMinor = 6;
constexpr int kMaxSupportedMinor = 15;

}  // namespace pyhang::cpython

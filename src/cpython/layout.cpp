#include "cpython/layout.h"

#include <fmt/format.h>

namespace pyhang::cpython {

std::string VersionInfo::str() const { return fmt::format("{}.{}.{}", major, minor, micro); }

namespace {

Layout layout38();

// 3.7: the first _PyRuntime (no main_thread in it yet), no positional-only arguments.
Layout layout37() {
  Layout l = layout38();
  l.rt_finalizing = 8; l.rt_interp_head = 24; l.rt_main_thread = -1; l.rt_gil = 1264;
  l.rt_gilstate_current = 1480; l.rt_gc_collecting = 632;
  l.is_id = 16; l.is_modules = 40; l.is_sysdict = 56;
  l.co_posonlyargcount = -1; l.co_kwonlyargcount = 20; l.co_nlocals = 24; l.co_stacksize = 28;
  l.co_flags = 32; l.co_firstlineno = 36; l.co_code = 40; l.co_varnames = 64; l.co_freevars = 72;
  l.co_cellvars = 80; l.co_cell2arg = 88; l.co_filename = 96; l.co_name = 104;
  l.co_linetable = 112;  // co_lnotab
  l.ht_cached_keys = 856;
  return l;
}

// 3.6: no _PyRuntime: the rt_* offsets are set at run time, relative to the lowest of the globals
// that stand for it (RuntimeModel::kGlobals36, see runtime_locator.cpp). No interpreter ids.
Layout layout36() {
  Layout l = layout37();
  l.rt_finalizing = -1; l.rt_interp_head = -1; l.rt_gil = -1; l.rt_gilstate_current = -1;
  l.rt_gc_collecting = -1;
  l.is_id = -1; l.is_modules = 16; l.is_sysdict = 32;
  l.ts_thread_id = 152;
  l.sq_lst = -1; l.sq_lst_pos = -1;  // no _queue module: ThreadPoolExecutor uses queue.Queue
  l.f_lasti = 120; l.f_iblock = 128; l.f_blockstack = 136; l.f_localsplus = 376;
  return l;
}

Layout layout38() {
  Layout l;
  l.rt_finalizing = 16; l.rt_interp_head = 32; l.rt_main_thread = 72; l.rt_gil = 1152;
  l.rt_gilstate_current = 1368; l.rt_gc_collecting = 344 + 200;
  l.is_next = 0; l.is_threads_head = 8; l.is_id = 16; l.is_modules = 56; l.is_sysdict = 72;
  l.ts_next = 8; l.ts_interp = 16; l.ts_frame = 24; l.ts_thread_id = 176;
  l.f_back = 24; l.f_code = 32; l.f_locals = 56; l.f_valuestack = 64; l.f_stacktop = 72;
  l.f_lasti = 104; l.f_iblock = 112; l.f_blockstack = 120; l.f_localsplus = 360;
  l.co_argcount = 16; l.co_posonlyargcount = 20; l.co_kwonlyargcount = 24; l.co_nlocals = 28;
  l.co_stacksize = 32; l.co_flags = 36; l.co_firstlineno = 40; l.co_code = 48;
  l.co_varnames = 72; l.co_freevars = 80; l.co_cellvars = 88; l.co_cell2arg = 96;
  l.co_filename = 104; l.co_name = 112; l.co_linetable = 120;  // co_lnotab
  l.tuple_items = 24; l.str_ascii_size = 48; l.str_compact_size = 72; l.str_legacy_data = 72;
  l.func_code = 16;
  l.func_name = 64; l.func_qualname = 104; l.ht_cached_keys = 872;
  l.gen_frame = 16; l.gen_code = 32; l.gen_name = 48; l.gen_qualname = 56;
  l.sq_lst = 32; l.sq_lst_pos = 40;
  return l;
}

Layout layout39() {
  Layout l = layout38();
  l.rt_gil = 352; l.rt_gilstate_current = 568; l.rt_gc_collecting = -1;
  l.is_id = 24; l.is_modules = 856; l.is_sysdict = 872; l.is_gc_collecting = 816;
  l.ht_cached_keys = 864;
  return l;
}

Layout layout310() {
  Layout l = layout39();
  l.f_stacktop = -1; l.f_stackdepth = 80; l.f_lasti = 96; l.f_iblock = 104; l.f_blockstack = 112;
  l.f_localsplus = 352;
  l.func_code = 48; l.func_name = 32; l.func_qualname = 40; l.ht_cached_keys = 872;
  l.gen_frame = 16; l.gen_code = 24; l.gen_name = 40; l.gen_qualname = 48;
  return l;
}

// Fields shared by the _PyInterpreterFrame versions.
void setCode311Plus(Layout& l) {
  l.co_code = -1; l.co_varnames = -1; l.co_freevars = -1; l.co_cellvars = -1; l.co_cell2arg = -1;
  l.co_flags = 48; l.co_nlocals = 80; l.co_localsplusnames = 96; l.co_localspluskinds = 104;
  l.co_filename = 112; l.co_name = 120; l.co_qualname = 128; l.co_linetable = 136;
  l.co_exceptiontable = 40;
  l.co_names = 32;
}

Layout layout311() {
  Layout l;
  l.rt_finalizing = 24; l.rt_interp_head = 40; l.rt_main_thread = 80; l.rt_gil = 360;
  l.rt_gilstate_current = 576;
  l.is_next = 0; l.is_threads_head = 16; l.is_id = 48; l.is_modules = 888; l.is_sysdict = 904;
  l.is_gc_collecting = 848;
  l.ts_next = 8; l.ts_interp = 16; l.ts_cframe = 56; l.cf_current_frame = 8; l.ts_thread_id = 152;
  l.ts_native_thread_id = 160;
  l.if_code = 32; l.if_previous = 48; l.if_locals = 24; l.if_instr = 56; l.if_stacktop = 64;
  l.if_is_entry = 68; l.if_owner = 69; l.if_localsplus = 72;
  setCode311Plus(l);
  l.co_argcount = 56; l.co_posonlyargcount = 60; l.co_kwonlyargcount = 64; l.co_stacksize = 68;
  l.co_firstlineno = 72; l.co_nlocalsplus = 76; l.co_ncellvars = 88; l.co_nfreevars = 92;
  l.co_firsttraceable = 168; l.co_code_adaptive = 184;
  l.tuple_items = 24; l.str_ascii_size = 48; l.str_compact_size = 72; l.str_legacy_data = 72;
  l.func_code = 48; l.func_name = 32; l.func_qualname = 40; l.ht_cached_keys = 872;
  l.gen_code = 16; l.gen_name = 32; l.gen_qualname = 40; l.gen_frame_state = 75; l.gen_iframe = 80;
  l.sq_lst = 32; l.sq_lst_pos = 40;
  return l;
}

Layout layout312() {
  Layout l = layout311();
  l.rt_main_thread = 64; l.rt_gil = -1; l.rt_gilstate_current = -1;
  l.is_threads_head = 72; l.is_id = 8; l.is_modules = 944; l.is_sysdict = 352;
  l.is_gc_collecting = 312; l.is_ceval_gil = 384;
  l.cf_current_frame = 0; l.ts_thread_id = 136; l.ts_native_thread_id = 144; l.ts_status = 24;
  l.if_code = 0; l.if_previous = 8; l.if_locals = 40; l.if_is_entry = -1; l.if_owner = 70;
  l.co_argcount = 52; l.co_posonlyargcount = 56; l.co_kwonlyargcount = 60; l.co_stacksize = 64;
  l.co_firstlineno = 68; l.co_nlocalsplus = 72; l.co_ncellvars = 84; l.co_nfreevars = 88;
  l.co_firsttraceable = 176; l.co_code_adaptive = 192;
  l.str_ascii_size = 40; l.str_compact_size = 56; l.str_legacy_data = 56;
  l.ht_cached_keys = 880;
  l.gen_code = -1; l.gen_name = 24; l.gen_qualname = 32; l.gen_frame_state = 67; l.gen_iframe = 72;
  l.owner_cstack = 3;
  return l;
}

Layout layout313() {
  Layout l = layout312();
  l.rt_finalizing = 608; l.rt_interp_head = 632; l.rt_main_thread = 656;
  l.is_next = 7264; l.is_threads_head = 7344; l.is_threads_main = 7352; l.is_id = 7272;
  l.is_modules = 7656; l.is_sysdict = 7640; l.is_gc_collecting = 7600; l.is_ceval_gil = 16;
  l.ts_cframe = -1; l.cf_current_frame = -1; l.ts_current_frame = 72; l.ts_thread_id = 152;
  l.ts_native_thread_id = 160; l.ts_status = 32; l.ts_state = 40;
  l.co_firsttraceable = 184; l.co_code_adaptive = 200;
  l.sq_lst = -1; l.sq_lst_pos = -1;
  l.sq_ring_get_idx = 32; l.sq_ring_items = 40; l.sq_ring_cap = 48; l.sq_ring_count = 56;
  return l;
}

Layout layout314() {
  Layout l = layout313();
  l.rt_finalizing = 784; l.rt_interp_head = 808; l.rt_main_thread = 832;
  l.is_next = 7272; l.is_threads_main = 7360; l.is_id = 7280; l.is_modules = 7688;
  l.is_sysdict = 7672; l.is_gc_collecting = 7408 + 192;
  l.ts_holds_gil = 36; l.ts_state = 44;
  l.if_stacktop = -1; l.if_stackpointer = 64; l.if_owner = 74; l.if_localsplus = 80;
  l.co_firsttraceable = 192; l.co_code_adaptive = 208;
  l.tuple_items = 32;
  l.owner_interpreter = 3; l.owner_cstack = 4;
  l.ts_asyncio_running_loop = 864; l.ts_asyncio_running_task = 872; l.ts_asyncio_tasks_head = 880;
  l.is_asyncio_tasks_head = 10880;
  return l;
}

// 3.15: the release's _Py_DebugOffsets and .AsyncioDebug section (3.15.2); the frame, code and
// generator layouts are those of 3.14. The target's own _Py_DebugOffsets overrides at run time.
Layout layout315() {
  Layout l = layout314();
  l.rt_finalizing = 912; l.rt_interp_head = 936; l.rt_main_thread = 960;
  l.is_next = 7264; l.is_threads_head = 7336; l.is_threads_main = 7352; l.is_id = 7272;
  l.is_modules = 7592; l.is_sysdict = 7576; l.is_gc_collecting = 7400 + 112;
  l.ts_thread_id = 176; l.ts_native_thread_id = 184;
  l.ht_cached_keys = 888;
  l.ts_asyncio_running_loop = 1024; l.ts_asyncio_running_task = 1032; l.ts_asyncio_tasks_head = 1048;
  l.is_asyncio_tasks_head = 10856;
  return l;
}

}  // namespace

std::optional<PythonLayout> layoutFor(const VersionInfo& v) {
  if (v.major != 3 || v.minor < kMinSupportedMinor || v.minor > kMaxSupportedMinor) return std::nullopt;
  PythonLayout p;
  p.version = v;
  VersionTraits& t = p.traits;
  t.minor = v.minor;
  t.micro = v.micro;
  switch (v.minor) {
    case 6: p.offsets = layout36(); break;
    case 7: p.offsets = layout37(); break;
    case 8: p.offsets = layout38(); break;
    case 9: p.offsets = layout39(); break;
    case 10: p.offsets = layout310(); break;
    case 11: p.offsets = layout311(); break;
    case 12: p.offsets = layout312(); break;
    case 13: p.offsets = layout313(); break;
    case 14: p.offsets = layout314(); break;
    case 15: p.offsets = layout315(); break;
  }
  t.frames = v.minor >= 11 ? FrameModel::kInterpreterFrame : FrameModel::kFrameObject;
  t.longs = v.minor >= 12 ? LongModel::kTag : LongModel::kSignedSize;
  t.dicts = v.minor >= 11 ? DictModel::kNew311 : DictModel::kOld;
  t.managedDicts = v.minor >= 13   ? ManagedDictModel::k313
                   : v.minor == 12 ? ManagedDictModel::k312
                   : v.minor == 11 ? ManagedDictModel::k311
                                   : ManagedDictModel::kNone;
  // gh-117721 (PyMutex-based _thread.lock) was backported to 3.13.1.
  t.locks = (v.minor > 13 || (v.minor == 13 && v.micro >= 1)) ? LockModel::kPyMutex : LockModel::kSemaphore;
  t.rlocks = v.minor >= 14 ? RLockModel::kRecursiveMutex : RLockModel::kSemaphore;
  t.pythreadLocks = v.minor >= 15 ? LockModel::kPyMutex : LockModel::kSemaphore;
  t.stackRefs = v.minor >= 14;
  t.lastiIsInstructionIndex = v.minor == 10;
  t.runtime = v.minor == 6 ? RuntimeModel::kGlobals36 : RuntimeModel::kRuntimeState;
  t.debugOffsets = v.minor >= 15   ? DebugOffsetsModel::k315
                   : v.minor == 14 ? DebugOffsetsModel::k314
                   : v.minor == 13 ? DebugOffsetsModel::k313
                                   : DebugOffsetsModel::kNone;
  t.tasks = v.minor >= 14   ? TaskRegistry::kIntrusiveLists
            : v.minor >= 12 ? TaskRegistry::kScheduledAndEager
            : v.minor >= 7  ? TaskRegistry::kModuleWeakSet
                            : TaskRegistry::kStatics36;
  if (v.minor >= 15) {
    t.genStates = {1, 2, 3, 5, 2};  // CREATED 0, SUSPENDED 1, ..._YIELD_FROM 2, ..._LOCKED 3, EXECUTING 4
  } else if (v.minor >= 13) {
    t.genStates = {-2, -1, GenStates::kNoState, 1, 1};
  }
  t.lineTable = v.minor >= 11   ? LineTableFormat::kLocationTable
                : v.minor == 10 ? LineTableFormat::kLinetable310
                                : LineTableFormat::kLnotab;
  t.gilPerInterpreter = v.minor >= 12;
  t.callSelfAfterCallable = v.minor >= 13;
  t.holdsGilInStatus = v.minor == 13;
  t.signalHandlersByScan = v.minor >= 12;
  t.kwNamesOffStack = v.minor == 11 || v.minor == 12;
  t.shutdownJoinsInC = v.minor >= 13;
  t.dictValuesHeader = v.minor >= 13 ? 8 : 0;
  t.entryShimOnCStack = v.minor >= 12;
  t.loadAttrNameShift = v.minor >= 12 ? 1 : 0;
  t.simpleQueueHandsOff = v.minor >= 13;
  return p;
}

}  // namespace pyhang::cpython

#include "cpython/signal_reader.h"

#include <csignal>
#include <cstring>

#include <fmt/format.h>

namespace pyhang::cpython {

namespace {

constexpr int kSignals = 65;              // Py_NSIG on Linux: entries 0..64
constexpr uint64_t kEntry = 16;           // { int tripped; PyObject *func; }
constexpr uint64_t kTableBytes = kSignals * kEntry;
// 3.12+: _signals_runtime_state { handlers[65]; wakeup; is_tripped; default_handler;
// ignore_handler; ... }: default_handler sits 1056 bytes after the table, ignore_handler 8 after.
constexpr uint64_t kDefaultAfterTable = kTableBytes + 16;
// The table is within the first pages of _PyRuntime (464 bytes in 3.12, 1080 in 3.13, 1256 in
// a 3.14 debug build): how far to look for it.
constexpr uint64_t kRuntimeScanBytes = 16384;

bool isIntWithValue(const ObjectReader& objects, uint64_t obj, int64_t value) {
  if (!obj || objects.typeName(obj).value_or("") != "int") return false;
  auto v = objects.readSmallInt(obj);
  return v && *v == value;
}

// Decodes a table at `table`: every entry's `tripped` is 0 or 1 and its func NULL, an int
// (SIG_DFL, SIG_IGN) or a callable.
std::optional<std::vector<SignalHandler>> decode(const ObjectReader& objects, uint64_t table) {
  auto raw = objects.memory().readBytes(table, kTableBytes);
  if (!raw) return std::nullopt;
  std::vector<SignalHandler> out;
  for (int signo = 1; signo < kSignals; ++signo) {
    uint32_t tripped = 0;
    uint64_t func = 0;
    std::memcpy(&tripped, &(*raw)[signo * kEntry], 4);
    std::memcpy(&func, &(*raw)[signo * kEntry + 8], 8);
    if (tripped > 1) return std::nullopt;
    if (!func) continue;
    auto type = objects.typeName(func);
    if (!type) return std::nullopt;
    // SIG_DFL, SIG_IGN (or a handler number the C level set); None for the signals whose
    // handler Python could not query at start-up (glibc's reserved 32 and 33).
    if (*type == "int" || *type == "NoneType") continue;
    SignalHandler h;
    h.signo = signo;
    h.name = signalName(signo);
    uint64_t callable = func;
    if (*type == "functools.partial" || *type == "partial") {
      // partialobject: fn right after the object header.
      if (auto f = objects.memory().readPtr(func + 16); f && *f) callable = *f;
    }
    if (objects.typeName(callable).value_or("") == "method") {
      // A bound method: __func__ (im_func) right after the object header.
      if (auto f = objects.memory().readPtr(callable + 16); f && *f) callable = *f;
    }
    std::string ctype = objects.typeName(callable).value_or("");
    if (ctype == "builtin_function_or_method") {
      // PyCFunctionObject: m_ml (PyMethodDef*) after the header; ml_name first in it.
      uint64_t ml = objects.memory().readPtr(callable + 16).value_or(0);
      uint64_t namePtr = ml ? objects.memory().readPtr(ml).value_or(0) : 0;
      std::string name = namePtr ? objects.memory().readCString(namePtr, 64).value_or("") : "";
      if (name == "default_int_handler" && signo == SIGINT) continue;   // KeyboardInterrupt
      h.handler = name.empty() ? "a built-in function" : name;
    } else if (ctype == "function") {
      h.handler = objects.functionName(callable).value_or("");
      SourceLocation where = objects.functionLocation(callable);
      if (!where.file.empty() || where.line) h.where = std::move(where);
    } else {
      h.handler = fmt::format("a {} object", ctype.empty() ? "callable" : ctype);
    }
    // The standard library's own Ctrl-C handling (asyncio.run's Runner._on_sigint, unittest's
    // interrupt handler) raises KeyboardInterrupt like the default one.
    if (signo == SIGINT && (h.where.file.find("/asyncio/") != std::string::npos ||
                            h.where.file.find("/unittest/") != std::string::npos)) {
      continue;
    }
    out.push_back(std::move(h));
  }
  return out;
}

}  // namespace

std::string signalName(int signo) {
  const char* abbrev = sigabbrev_np(signo);
  return abbrev ? fmt::format("SIG{}", abbrev) : fmt::format("signal {}", signo);
}

std::optional<std::vector<SignalHandler>> readSignalHandlers(const ObjectReader& objects, const RuntimeLocation& runtime) {
  if (runtime.signalHandlers) return decode(objects, runtime.signalHandlers);
  if (!objects.layout().traits.signalHandlersByScan || !runtime.runtimeAddress) return std::nullopt;
  // 3.12+: find default_handler / ignore_handler (the ints 0 and 1) 1056 bytes after a table.
  auto raw = objects.memory().readBytes(runtime.runtimeAddress, kRuntimeScanBytes);
  if (!raw) return std::nullopt;
  for (uint64_t off = kDefaultAfterTable; off + 16 <= kRuntimeScanBytes; off += 8) {
    uint64_t dfl = 0, ign = 0;
    std::memcpy(&dfl, &(*raw)[off], 8);
    std::memcpy(&ign, &(*raw)[off + 8], 8);
    if (!dfl || !ign || dfl == ign || dfl < 4096 || ign < 4096) continue;
    if (!isIntWithValue(objects, dfl, 0) || !isIntWithValue(objects, ign, 1)) continue;
    if (auto table = decode(objects, runtime.runtimeAddress + off - kDefaultAfterTable)) return table;
  }
  return std::nullopt;
}

}  // namespace pyhang::cpython

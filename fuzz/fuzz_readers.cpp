// libFuzzer target: the CPython readers (process, frames, code objects, objects, sync evidence,
// analysis and renderers) over an arbitrary memory image. Goal: no crash, no hang and no
// unbounded memory on any input.
//
// Input format (all integers little-endian):
//   [0]      version: minor = 8 + b % 7 (3.8 .. 3.14), micro = b / 7 (0 .. 36)
//   [1]      flags: bit 0 render locals, bit 1 production Limits (else small ones),
//            bit 2 skip the analysis and renderers
//   [2..9]   u64 address of _PyRuntime
//   [10]     number of probe addresses (at most kMaxProbes are used)
//   probes   u64 each: objects on which ObjectReader/CodeReader/FrameWalker/SyncReader calls run
//   segments repeated {u64 address, u32 length, length bytes} to the end of the input (a short
//            last segment is clipped); they form the ImageMemory.
//
// Seeds from real processes: run this binary with PYHANG_FUZZ_RECORD_PID=<pid> and
// PYHANG_FUZZ_RECORD_OUT=<file> (see fuzz/make_seed.py). It then reads the live process once
// through a recording memory and writes an input holding exactly the bytes the readers touched,
// and exits without fuzzing (PYHANG_FUZZ_RECORD_GAP: merge touched ranges closer than this many
// bytes into one segment, default 512). PYHANG_FUZZ_PRINT=1 prints the text report of each input;
// PYHANG_FUZZ_NO_JSON=1 skips renderJson, to fuzz past a known JSON bug.
#include <sys/types.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "analysis/deadlock_analysis.h"
#include "cpython/code_reader.h"
#include "cpython/frame_walker.h"
#include "cpython/layout.h"
#include "cpython/object_reader.h"
#include "cpython/process_reader.h"
#include "cpython/runtime_locator.h"
#include "cpython/sync_reader.h"
#include "memory/remote_memory.h"
#include "process/live_process.h"
#include "process/thread_stopper.h"
#include "report/json_report.h"
#include "report/text_report.h"
#include "snapshot/snapshot.h"

using namespace pyhang;
using namespace pyhang::cpython;

namespace {

constexpr size_t kMaxProbes = 8;
constexpr size_t kMaxSegments = 4096;
constexpr size_t kAutoProbes = 12;  // addresses taken from the snapshot's variables and objects

enum Flags : uint8_t { kRenderLocals = 1, kProductionLimits = 2, kNoAnalysis = 4 };

Limits smallLimits() {
  Limits l;
  l.maxThreads = 16;
  l.maxInterpreters = 4;
  l.maxFrames = 64;
  l.maxReprChars = 80;
  l.maxContainerItems = 10;
  l.maxReprDepth = 2;
  l.maxStringBytes = 4096;
  l.maxDictEntries = 1024;
  l.maxIntDigits = 100;
  l.maxLineTableBytes = 1 << 16;
  l.maxLocals = 256;
  l.maxStackSlots = 4096;
  return l;
}

class Input {
 public:
  Input(const uint8_t* data, size_t size) : p_(data), left_(size) {}
  bool u8(uint8_t& v) { return take(&v, 1); }
  bool u32(uint32_t& v) { return take(&v, 4); }
  bool u64(uint64_t& v) { return take(&v, 8); }
  size_t left() const { return left_; }
  const uint8_t* bytes(size_t n) {
    const uint8_t* r = p_;
    p_ += n;
    left_ -= n;
    return r;
  }

 private:
  bool take(void* out, size_t n) {
    if (left_ < n) return false;
    std::memcpy(out, p_, n);
    p_ += n;
    left_ -= n;
    return true;
  }
  const uint8_t* p_;
  size_t left_;
};

struct Case {
  uint8_t versionByte = 0, flags = 0;
  uint64_t runtime = 0;
  std::vector<uint64_t> probes;
};

// Every reader entry point on one address. The results are consumed so nothing is optimised out.
size_t probe(const ObjectReader& objects, const CodeReader& codes, const FrameWalker& walker,
             const SyncReader& sync, uint64_t a) {
  size_t sink = 0;
  sink += objects.repr(a).size();
  sink += objects.qualifiedTypeName(a).size();
  sink += objects.isInstance(a, "threading", "Condition");
  sink += objects.isInstance(a, "", "Thread");
  if (auto s = objects.readStr(a, 64)) sink += s->size();
  if (auto s = objects.readIntDecimal(a)) sink += s->size();
  if (auto v = objects.readSmallInt(a)) sink += static_cast<size_t>(*v);
  if (auto v = objects.tupleItems(a, 8)) sink += v->size();
  if (auto v = objects.listItems(a, 8)) sink += v->size();
  if (auto v = objects.dictItems(a, 16)) {
    sink += v->size();
    for (const auto& [k, val] : *v) sink += objects.repr(k).size() + objects.repr(val).size();
  }
  if (auto v = objects.setItems(a, 8)) sink += v->size();
  if (auto v = objects.dequeItems(a, 8)) sink += v->size();
  for (const auto& [name, value] : objects.attrs(a, 16)) sink += name.size() + objects.repr(value).size();
  if (auto v = objects.attr(a, "_name")) sink += *v & 1;
  if (auto v = objects.dictGet(a, "__module__")) sink += *v & 1;
  if (auto s = objects.functionName(a)) sink += s->size();
  if (auto c = codes.read(a)) {
    sink += (*c)->slotNames.size();
    if (auto l = codes.lineFor(**c, 0)) sink += static_cast<size_t>(*l);
    if (auto l = codes.lineFor(**c, 2 * static_cast<uint32_t>((*c)->firstTraceable))) sink += static_cast<size_t>(*l);
  }
  ThreadFrames frames = walker.walk(a);
  sink += frames.frames.size() + frames.warnings.size();
  for (const auto& f : frames.frames) {
    sink += sync.heldByWith(f).size();
    if (auto w = sync.blockedAcquire(f)) sink += w->object & 1;
  }
  SyncObject so = sync.describe(a);
  sink += so.names.size() + so.attrs.size() + static_cast<size_t>(sync.classify(a));
  if (auto c = sync.callable(a)) sink += c->name.size();
  return sink;
}

// The whole pipeline on one image: readPythonProcess, then the probes (explicit ones and the
// addresses the snapshot found), then the analysis and both renderers.
size_t exercise(const RemoteMemory& mem, const RuntimeLocation& rt, const Case& c) {
  ReadOptions ro;
  ro.renderLocals = c.flags & kRenderLocals;
  ro.limits = (c.flags & kProductionLimits) ? Limits{} : smallLimits();
  // Never open local files named by the image: the fuzzer stays hermetic and deterministic.
  ro.localPath = [](const std::string&) { return std::string(); };
  Snapshot snap;
  snap.processes.emplace_back();
  Process& proc = snap.processes.back();
  proc.source = "core";
  size_t sink = 0;
  auto r = readPythonProcess(mem, rt, ro, proc);
  if (!r) sink += r.error().describe().size();

  std::vector<uint64_t> addrs = c.probes;
  std::set<uint64_t> seen(addrs.begin(), addrs.end());
  auto add = [&](uint64_t a) {
    if (a && addrs.size() < c.probes.size() + kAutoProbes && seen.insert(a).second) addrs.push_back(a);
  };
  for (const auto& t : proc.threads)
    for (const auto& f : t.frames) {
      for (const auto& v : f.arguments) add(v.address);
      for (const auto& v : f.locals) add(v.address);
    }
  for (const auto& [a, o] : proc.objects) add(a);

  ObjectReader objects(mem, rt.layout, ro.limits);
  CodeReader codes(objects);
  FrameWalker walker(objects, codes);
  SyncReader sync(objects, walker);
  for (uint64_t a : addrs) sink += probe(objects, codes, walker, sync, a);

  if (!(c.flags & kNoAnalysis)) {
    analyze(snap);
    RenderOptions render;
    render.locals = ro.renderLocals;
    render.verbose = true;
    std::ostringstream text, json;
    renderText(snap, render, text);
    static const bool noJson = std::getenv("PYHANG_FUZZ_NO_JSON") != nullptr;
    if (!noJson) renderJson(snap, render, json);
    sink += text.str().size() + json.str().size();
    // PYHANG_FUZZ_PRINT=1: show what an input decodes to (to check seeds by eye).
    static const bool print = std::getenv("PYHANG_FUZZ_PRINT") != nullptr;
    if (print) std::fprintf(stderr, "%s\n", text.str().c_str());
  }
  return sink;
}

std::optional<RuntimeLocation> runtimeFor(uint8_t versionByte, uint64_t address) {
  auto layout = layoutFor({3, kMinSupportedMinor + versionByte % 7, versionByte / 7});
  if (!layout) return std::nullopt;
  RuntimeLocation rt;
  rt.runtimeAddress = address;
  rt.file = "fuzz";
  rt.layout = *layout;
  return rt;
}

// ---- recording real memory into a seed ---------------------------------------------------------

class RecordingMemory : public RemoteMemory {
 public:
  explicit RecordingMemory(const RemoteMemory& inner) : inner_(inner) {}
  Result<void> read(uint64_t addr, void* out, size_t size) const override {
    auto r = inner_.read(addr, out, size);
    if (r && size) ranges_.emplace_back(addr, addr + size);
    return r;
  }
  // Touched ranges, merged when they overlap or lie within `gap` bytes of each other.
  std::vector<std::pair<uint64_t, uint64_t>> merged(uint64_t gap) const {
    std::vector<std::pair<uint64_t, uint64_t>> v = ranges_, out;
    std::sort(v.begin(), v.end());
    for (const auto& r : v) {
      if (!out.empty() && r.first <= out.back().second + gap) out.back().second = std::max(out.back().second, r.second);
      else out.push_back(r);
    }
    return out;
  }

 private:
  const RemoteMemory& inner_;
  mutable std::vector<std::pair<uint64_t, uint64_t>> ranges_;
};

void put(std::string& s, const void* p, size_t n) { s.append(static_cast<const char*>(p), n); }

[[noreturn]] void recordSeed(const char* pidText, const char* outPath) {
  pid_t pid = static_cast<pid_t>(std::atol(pidText));
  const char* flagsEnv = std::getenv("PYHANG_FUZZ_RECORD_FLAGS");
  uint8_t flags = static_cast<uint8_t>(flagsEnv ? std::atoi(flagsEnv) : kRenderLocals);
  LiveProcess live(pid);
  auto maps = live.maps();
  if (!maps) {
    std::fprintf(stderr, "record: cannot read the maps of %d: %s\n", pid, maps.error().describe().c_str());
    std::exit(2);
  }
  auto located = locateRuntime(live, *maps, live.executable());
  if (!located) {
    std::fprintf(stderr, "record: %s\n", located.error().describe().c_str());
    std::exit(2);
  }
  auto stopper = ThreadStopper::stopAll(pid);
  if (!stopper) {
    std::fprintf(stderr, "record: cannot stop %d: %s\n", pid, stopper.error().describe().c_str());
    std::exit(2);
  }
  const PythonLayout& layout = located->layout;
  if (layout.version.minor < kMinSupportedMinor || layout.version.minor > kMaxSupportedMinor) std::exit(2);
  Case c;
  int micro = std::min(layout.version.micro, 36);
  c.versionByte = static_cast<uint8_t>((layout.version.minor - kMinSupportedMinor) + 7 * micro);
  c.flags = flags;
  c.runtime = located->runtimeAddress;
  // The version byte must give back the same layout as the real one (debug offsets aside).
  auto rt = runtimeFor(c.versionByte, c.runtime);
  if (!rt) std::exit(2);

  // First pass: choose probes among the snapshot's variables and sync objects.
  {
    ReadOptions ro;
    ro.renderLocals = true;
    ro.limits = smallLimits();
    Process p;
    (void)readPythonProcess(live, *rt, ro, p);
    std::set<uint64_t> chosen;
    for (const auto& t : p.threads)
      for (const auto& f : t.frames)
        for (const auto* vars : {&f.arguments, &f.locals})
          for (const auto& v : *vars)
            if (v.address && chosen.size() < kMaxProbes && v.type != "int" && v.type != "NoneType")
              chosen.insert(v.address);
    c.probes.assign(chosen.begin(), chosen.end());
  }
  RecordingMemory rec(live);
  (void)exercise(rec, *rt, c);
  (*stopper)->resume();

  std::string out;
  put(out, &c.versionByte, 1);
  put(out, &c.flags, 1);
  put(out, &c.runtime, 8);
  uint8_t n = static_cast<uint8_t>(c.probes.size());
  put(out, &n, 1);
  for (uint64_t a : c.probes) put(out, &a, 8);
  size_t segments = 0;
  // Fewer, larger segments make ImageMemory (a linear scan) faster at the price of bigger seeds.
  const char* gapEnv = std::getenv("PYHANG_FUZZ_RECORD_GAP");
  uint64_t gap = gapEnv ? std::strtoull(gapEnv, nullptr, 0) : 512;
  for (const auto& [lo, hi] : rec.merged(gap)) {
    std::vector<uint8_t> bytes(hi - lo);
    if (!live.read(lo, bytes.data(), bytes.size())) continue;
    uint32_t len = static_cast<uint32_t>(bytes.size());
    put(out, &lo, 8);
    put(out, &len, 4);
    put(out, bytes.data(), bytes.size());
    ++segments;
  }
  std::ofstream f(outPath, std::ios::binary);
  f.write(out.data(), static_cast<std::streamsize>(out.size()));
  if (!f) std::exit(3);
  std::fprintf(stderr, "record: Python %s, %zu segments, %zu bytes -> %s\n", layout.version.str().c_str(), segments,
               out.size(), outPath);
  std::exit(0);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  const char* pid = std::getenv("PYHANG_FUZZ_RECORD_PID");
  const char* out = std::getenv("PYHANG_FUZZ_RECORD_OUT");
  if (pid && out) recordSeed(pid, out);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Input in(data, size);
  Case c;
  uint8_t nprobes = 0;
  if (!in.u8(c.versionByte) || !in.u8(c.flags) || !in.u64(c.runtime) || !in.u8(nprobes)) return 0;
  for (size_t i = 0; i < nprobes; ++i) {
    uint64_t a;
    if (!in.u64(a)) break;
    if (c.probes.size() < kMaxProbes) c.probes.push_back(a);
  }
  ImageMemory mem;
  for (size_t i = 0; i < kMaxSegments && in.left() > 0; ++i) {
    uint64_t addr = 0;
    uint32_t len = 0;
    if (!in.u64(addr)) break;
    if (!in.u32(len)) len = 0;
    size_t n = std::min<size_t>(len, in.left());
    const uint8_t* b = in.bytes(n);
    mem.add(addr, std::vector<uint8_t>(b, b + n));
  }
  auto rt = runtimeFor(c.versionByte, c.runtime);
  if (!rt) return 0;
  volatile size_t sink = exercise(mem, *rt, c);
  (void)sink;
  return 0;
}

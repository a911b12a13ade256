// Tests for src/cpython/frame_walker.{h,cpp} (with code_reader and the line tables): thread states
// and frame chains laid out in an in-memory image for 3.10 (PyFrameObject), 3.11 (is_entry),
// 3.12 (_PyInterpreterFrame with shim frames), 3.13 (None executables) and 3.14 (stack refs).
// The code objects carry real line tables copied from tests/data/linetable/<version>.txt.
#include "cpython/frame_walker.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <cstring>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "cpython/code_reader.h"
#include "cpython/layout.h"
#include "cpython/limits.h"
#include "cpython/object_reader.h"
#include "cpython/opcodes.h"
#include "memory/remote_memory.h"

namespace pyhang::cpython {
namespace {

constexpr uint64_t kBase = 0x20000000;
constexpr uint64_t kUnmapped = 0xdead0000;
constexpr int kTpName = 24;

std::vector<uint8_t> fromHex(const std::string& hex) {
  std::vector<uint8_t> out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) out.push_back(static_cast<uint8_t>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  return out;
}

// Line tables from tests/data/linetable (code object "plain", first line 4, and "inner", first
// line 14). Lines per instruction (3.10: per 2-byte instruction; 3.11+: per code unit):
//   3.10 plain: 5*4 6*11 7*9 8*7 9*7 10*7          inner: 16*4 17*7 19*2
//   3.11 plain: - 4 5*5 6*27 7*30 8*12 9*12 10*7    inner: - 14 16*5 17*6 19*2
//   3.12 plain: 4 5*5 6*33 7*35 8*15 9*9 10*7 ...   inner: - 14 16*5 17*6 19*2
//   3.13 plain: 4 5*4 6*39 7*35 8*16 9*9 10*5 ...   inner: - 14 16*5 17*7 19*2
struct Tables {
  std::string plain, inner, plainExceptions;
};
Tables tablesFor(int minor) {
  switch (minor) {
    case 10: return {"0801160112010e010e010e01", "08020e010402", ""};
    case 11:
      return {"f88000d80809884189058041d8082bd0082bd0082bd0082b9d05986299099c09d0082bd1082bd4082b8041d80825d0082598229f"
              "289a28992a9c2ad00825d10825d408258041d80819d008199044d00819d10819d408198041d80816880e9041880e890e8c0e8041d8"
              "0b0c8861901190419071883dd00418",
              "f88000e0080d9011890a8805f00201091df00001091df00001091df00001091df00001091df00001091de00f18d00818", ""};
    case 12:
    case 14:
      return {"8000d80809884189058041dc181d98629b09d6082b9031a051a811a355881188518b15d0082b8041d0082bd81a1c9f2899289b2a"
              "d70825912490219051881188418914d008258041d10825d81418d6081988718a11d008198041d00819d9081690418c0e8041d80b"
              "0c8861901190419071883dd00418f9f20900092cf9db0825f9da0819",
              "f88000e0080d9011890a8805f50201091de00f18d00818", "930a4129049e07412904ba0d412e06c10e09413404"};
    case 13:
      return {"8000d8080989058041dc181d98629c09d3082b99099031a811a5558b1588118c1599098041d0082bd81a1c9f2899289c2ad40825"
              "992a9124902188118a14992a8041d10825d91418d30819914488718a1191448041d00819d9081691418b0e8041d80b0c9011907188"
              "3dd00418f9f20900092cf9db0825f9da0819",
              "f88000e0080d9011890a8805f60201091de00f18d00818", ""};
  }
  return {};
}

struct CodeSpec {
  std::string file = "/srv/app/prog.py";
  std::string name;
  std::string qualname;  // 3.11+
  int firstLine = 4;
  std::string lineTableHex;
  std::string exceptionTableHex;
  int stackSize = 10;
  std::vector<std::string> locals;
  int firstTraceable = 0;
  size_t codeUnits = 128;
};

// A CPython heap image for one version with just what frames need: str, bytes, tuple, code,
// frames and thread states.
class Image {
 public:
  explicit Image(const PythonLayout& pl) : pl_(pl), o_(pl.offsets), buf_(2 << 20) {}
  uint64_t alloc(size_t n, size_t align = 16) {
    if (frozen_) throw std::logic_error("test bug: allocation after the image was mapped");
    next_ = (next_ + align - 1) & ~(align - 1);
    uint64_t a = kBase + next_;
    next_ += n;
    if (next_ > buf_.size()) throw std::runtime_error("test image full");
    return a;
  }
  template <class T>
  void put(uint64_t addr, T v) {
    std::memcpy(&buf_.at(addr - kBase), &v, sizeof v);
  }
  void field(uint64_t base, int32_t off, uint64_t v) {
    if (off >= 0) put<uint64_t>(base + static_cast<uint64_t>(off), v);
  }
  void field32(uint64_t base, int32_t off, int32_t v) {
    if (off >= 0) put<int32_t>(base + static_cast<uint64_t>(off), v);
  }
  uint64_t object(uint64_t type, size_t size) {
    uint64_t a = alloc(size);
    put<int64_t>(a, 1);
    put<uint64_t>(a + 8, type);
    return a;
  }
  uint64_t type(const std::string& name) {
    auto it = types_.find(name);
    if (it != types_.end()) return it->second;
    uint64_t t = alloc(1024);
    types_[name] = t;
    uint64_t n = alloc(64, 8);
    std::memcpy(&buf_.at(n - kBase), name.data(), name.size());
    put<uint64_t>(t + 8, t);
    put<uint64_t>(t + kTpName, n);
    return t;
  }
  uint64_t str(const std::string& s) {
    const size_t hdr = static_cast<size_t>(o_.str_ascii_size);
    uint64_t a = object(type("str"), hdr + s.size() + 1);
    put<int64_t>(a + 16, static_cast<int64_t>(s.size()));
    put<int64_t>(a + 24, -1);
    put<uint32_t>(a + 32, (1u << 2) | (1u << 5) | (1u << 6) | (pl_.traits.minor <= 11 ? 1u << 7 : 0));
    std::memcpy(&buf_.at(a + hdr - kBase), s.data(), s.size());
    return a;
  }
  uint64_t bytes(const std::vector<uint8_t>& b) {
    uint64_t a = object(type("bytes"), 33 + b.size());
    put<int64_t>(a + 16, static_cast<int64_t>(b.size()));
    put<int64_t>(a + 24, -1);
    if (!b.empty()) std::memcpy(&buf_.at(a + 32 - kBase), b.data(), b.size());
    return a;
  }
  uint64_t tuple(const std::vector<uint64_t>& items) {
    const uint64_t off = static_cast<uint64_t>(o_.tuple_items);
    uint64_t a = object(type("tuple"), off + 8 * items.size());
    put<int64_t>(a + 16, static_cast<int64_t>(items.size()));
    for (size_t i = 0; i < items.size(); ++i) put<uint64_t>(a + off + 8 * i, items[i]);
    return a;
  }
  uint64_t none() { return object(type("NoneType"), 16); }
  // <= 3.10: writes `opcode` at byte `offset` of a code object's co_code.
  void opcode(uint64_t code, size_t offset, int opcode) {
    uint64_t co;
    std::memcpy(&co, &buf_.at(code + static_cast<uint64_t>(o_.co_code) - kBase), 8);
    put<uint8_t>(co + 32 + offset, static_cast<uint8_t>(opcode));
  }

  uint64_t code(const CodeSpec& c) {
    const bool old = pl_.traits.frames == FrameModel::kFrameObject;
    const size_t size = old ? 160 : static_cast<size_t>(o_.co_code_adaptive) + 2 * c.codeUnits + 16;
    uint64_t a = object(type("code"), size);
    std::vector<uint64_t> names;
    for (const auto& n : c.locals) names.push_back(str(n));
    field32(a, o_.co_argcount, 0);
    field32(a, o_.co_posonlyargcount, 0);
    field32(a, o_.co_kwonlyargcount, 0);
    field32(a, o_.co_stacksize, c.stackSize);
    field32(a, o_.co_flags, 0);
    field32(a, o_.co_firstlineno, c.firstLine);
    field(a, o_.co_filename, str(c.file));
    field(a, o_.co_name, str(c.name));
    field(a, o_.co_linetable, bytes(fromHex(c.lineTableHex)));
    if (old) {
      field32(a, o_.co_nlocals, static_cast<int32_t>(c.locals.size()));
      field(a, o_.co_varnames, tuple(names));
      field(a, o_.co_code, bytes(std::vector<uint8_t>(2 * c.codeUnits, 0)));
    } else {
      field(a, o_.co_qualname, str(c.qualname.empty() ? c.name : c.qualname));
      field32(a, o_.co_nlocalsplus, static_cast<int32_t>(c.locals.size()));
      field(a, o_.co_localsplusnames, tuple(names));
      field(a, o_.co_localspluskinds, bytes(std::vector<uint8_t>(c.locals.size(), 0x20)));
      if (!c.exceptionTableHex.empty()) field(a, o_.co_exceptiontable, bytes(fromHex(c.exceptionTableHex)));
      field32(a, o_.co_firsttraceable, c.firstTraceable);
    }
    return a;
  }

  // <= 3.10: a PyFrameObject at instruction index `lasti`, with `blockLevel` > 0 adding one block.
  uint64_t frameObject(uint64_t code, int nlocals, int lasti, int blockLevel = 0) {
    uint64_t f = object(type("frame"), static_cast<size_t>(o_.f_localsplus) + 8 * (static_cast<size_t>(nlocals) + 16));
    field(f, o_.f_code, code);
    field(f, o_.f_valuestack, f + static_cast<uint64_t>(o_.f_localsplus) + 8 * static_cast<uint64_t>(nlocals));
    field32(f, o_.f_stackdepth, -1);
    field32(f, o_.f_lasti, lasti);
    if (blockLevel > 0) {
      field32(f, o_.f_iblock, 1);
      put<int32_t>(f + static_cast<uint64_t>(o_.f_blockstack), 122);
      put<int32_t>(f + static_cast<uint64_t>(o_.f_blockstack) + 8, blockLevel);
    }
    return f;
  }
  // >= 3.11: an interpreter frame executing code unit `unit`; owner 0 = thread.
  uint64_t interpFrame(uint64_t code, uint64_t codeRef, int nlocals, size_t unit, int owner = 0, bool isEntry = false) {
    uint64_t f = alloc(static_cast<size_t>(o_.if_localsplus) + 8 * (static_cast<size_t>(nlocals) + 16));
    field(f, o_.if_code, codeRef);
    field(f, o_.if_instr, code + static_cast<uint64_t>(o_.co_code_adaptive) + 2 * unit);
    field32(f, o_.if_stacktop, -1);
    if (o_.if_owner >= 0) put<uint8_t>(f + static_cast<uint64_t>(o_.if_owner), static_cast<uint8_t>(owner));
    if (o_.if_is_entry >= 0) put<uint8_t>(f + static_cast<uint64_t>(o_.if_is_entry), isEntry ? 1 : 0);
    return f;
  }
  void link(uint64_t frame, uint64_t older) {
    field(frame, pl_.traits.frames == FrameModel::kFrameObject ? o_.f_back : o_.if_previous, older);
  }
  // A thread state whose current frame is `top`.
  uint64_t threadState(uint64_t top) {
    uint64_t ts = alloc(1024);
    if (o_.ts_frame >= 0) {
      field(ts, o_.ts_frame, top);
    } else if (o_.ts_current_frame >= 0) {
      field(ts, o_.ts_current_frame, top);
    } else {
      uint64_t cframe = alloc(32);
      field(ts, o_.ts_cframe, cframe);
      field(cframe, o_.cf_current_frame, top);
    }
    return ts;
  }
  void mapInto(ImageMemory& mem) {
    frozen_ = true;
    mem.add(kBase, std::vector<uint8_t>(buf_.begin(), buf_.begin() + static_cast<long>((next_ + 4095) & ~size_t{4095})));
  }

 private:
  const PythonLayout& pl_;
  const Layout& o_;
  std::vector<uint8_t> buf_;
  size_t next_ = 0;
  bool frozen_ = false;
  std::map<std::string, uint64_t> types_;
};

struct World {
  explicit World(int minor) : layout(*layoutFor({3, minor, 0})), img(layout), tables(tablesFor(minor)) {}
  World(const World&) = delete;
  PythonLayout layout;
  Limits limits;
  Image img;
  Tables tables;
  ImageMemory mem;
  std::unique_ptr<ObjectReader> objects;
  std::unique_ptr<CodeReader> codes;
  std::unique_ptr<FrameWalker> walker;
  const FrameWalker& w() {
    if (!walker) {
      img.mapInto(mem);
      objects = std::make_unique<ObjectReader>(mem, layout, limits);
      codes = std::make_unique<CodeReader>(*objects);
      walker = std::make_unique<FrameWalker>(*objects, *codes);
    }
    return *walker;
  }
  CodeSpec plain(const std::string& name, int firstLine = 4) {
    CodeSpec c;
    c.name = name;
    c.firstLine = firstLine;
    c.lineTableHex = tables.plain;
    c.exceptionTableHex = tables.plainExceptions;
    c.locals = {"lock_a", "lock_b"};
    return c;
  }
  CodeSpec inner(const std::string& name) {
    CodeSpec c;
    c.name = name;
    c.firstLine = 14;
    c.lineTableHex = tables.inner;
    c.locals = {"x"};
    return c;
  }
};

std::string hex(uint64_t a) { return fmt::format("0x{:x}", a); }

std::string describe(const ThreadFrames& t) {
  std::string s;
  for (const auto& f : t.frames) {
    s += fmt::format("\n    {} line {} entry {} error '{}'", f.code ? f.code->qualname : std::string("<none>"),
                     f.line.value_or(-1), f.isEntry, f.error);
  }
  for (const auto& w : t.warnings) s += "\n    warning: " + w;
  return s;
}

bool hasWarning(const ThreadFrames& t, const std::string& text) {
  for (const auto& w : t.warnings) {
    if (w.find(text) != std::string::npos) return true;
  }
  return false;
}

void expectFrame(const RawFrame& f, const std::string& name, int line, bool isEntry) {
  SCOPED_TRACE(name);
  ASSERT_NE(f.code, nullptr) << f.error;
  EXPECT_EQ(f.code->name, name);
  EXPECT_EQ(f.code->filename, "/srv/app/prog.py");
  EXPECT_EQ(f.line, std::optional<int>(line));
  EXPECT_EQ(f.isEntry, isEntry);
  EXPECT_TRUE(f.error.empty()) << f.error;
}

// ---- 3.10: PyFrameObject chain ------------------------------------------------------------------

TEST(FrameWalker, Py310FrameObjectChainWithLinesAndBlocks) {
  // Given <module> -> worker -> inner, each a PyFrameObject linked by f_back
  World w(10);
  auto& im = w.img;
  uint64_t modCode = im.code(w.plain("<module>", 100));
  uint64_t workerCode = im.code(w.plain("worker"));
  uint64_t innerCode = im.code(w.inner("inner"));
  uint64_t mod = im.frameObject(modCode, 2, 40);            // instruction 40 -> line 10 - 4 + 100
  uint64_t worker = im.frameObject(workerCode, 2, 16, 2);   // instruction 16 -> line 7, inside a with block
  uint64_t inner = im.frameObject(innerCode, 1, 5);         // instruction 5 -> line 17
  im.link(inner, worker);
  im.link(worker, mod);
  uint64_t ts = im.threadState(inner);
  // When the thread's frames are walked
  auto top = w.w().topFrame(ts);
  ASSERT_TRUE(top.has_value());
  EXPECT_EQ(*top, inner);
  ThreadFrames t = w.w().walk(*top);
  // Then the frames come innermost first with their functions and lines
  ASSERT_EQ(t.frames.size(), 3u) << describe(t);
  EXPECT_TRUE(t.warnings.empty()) << describe(t);
  expectFrame(t.frames[0], "inner", 17, false);
  expectFrame(t.frames[1], "worker", 7, false);
  expectFrame(t.frames[2], "<module>", 106, false);
  // And the positions and slots follow the 3.10 layout (f_lasti counts instructions)
  EXPECT_EQ(t.frames[1].address, worker);
  EXPECT_EQ(t.frames[1].byteOffset, 32u);
  EXPECT_EQ(t.frames[1].slots, worker + 352);
  EXPECT_EQ(t.frames[1].stackBase, worker + 352 + 16);
  EXPECT_EQ(t.frames[1].exactDepth, -1);
  EXPECT_EQ(t.frames[1].protectedDepth, 2);
  EXPECT_EQ(t.frames[0].protectedDepth, 0);
  EXPECT_EQ(t.frames[1].code->slotNames, (std::vector<std::string>{"lock_a", "lock_b"}));
  EXPECT_EQ(t.frames[1].code->qualname, "worker");
}

TEST(FrameWalker, OldFramesJustPastTheWithBlocksPopBlockStillProtectTheirExit) {
  // A signal handler or a GIL wait can find a frame between the POP_BLOCK that ends a with block
  // and the call of its __exit__: the block is popped (f_iblock 0) but stays in f_blockstack[0].
  for (int minor : {7, 8, 9, 10}) {
    SCOPED_TRACE(minor);
    World w(minor);
    auto& im = w.img;
    const bool index = w.layout.traits.lastiIsInstructionIndex;
    uint64_t code = im.code(w.plain("worker"));
    im.opcode(code, 32, opcodeNumber(minor, "POP_BLOCK"));
    im.opcode(code, 40, opcodeNumber(minor, "INPLACE_ADD"));
    uint64_t atPop = im.frameObject(code, 2, index ? 16 : 32, 2);
    uint64_t atAdd = im.frameObject(code, 2, index ? 20 : 40, 2);
    for (uint64_t f : {atPop, atAdd}) im.field32(f, w.layout.offsets.f_iblock, 0);
    auto pop = w.w().decodeOne(atPop);
    auto add = w.w().decodeOne(atAdd);
    ASSERT_TRUE(pop && add);
    // Then the frame at the POP_BLOCK keeps the popped block's level live, and a frame anywhere
    // else with the same leftover block does not
    EXPECT_EQ(pop->protectedDepth, 2);
    EXPECT_EQ(add->protectedDepth, 0);
  }
}

TEST(FrameWalker, Py310UnreadableCodeGivesAPlaceholderFrameAndTheWalkGoesOn) {
  // Given a frame whose f_code is a str, above a normal frame
  World w(10);
  auto& im = w.img;
  uint64_t workerCode = im.code(w.plain("worker"));
  uint64_t bad = im.frameObject(im.str("not code"), 0, 0);
  uint64_t worker = im.frameObject(workerCode, 2, 16);
  im.link(bad, worker);
  // When walked
  ThreadFrames t = w.w().walk(bad);
  // Then the bad frame is kept as a placeholder with an error and a warning, then the walk goes on
  ASSERT_EQ(t.frames.size(), 2u) << describe(t);
  EXPECT_EQ(t.frames[0].code, nullptr);
  EXPECT_FALSE(t.frames[0].error.empty());
  EXPECT_TRUE(hasWarning(t, "frame at " + hex(bad) + " could not be read")) << describe(t);
  expectFrame(t.frames[1], "worker", 7, false);
}

TEST(FrameWalker, Py310LoopingChainStopsWithAWarning) {
  // Given a -> b -> a
  World w(10);
  auto& im = w.img;
  uint64_t code = im.code(w.plain("spin"));
  uint64_t a = im.frameObject(code, 2, 0), b = im.frameObject(code, 2, 4);
  im.link(a, b);
  im.link(b, a);
  // When walked / Then both frames once, and a warning naming the loop
  ThreadFrames t = w.w().walk(a);
  ASSERT_EQ(t.frames.size(), 2u) << describe(t);
  expectFrame(t.frames[0], "spin", 5, false);
  expectFrame(t.frames[1], "spin", 6, false);
  EXPECT_TRUE(hasWarning(t, "frame chain loops at " + hex(a) + ": stopped")) << describe(t);
}

// ---- 3.11: is_entry ----------------------------------------------------------------------------

TEST(FrameWalker, Py311EntryFramesComeFromIsEntry) {
  // Given <module> (entry) -> run (entry, called through C) -> work (inlined call)
  World w(11);
  auto& im = w.img;
  CodeSpec runSpec = w.plain("run");
  runSpec.qualname = "Worker.run";
  uint64_t modCode = im.code(w.plain("<module>", 100)), runCode = im.code(runSpec), workCode = im.code(w.inner("work"));
  uint64_t mod = im.interpFrame(modCode, modCode, 2, 40, 0, true);    // unit 40 -> line 7 - 4 + 100
  uint64_t run = im.interpFrame(runCode, runCode, 2, 70, 0, true);    // unit 70 -> line 8
  uint64_t work = im.interpFrame(workCode, workCode, 1, 9, 0, false); // unit 9 -> line 17
  im.link(work, run);
  im.link(run, mod);
  uint64_t ts = im.threadState(work);
  // When walked
  auto top = w.w().topFrame(ts);
  ASSERT_TRUE(top.has_value());
  ThreadFrames t = w.w().walk(*top);
  // Then the names, qualnames, lines and entry flags are read
  ASSERT_EQ(t.frames.size(), 3u) << describe(t);
  EXPECT_TRUE(t.warnings.empty()) << describe(t);
  expectFrame(t.frames[0], "work", 17, false);
  expectFrame(t.frames[1], "run", 8, true);
  expectFrame(t.frames[2], "<module>", 103, true);
  EXPECT_EQ(t.frames[1].code->qualname, "Worker.run");
  EXPECT_EQ(t.frames[1].byteOffset, 140u);
  EXPECT_EQ(t.frames[1].slots, run + 72);
  EXPECT_EQ(t.frames[1].stackBase, run + 72 + 16);
}

// ---- 3.12: shim frames ------------------------------------------------------------------------

TEST(FrameWalker, Py312ShimFramesAreSkippedAndMarkTheFrameAboveAsEntry) {
  // Given work -> run -> [shim] -> <module> -> [shim], as two eval-loop invocations leave them
  World w(12);
  auto& im = w.img;
  CodeSpec runSpec = w.plain("run");
  runSpec.qualname = "Worker.run";
  CodeSpec trampolineSpec = w.inner("<interpreter trampoline>");
  uint64_t modCode = im.code(w.plain("<module>", 100)), runCode = im.code(runSpec), workCode = im.code(w.inner("work"));
  uint64_t trampoline = im.code(trampolineSpec);
  uint64_t work = im.interpFrame(workCode, workCode, 1, 8);    // unit 8 -> line 17
  uint64_t run = im.interpFrame(runCode, runCode, 2, 60);      // unit 60 -> line 7, in a with block (depth 3)
  uint64_t shim1 = im.interpFrame(trampoline, trampoline, 0, 0, 3);
  uint64_t mod = im.interpFrame(modCode, modCode, 2, 90);      // unit 90 -> line 9 - 4 + 100
  uint64_t shim2 = im.interpFrame(trampoline, trampoline, 0, 0, 3);
  im.link(work, run);
  im.link(run, shim1);
  im.link(shim1, mod);
  im.link(mod, shim2);
  uint64_t ts = im.threadState(work);
  // When walked
  auto top = w.w().topFrame(ts);
  ASSERT_TRUE(top.has_value());
  EXPECT_EQ(*top, work);
  ThreadFrames t = w.w().walk(*top);
  // Then the shims are not frames, and each frame directly above a shim is an entry frame
  ASSERT_EQ(t.frames.size(), 3u) << describe(t);
  EXPECT_TRUE(t.warnings.empty()) << describe(t);
  expectFrame(t.frames[0], "work", 17, false);
  expectFrame(t.frames[1], "run", 7, true);
  expectFrame(t.frames[2], "<module>", 105, true);
  EXPECT_EQ(t.frames[1].code->qualname, "Worker.run");
  EXPECT_EQ(t.frames[2].code->qualname, "<module>");
  // And the with block of run's exception table protects 3 slots; the depth is not saved in 3.12
  EXPECT_EQ(t.frames[1].protectedDepth, 3);
  EXPECT_EQ(t.frames[1].exactDepth, -1);
  EXPECT_EQ(t.frames[1].byteOffset, 120u);
  EXPECT_EQ(t.frames[1].stackBase, run + 72 + 16);
}

TEST(FrameWalker, Py312FramesNotStartedYetAreSkipped) {
  // Given a frame pushed but not started (instruction before _co_firsttraceable) on top of run
  World w(12);
  auto& im = w.img;
  CodeSpec fresh = w.inner("fresh");
  fresh.firstTraceable = 2;
  uint64_t freshCode = im.code(fresh), runCode = im.code(w.plain("run"));
  uint64_t top = im.interpFrame(freshCode, freshCode, 1, 1);
  uint64_t run = im.interpFrame(runCode, runCode, 2, 60);
  im.link(top, run);
  // When walked / Then only run is reported
  ThreadFrames t = w.w().walk(top);
  ASSERT_EQ(t.frames.size(), 1u) << describe(t);
  expectFrame(t.frames[0], "run", 7, false);
}

// ---- one frame alone (a suspended coroutine's), and line numbers remembered ---------------------

TEST(FrameWalker, Py310DecodeOneGivesTheFrameAsTheWalkDoesWithoutItsCallers) {
  // Given worker -> <module>, PyFrameObjects linked by f_back
  World w(10);
  auto& im = w.img;
  uint64_t modCode = im.code(w.plain("<module>", 100)), workerCode = im.code(w.plain("worker"));
  uint64_t mod = im.frameObject(modCode, 2, 40);
  uint64_t worker = im.frameObject(workerCode, 2, 16, 2);
  im.link(worker, mod);
  // When worker is decoded alone, and walked
  std::optional<RawFrame> one = w.w().decodeOne(worker);
  ThreadFrames t = w.w().walk(worker);
  // Then decodeOne gives the walk's first frame, field for field
  ASSERT_TRUE(one.has_value());
  ASSERT_EQ(t.frames.size(), 2u) << describe(t);
  expectFrame(*one, "worker", 7, false);
  EXPECT_EQ(one->address, t.frames[0].address);
  EXPECT_EQ(one->byteOffset, t.frames[0].byteOffset);
  EXPECT_EQ(one->slots, t.frames[0].slots);
  EXPECT_EQ(one->stackBase, t.frames[0].stackBase);
  EXPECT_EQ(one->protectedDepth, t.frames[0].protectedDepth);
  EXPECT_EQ(one->code, t.frames[0].code);
  // And a NULL frame is nothing
  EXPECT_FALSE(w.w().decodeOne(0).has_value());
}

TEST(FrameWalker, Py312DecodeOneSkipsWhatTheWalkSkips) {
  // Given a shim, a frame not started yet and a running frame
  World w(12);
  auto& im = w.img;
  CodeSpec fresh = w.inner("fresh");
  fresh.firstTraceable = 2;
  uint64_t freshCode = im.code(fresh), runCode = im.code(w.plain("run"));
  uint64_t trampoline = im.code(w.inner("<interpreter trampoline>"));
  uint64_t notStarted = im.interpFrame(freshCode, freshCode, 1, 1);
  uint64_t run = im.interpFrame(runCode, runCode, 2, 60);
  uint64_t shim = im.interpFrame(trampoline, trampoline, 0, 0, 3);
  im.link(run, shim);
  // When each is decoded alone
  // Then the shim and the frame not started are skipped, and run reads as in a walk
  EXPECT_FALSE(w.w().decodeOne(shim).has_value());
  EXPECT_FALSE(w.w().decodeOne(notStarted).has_value());
  std::optional<RawFrame> one = w.w().decodeOne(run);
  ASSERT_TRUE(one.has_value());
  expectFrame(*one, "run", 7, false);
  EXPECT_EQ(one->protectedDepth, 3);
  EXPECT_EQ(one->byteOffset, 120u);
}

TEST(FrameWalker, LinesAreRememberedOnlyForTheReadersOwnCodeObjects) {
  // Given a frame walked twice (the second time from the remembered line)
  World w(12);
  auto& im = w.img;
  uint64_t runCode = im.code(w.plain("run"));
  uint64_t run = im.interpFrame(runCode, runCode, 2, 60);
  ThreadFrames first = w.w().walk(run);
  ThreadFrames second = w.w().walk(run);
  ASSERT_EQ(first.frames.size(), 1u);
  ASSERT_EQ(second.frames.size(), 1u);
  EXPECT_EQ(first.frames[0].line, std::optional<int>(7));
  EXPECT_EQ(second.frames[0].line, std::optional<int>(7));
  // When a copy of that code object, at the same address, has another first line
  CodeInfo copy = *first.frames[0].code;
  copy.firstLineNo += 1000;
  // Then its line is decoded from its own table, not taken from the reader's memory
  EXPECT_EQ(w.codes->lineFor(copy, 120), std::optional<int>(1007));
  EXPECT_EQ(w.codes->lineFor(*first.frames[0].code, 120), std::optional<int>(7));
}

TEST(FrameWalker, Py312LoopingChainStopsWithAWarning) {
  // Given a frame whose previous is itself, and a two-frame loop
  World w(12);
  auto& im = w.img;
  uint64_t code = im.code(w.plain("spin"));
  uint64_t self = im.interpFrame(code, code, 2, 3);
  im.link(self, self);
  uint64_t a = im.interpFrame(code, code, 2, 3), b = im.interpFrame(code, code, 2, 10);
  im.link(a, b);
  im.link(b, a);
  // When walked / Then each frame appears once and the walk stops with a warning
  ThreadFrames t1 = w.w().walk(self);
  ASSERT_EQ(t1.frames.size(), 1u) << describe(t1);
  expectFrame(t1.frames[0], "spin", 5, false);
  EXPECT_TRUE(hasWarning(t1, "frame chain loops at " + hex(self) + ": stopped")) << describe(t1);
  ThreadFrames t2 = w.w().walk(a);
  ASSERT_EQ(t2.frames.size(), 2u) << describe(t2);
  expectFrame(t2.frames[1], "spin", 6, false);
  EXPECT_TRUE(hasWarning(t2, "frame chain loops at " + hex(a) + ": stopped")) << describe(t2);
}

TEST(FrameWalker, Py312ChainsLongerThanMaxFramesAreCut) {
  // Given a chain of 12 frames, a chain of exactly 5, and a chain of 40 shims, with maxFrames 5
  World w(12);
  w.limits.maxFrames = 5;
  auto& im = w.img;
  uint64_t code = im.code(w.plain("recurse"));
  auto chain = [&](int n, int owner) {
    uint64_t first = 0, prev = 0;
    for (int i = 0; i < n; ++i) {
      uint64_t f = im.interpFrame(code, code, 2, 3, owner);
      if (prev) im.link(prev, f);
      if (!first) first = f;
      prev = f;
    }
    return first;
  };
  uint64_t longChain = chain(12, 0), exact = chain(5, 0), shims = chain(40, 3);
  // When walked
  const auto t0 = std::chrono::steady_clock::now();
  ThreadFrames tl = w.w().walk(longChain);
  ThreadFrames te = w.w().walk(exact);
  ThreadFrames ts = w.w().walk(shims);
  const auto took = std::chrono::steady_clock::now() - t0;
  // Then the long chain is cut at 5 frames with a warning, the exact one is complete
  ASSERT_EQ(tl.frames.size(), 5u) << describe(tl);
  EXPECT_TRUE(hasWarning(tl, "more than 5 frames: the rest are not shown")) << describe(tl);
  for (const auto& f : tl.frames) expectFrame(f, "recurse", 5, false);
  EXPECT_EQ(te.frames.size(), 5u) << describe(te);
  EXPECT_TRUE(te.warnings.empty()) << describe(te);
  // And a chain of nothing but shims stops too
  EXPECT_TRUE(ts.frames.empty()) << describe(ts);
  EXPECT_TRUE(hasWarning(ts, "more than 5 frames")) << describe(ts);
  EXPECT_LT(std::chrono::duration_cast<std::chrono::milliseconds>(took).count(), 200);
}

TEST(FrameWalker, Py312AnUnmappedPreviousPointerEndsTheWalk) {
  // Given a frame whose previous pointer is unmapped
  World w(12);
  auto& im = w.img;
  uint64_t code = im.code(w.plain("run"));
  uint64_t run = im.interpFrame(code, code, 2, 60);
  im.link(run, kUnmapped);
  // When walked
  ThreadFrames t = w.w().walk(run);
  // Then run is reported and the walk ends there: no Python frame is made up from unmapped memory
  ASSERT_GE(t.frames.size(), 1u) << describe(t);
  ASSERT_LE(t.frames.size(), 2u) << describe(t);
  expectFrame(t.frames[0], "run", 7, false);
  if (t.frames.size() == 2) {
    EXPECT_EQ(t.frames[1].code, nullptr);
    EXPECT_TRUE(hasWarning(t, "frame at 0xdead0000 could not be read")) << describe(t);
  }
}

TEST(FrameWalker, Py310AnUnmappedFrameIsAPlaceholderWithAWarning) {
  // Given a 3.10 frame whose f_back is unmapped
  World w(10);
  auto& im = w.img;
  uint64_t code = im.code(w.plain("worker"));
  uint64_t worker = im.frameObject(code, 2, 16);
  im.link(worker, kUnmapped);
  // When walked / Then the unreadable frame is shown as a placeholder, with a warning
  ThreadFrames t = w.w().walk(worker);
  ASSERT_EQ(t.frames.size(), 2u) << describe(t);
  expectFrame(t.frames[0], "worker", 7, false);
  EXPECT_EQ(t.frames[1].code, nullptr);
  EXPECT_EQ(t.frames[1].address, kUnmapped);
  EXPECT_FALSE(t.frames[1].error.empty());
  EXPECT_TRUE(hasWarning(t, "frame at 0xdead0000 could not be read")) << describe(t);
}

// ---- 3.13 / 3.14 ------------------------------------------------------------------------------

TEST(FrameWalker, Py313ShimFramesWithNoneExecutableAreSkipped) {
  // Given run -> [shim: owner CSTACK, f_executable None] -> <module>
  World w(13);
  auto& im = w.img;
  uint64_t runCode = im.code(w.plain("run")), modCode = im.code(w.plain("<module>", 100));
  uint64_t none = im.none();
  uint64_t run = im.interpFrame(runCode, runCode, 2, 60);  // 3.13 plain: unit 60 -> line 7
  uint64_t shim = im.interpFrame(runCode, none, 0, 0, 3);
  uint64_t mod = im.interpFrame(modCode, modCode, 2, 5);   // unit 5 -> line 6 - 4 + 100 = 102
  im.link(run, shim);
  im.link(shim, mod);
  uint64_t ts = im.threadState(run);
  // When walked
  auto top = w.w().topFrame(ts);
  ASSERT_TRUE(top.has_value());
  EXPECT_EQ(*top, run);
  ThreadFrames t = w.w().walk(*top);
  // Then the shim is skipped silently and run is an entry frame
  ASSERT_EQ(t.frames.size(), 2u) << describe(t);
  EXPECT_TRUE(t.warnings.empty()) << describe(t);
  expectFrame(t.frames[0], "run", 7, true);
  expectFrame(t.frames[1], "<module>", 102, false);
}

TEST(FrameWalker, Py314StackRefsAndSavedStackPointer) {
  // Given 3.14 frames whose f_executable is a tagged stack reference, an interpreter-owned shim
  // (owner 3) and a saved stackpointer two slots above the locals
  World w(14);
  auto& im = w.img;
  uint64_t runCode = im.code(w.plain("run")), modCode = im.code(w.plain("<module>", 100));
  uint64_t run = im.interpFrame(runCode, runCode | 1, 2, 60);
  const auto& o = w.layout.offsets;
  im.put<uint64_t>(run + static_cast<uint64_t>(o.if_stackpointer), run + static_cast<uint64_t>(o.if_localsplus) + 8 * 4);
  uint64_t shim = im.interpFrame(runCode, im.none(), 0, 0, 3);
  uint64_t mod = im.interpFrame(modCode, modCode, 2, 90);
  im.link(run, shim);
  im.link(shim, mod);
  uint64_t ts = im.threadState(run);
  // When walked
  auto top = w.w().topFrame(ts);
  ASSERT_TRUE(top.has_value());
  ThreadFrames t = w.w().walk(*top);
  // Then the code is found through the tag, the shim is skipped and the depth is exact
  ASSERT_EQ(t.frames.size(), 2u) << describe(t);
  expectFrame(t.frames[0], "run", 7, true);
  expectFrame(t.frames[1], "<module>", 105, false);
  EXPECT_EQ(t.frames[0].slots, run + 80);
  EXPECT_EQ(t.frames[0].exactDepth, 2);
}

}  // namespace
}  // namespace pyhang::cpython

// Walks a thread's Python frames (PyFrameObject chain <= 3.10, _PyInterpreterFrame >= 3.11) into
// RawFrames: decoded positions plus the addresses the evidence readers need.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "cpython/code_reader.h"
#include "cpython/object_reader.h"

namespace pyhang::cpython {

struct RawFrame {
  uint64_t address = 0;
  const CodeInfo* code = nullptr;      // nullptr: unreadable frame (placeholder)
  std::string error;                   // why it could not be read
  uint32_t byteOffset = 0;             // current instruction, bytes from the bytecode start
  std::optional<int> line;
  bool isEntry = false;                // first frame of a C-level eval loop invocation (3.11+)
  uint64_t slots = 0;                  // localsplus[0]
  uint64_t stackBase = 0;              // first value-stack slot
  int exactDepth = -1;                 // live stack depth when the interpreter saved it
  int protectedDepth = 0;              // slots below this are live (block stack / exception table)
  uint64_t globals = 0;                // f_globals
};

struct ThreadFrames {
  std::vector<RawFrame> frames;        // innermost first
  std::vector<std::string> warnings;
};

class FrameWalker {
 public:
  FrameWalker(const ObjectReader& objects, const CodeReader& codes) : objects_(objects), codes_(codes) {}

  // The innermost frame of a thread state (0 when the thread runs no Python code).
  Result<uint64_t> topFrame(uint64_t tstate) const;
  ThreadFrames walk(uint64_t firstFrame) const;
  // One frame without its callers (a suspended generator's): what walk() would give first, or
  // nullopt for a frame walk() skips (a shim, a frame not started yet).
  std::optional<RawFrame> decodeOne(uint64_t frame) const;
  // The frame of a suspended generator or coroutine object, or nullopt when it has finished.
  std::optional<RawFrame> generatorFrame(uint64_t gen) const;

  // A value-stack or localsplus slot as an object pointer: 0 for NULL or a tagged int (3.14).
  uint64_t slotObject(uint64_t slotAddress) const;
  const CodeReader& codes() const { return codes_; }
  // A frame whose current call has returned (a signal handler runs after the call, at the
  // interpreter's check for pending signals) is protected as its next instruction is.
  void finishCall(RawFrame& frame) const;

 private:
  void decodeOld(uint64_t frame, RawFrame& out) const;
  bool decodeNew(uint64_t frame, RawFrame& out, bool& skip) const;
  std::optional<uint32_t> loopHeadOf(const RawFrame& frame) const;
  std::optional<uint64_t> frameBefore(uint64_t frame) const;

  const ObjectReader& objects_;
  const CodeReader& codes_;
};

}  // namespace pyhang::cpython

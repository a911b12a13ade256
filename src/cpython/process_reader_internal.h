// Internal to the process reader (process_reader*.cpp): the Reader class whose parts live in
// process_reader.cpp (the run over interpreters and threads), process_reader_threads.cpp,
// process_reader_frames.cpp and process_reader_objects.cpp. Not for use outside them.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <utility>
#include <vector>

#include "cpython/code_reader.h"
#include "cpython/frame_walker.h"
#include "cpython/object_reader.h"
#include "cpython/process_reader.h"
#include "cpython/source_files.h"
#include "cpython/sync_reader.h"

namespace pyhang::cpython::process_internal {

struct ThreadingInfo {
  std::map<uint64_t, uint64_t> threadsByIdent;  // ident -> Thread object
  std::map<uint64_t, uint64_t> tstateLocks;     // Thread._tstate_lock (<= 3.12) -> ident
};

class Reader {
 public:
  Reader(const RemoteMemory& mem, const RuntimeLocation& rt, const ReadOptions& opts, Process& out)
      : mem_(mem), rt_(rt), opts_(opts), out_(out), layout_(rt.layout), o_(layout_.offsets),
        objects_(mem, layout_, opts.limits), codes_(objects_), walker_(objects_, codes_), sync_(objects_, walker_),
        sources_(opts.localPath) {}

  Result<void> run();
  const ObjectReader& objects() const { return objects_; }

 private:
  uint64_t at(uint64_t base, int32_t off) const { return base + static_cast<uint64_t>(off); }
  void readThreading();
  // Process::startDirectory, from sys.path[0] (absolute: the main script's directory) and a
  // relative __main__.__file__; also handed to sources_.
  void readStartDirectory();
  void readThread(uint64_t tstate, uint64_t interp, int interpId, const std::pair<bool, uint64_t>& gil,
                  bool gcCollecting);
  std::vector<Variable> variables(const RawFrame& raw, bool argumentsOnly, bool localsOnly);
  bool looksLikeSignalHandler(const RawFrame& frame, const RawFrame& caller) const;
  void inferAcquireHolds(const RawFrame& raw, Frame& f);
  std::vector<HeldObject> generatorHolds(uint64_t cm, int depth);
  void nameObjects();
  void addObject(uint64_t addr);
  // ThreadPoolExecutor workers running a work item: (the future it completes, the thread's ident).
  std::vector<std::pair<uint64_t, uint64_t>> runningFutures_;

  const RemoteMemory& mem_;
  const RuntimeLocation& rt_;
  const ReadOptions& opts_;
  Process& out_;
  const PythonLayout& layout_;
  const Layout& o_;
  ObjectReader objects_;
  CodeReader codes_;
  FrameWalker walker_;
  SyncReader sync_;
  SourceFiles sources_;
  ThreadingInfo threading_;
  uint64_t mainThreadIdent_ = 0;
  std::set<uint64_t> globalsDicts_;
};

}  // namespace pyhang::cpython::process_internal

// asyncio tasks that finished with an exception nobody retrieved: found again from asyncio's
// "Task exception was never retrieved" log record in the heap, whose repr is parsed here.
#include "cpython/asyncio_reader_internal.h"

#include <algorithm>
#include <set>
#include <string_view>

namespace pyhang::cpython::asyncio_internal {

// ---------------------------------------------------------------------------------------------
// A task that finished with an exception nobody retrieved is gone from memory, but asyncio logged
// "Task exception was never retrieved" with the task's repr, and the freed strings of that log
// record usually survive in the heap next to the program's objects. Read only when some lock is
// held by no pending task: windows around known objects, bounded in number and size.

void AioReader::findFinishedTasks() {
  std::set<uint64_t> chunks;
  auto addChunk = [&](uint64_t a) {
    if (a < (1u << 16)) return;
    uint64_t base = a & ~(kScanChunk - 1);
    chunks.insert(base);
  };
  for (const auto& t : out_.tasks) addChunk(t.address);
  for (const auto& [addr, o] : out_.objects) addChunk(addr);
  for (const auto& l : out_.loops) addChunk(l.address);
  for (const auto& t : out_.tasks) {
    for (const auto& f : t.frames) {
      for (const auto* vars : {&f.arguments, &f.locals}) {
        for (const auto& v : *vars) addChunk(v.address);
      }
    }
  }
  // Neighbouring windows too (arenas are allocated next to each other), nearest first.
  std::vector<uint64_t> order(chunks.begin(), chunks.end());
  for (uint64_t c : std::vector<uint64_t>(order)) {
    for (uint64_t n : {c - kScanChunk, c + kScanChunk}) {
      if (!chunks.count(n)) {
        chunks.insert(n);
        order.push_back(n);
      }
    }
  }
  if (order.size() > kMaxScanChunks) order.resize(kMaxScanChunks);
  static constexpr std::string_view kNeedle = "<Task finished name=";
  constexpr size_t kBlock = 64 * 1024, kPage = 4096, kMaxText = 2048;
  std::set<std::string> seen;
  std::vector<uint8_t> buf(kBlock);
  auto textAt = [&](uint64_t addr) {
    std::string s;
    auto bytes = mem_.readBytes(addr, kMaxText);
    if (!bytes) {
      // Near the end of a mapping: read what the page allows.
      size_t avail = kPage - (addr & (kPage - 1));
      bytes = mem_.readBytes(addr, std::min(avail, kMaxText));
      if (!bytes) return s;
    }
    for (uint8_t c : *bytes) {
      if (c == 0 || c == '\n') break;
      if (c < 0x20 || c >= 0x7f) break;
      s.push_back(static_cast<char>(c));
    }
    return s;
  };
  for (uint64_t chunk : order) {
    for (uint64_t block = chunk; block < chunk + kScanChunk; block += kBlock) {
      std::vector<std::pair<uint64_t, size_t>> pieces;
      if (mem_.read(block, buf.data(), kBlock)) {
        pieces.emplace_back(block, kBlock);
      } else {
        for (uint64_t p = block; p < block + kBlock; p += kPage) {
          if (mem_.read(p, buf.data() + (p - block), kPage)) pieces.emplace_back(p, kPage);
        }
      }
      for (const auto& [start, len] : pieces) {
        const char* base = reinterpret_cast<const char*>(buf.data() + (start - block));
        std::string_view hay(base, len);
        size_t pos = 0;
        while ((pos = hay.find(kNeedle, pos)) != std::string_view::npos) {
          std::string text = textAt(start + pos);
          pos += kNeedle.size();
          if (text.empty() || !seen.insert(text).second || seen.size() > 64) continue;
          Task t;
          if (!parseFinishedTaskRepr(text, t)) continue;
          bool dup = false;
          for (const auto& e : out_.tasks) {
            dup |= e.address == 0 && e.name == t.name && e.coroutine == t.coroutine && e.exception == t.exception;
          }
          if (dup) continue;
          t.evidence = "asyncio logged \"Task exception was never retrieved\" for it";
          t.acquireLines = sources_.linesInFunction(t.definedAt.file, t.definedAt.line, ".acquire(");
          if (!t.acquireLines.empty()) {
            Frame f;
            f.location = t.definedAt;
            f.location.line = t.acquireLines.front();
            f.qualname = f.location.function;
            f.sourceLine = sources_.line(f.location.file, f.location.line);
            t.frames.push_back(std::move(f));
          }
          out_.tasks.push_back(std::move(t));
        }
      }
    }
  }
}

}  // namespace pyhang::cpython::asyncio_internal

namespace pyhang::cpython {

bool parseFinishedTaskRepr(const std::string& text, Task& out) {
  static constexpr std::string_view kStart = "<Task finished name=";
  auto p = text.find(kStart);
  if (p == std::string::npos) return false;
  p += kStart.size();
  if (p >= text.size() || (text[p] != '\'' && text[p] != '"')) return false;
  char q = text[p++];
  std::string name;
  while (p < text.size() && text[p] != q) {
    if (text[p] == '\\' && p + 1 < text.size()) ++p;
    name.push_back(text[p++]);
  }
  if (p >= text.size()) return false;
  ++p;
  static constexpr std::string_view kCoro = " coro=<";
  if (text.compare(p, kCoro.size(), kCoro) != 0) return false;
  p += kCoro.size();
  auto paren = text.find("() ", p);
  if (paren == std::string::npos) return false;
  std::string coro = text.substr(p, paren - p);
  static constexpr std::string_view kDefined = "defined at ";
  auto def = text.find(kDefined, paren);
  auto close = text.find("> ", paren);
  if (close == std::string::npos) return false;
  if (def != std::string::npos && def < close) {
    std::string loc = text.substr(def + kDefined.size(), close - def - kDefined.size());
    auto colon = loc.rfind(':');
    if (colon != std::string::npos) {
      out.definedAt.file = loc.substr(0, colon);
      try {
        out.definedAt.line = std::stoi(loc.substr(colon + 1));
      } catch (...) {
        out.definedAt.line = 0;
      }
    } else {
      out.definedAt.file = loc;
    }
  }
  static constexpr std::string_view kExc = " exception=";
  auto e = text.find(kExc, close);
  if (e == std::string::npos || text.empty() || text.back() != '>') return false;
  out.name = name;
  out.coroutine = coro;
  out.definedAt.function = coro.substr(coro.rfind('.') == std::string::npos ? 0 : coro.rfind('.') + 1);
  out.exception = text.substr(e + kExc.size(), text.size() - 1 - e - kExc.size());
  out.state = "finished";
  out.address = 0;
  return !out.name.empty();
}

}  // namespace pyhang::cpython

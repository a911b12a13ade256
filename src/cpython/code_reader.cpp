#include "cpython/code_reader.h"

#include <algorithm>

namespace pyhang::cpython {

namespace {
constexpr int kCoVarargs = 0x04, kCoVarkeywords = 0x08;
}

std::optional<int> CodeReader::lineFor(const CodeInfo& code, uint32_t byteOffset) const {
  const LineTableFormat format = objects_.layout().traits.lineTable;
  // Only code objects of this reader's cache (their line tables never change) are remembered.
  const std::pair<uint64_t, uint32_t> key{code.address, byteOffset};
  auto own = cache_.find(code.address);
  const bool cached = own != cache_.end() && &own->second == &code;
  if (cached) {
    if (auto it = lines_.find(key); it != lines_.end()) return it->second;
  }
  std::optional<int> line = lineForOffset(format, code.lineTable, code.firstLineNo, byteOffset);
  if (cached && lines_.size() < (1u << 16)) lines_.emplace(key, line);
  return line;
}

Result<const CodeInfo*> CodeReader::read(uint64_t code) const {
  auto it = cache_.find(code);
  if (it != cache_.end()) return &it->second;
  const auto& mem = objects_.memory();
  const Layout& o = objects_.layout().offsets;
  const Limits& limits = objects_.limits();
  auto field = [&](int32_t off) { return code + static_cast<uint64_t>(off); };
  {
    auto tn = objects_.typeName(code);
    if (!tn || *tn != "code") return fail(ErrorKind::kImplausible, "not a code object", code);
  }
  CodeInfo c;
  c.address = code;
  PYHANG_TRY(filenameObj, mem.readPtr(field(o.co_filename)));
  PYHANG_TRY(nameObj, mem.readPtr(field(o.co_name)));
  c.filename = objects_.readStr(filenameObj, 4096).value_or("???");
  c.name = objects_.readStr(nameObj, 1024).value_or("???");
  c.qualname = c.name;
  if (o.co_qualname >= 0) {
    if (auto q = mem.readPtr(field(o.co_qualname)); q && *q) c.qualname = objects_.readStr(*q, 1024).value_or(c.name);
  }
  PYHANG_TRY(first, mem.readValue<int32_t>(field(o.co_firstlineno)));
  PYHANG_TRY(argc, mem.readValue<int32_t>(field(o.co_argcount)));
  PYHANG_TRY(kwonly, mem.readValue<int32_t>(field(o.co_kwonlyargcount)));
  PYHANG_TRY(flags, mem.readValue<int32_t>(field(o.co_flags)));
  PYHANG_TRY(stack, mem.readValue<int32_t>(field(o.co_stacksize)));
  c.firstLineNo = first;
  c.flags = flags;
  c.stackSize = std::clamp(stack, 0, static_cast<int>(limits.maxStackSlots));
  int64_t args = int64_t{std::max(0, argc)} + std::max(0, kwonly) + ((flags & kCoVarargs) ? 1 : 0) +
                 ((flags & kCoVarkeywords) ? 1 : 0);
  c.argCount = static_cast<int>(std::min<int64_t>(args, 1 << 20));

  // Line table (co_lnotab in 3.8/3.9, co_linetable after): a bytes object.
  if (auto table = mem.readPtr(field(o.co_linetable)); table && *table) {
    if (auto n = objects_.containerSize(*table)) {
      size_t len = std::min<size_t>(static_cast<size_t>(*n), limits.maxLineTableBytes);
      if (auto b = mem.readBytes(*table + 32, len)) c.lineTable = std::move(*b);
    }
  }
  auto namesOf = [&](uint64_t tuple, uint8_t kind) {
    if (!tuple) return;
    auto items = objects_.tupleItems(tuple, limits.maxLocals);
    if (!items) return;
    for (uint64_t it2 : *items) {
      c.slotNames.push_back(objects_.readStr(it2, 256).value_or("?"));
      c.slotKinds.push_back(kind);
    }
  };
  if (objects_.layout().traits.frames == FrameModel::kFrameObject) {
    PYHANG_TRY(nlocals, mem.readValue<int32_t>(field(o.co_nlocals)));
    PYHANG_TRY(varnames, mem.readPtr(field(o.co_varnames)));
    PYHANG_TRY(cellvars, mem.readPtr(field(o.co_cellvars)));
    PYHANG_TRY(freevars, mem.readPtr(field(o.co_freevars)));
    namesOf(varnames, kFastLocal);
    if (c.slotNames.size() > static_cast<size_t>(std::max(nlocals, 0))) c.slotNames.resize(static_cast<size_t>(std::max(nlocals, 0)));
    c.slotKinds.resize(c.slotNames.size());
    c.nlocals = static_cast<int>(c.slotNames.size());
    namesOf(cellvars, kFastCell);
    namesOf(freevars, kFastFree);
    PYHANG_TRY(codeBytes, mem.readPtr(field(o.co_code)));
    PYHANG_TRY(size, objects_.containerSize(codeBytes));
    c.bytecode = codeBytes + 32;
    c.bytecodeSize = static_cast<uint64_t>(size);
  } else {
    PYHANG_TRY(names, mem.readPtr(field(o.co_localsplusnames)));
    PYHANG_TRY(kinds, mem.readPtr(field(o.co_localspluskinds)));
    namesOf(names, 0);
    if (kinds) {
      if (auto n = objects_.containerSize(kinds)) {
        size_t len = std::min<size_t>(static_cast<size_t>(*n), c.slotNames.size());
        if (auto b = mem.readBytes(kinds + 32, len)) {
          for (size_t i = 0; i < len; ++i) c.slotKinds[i] = (*b)[i];
        }
      }
    }
    c.nlocals = static_cast<int>(c.slotNames.size());
    if (auto et = mem.readPtr(field(o.co_exceptiontable)); et && *et) {
      if (auto n = objects_.containerSize(*et)) {
        size_t len = std::min<size_t>(static_cast<size_t>(*n), limits.maxLineTableBytes);
        if (auto b = mem.readBytes(*et + 32, len)) c.exceptionTable = std::move(*b);
      }
    }
    if (o.co_firsttraceable >= 0) {
      if (auto ft = mem.readValue<int32_t>(field(o.co_firsttraceable))) c.firstTraceable = std::max(0, *ft);
    }
    c.bytecode = field(o.co_code_adaptive);
  }
  // Frames keep pointers into the cache, so it is never cleared: past the cap, no more code
  // objects are read (a real program has far fewer; only damaged memory gets here).
  if (cache_.size() >= 100000) return fail(ErrorKind::kImplausible, "too many distinct code objects", code);
  auto [pos, inserted] = cache_.emplace(code, std::move(c));
  return &pos->second;
}

}  // namespace pyhang::cpython

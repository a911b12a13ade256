// ObjectReader: types (tp_name, module, bases), containers (tuple, list, dict, set, deque),
// instance attributes (dicts, managed dicts, inline values, __slots__) and module lookups. The
// values of str, int and float are read in object_values.cpp, repr() in object_repr.cpp.
#include "cpython/object_reader.h"

#include <algorithm>
#include <cstring>

#include <fmt/format.h>

namespace pyhang::cpython {

namespace {

constexpr uint64_t kTpFlagsHeapType = 1ull << 9;
constexpr uint64_t kTpFlagsManagedDict = 1ull << 4;
constexpr uint64_t kTpFlagsInlineValues = 1ull << 2;
constexpr int kTypeName = 24, kTypeBasicSize = 32, kTypeFlags = 168, kTypeBase = 256, kTypeDict = 264,
              kTypeDictOffset = 288;

// A NUL-terminated string that may end right before unmapped memory which is not on a page
// boundary (ImageMemory's segments): readCString reads in chunks that would cross it, so on
// failure it is read again byte by byte (at most maxLen reads, only on that path).
Result<std::string> readCStringNearEnd(const RemoteMemory& mem, uint64_t addr, size_t maxLen) {
  auto r = mem.readCString(addr, maxLen);
  if (r) return r;
  std::string out;
  while (out.size() < maxLen) {
    char c;
    if (!mem.read(addr + out.size(), &c, 1)) {
      if (out.empty()) return r;
      break;
    }
    if (c == '\0') break;
    out.push_back(c);
  }
  return out;
}

}  // namespace

Result<const TypeInfo*> ObjectReader::typeAt(uint64_t typeAddr) const {
  if (typeAddr == 0 || (typeAddr & 7) != 0) return fail(ErrorKind::kImplausible, "bad type pointer", typeAddr);
  auto it = types_.find(typeAddr);
  if (it != types_.end()) return &it->second;
  if (types_.size() > 100000) return fail(ErrorKind::kImplausible, "too many types", typeAddr);
  uint8_t raw[296];
  if (auto r = mem_.read(typeAddr, raw, sizeof(raw)); !r) return fail(r.error());
  auto u64 = [&](int off) {
    uint64_t v;
    std::memcpy(&v, raw + off, 8);
    return v;
  };
  TypeInfo t;
  t.address = typeAddr;
  auto name = readCStringNearEnd(mem_, u64(kTypeName), 200);
  if (!name || name->empty()) return fail(ErrorKind::kImplausible, "bad tp_name", typeAddr);
  t.rawName = *name;
  t.name = *name;
  t.basicSize = static_cast<int64_t>(u64(kTypeBasicSize));
  t.flags = u64(kTypeFlags);
  t.base = u64(kTypeBase);
  t.dictOffset = static_cast<int64_t>(u64(kTypeDictOffset));
  auto dot = t.name.rfind('.');
  if (dot != std::string::npos) {
    t.module = t.name.substr(0, dot);
    t.name = t.name.substr(dot + 1);
  } else if (t.flags & kTpFlagsHeapType) {
    // Insert first so that reading __module__ (a str) cannot recurse into this type.
    types_[typeAddr] = t;
    if (uint64_t tpDict = u64(kTypeDict)) {
      if (auto mod = dictGet(tpDict, "__module__")) {
        if (auto s = readStr(*mod, 200)) t.module = *s;
      }
    }
  } else {
    t.module = "builtins";
  }
  types_[typeAddr] = t;
  return &types_[typeAddr];
}

Result<const TypeInfo*> ObjectReader::typeOf(uint64_t obj) const {
  if (obj == 0) return fail(ErrorKind::kImplausible, "NULL object");
  PYHANG_TRY(typeAddr, mem_.readPtr(obj + 8));
  return typeAt(typeAddr);
}

Result<std::string> ObjectReader::typeName(uint64_t obj) const {
  PYHANG_TRY(t, typeOf(obj));
  return t->name;
}

std::string ObjectReader::qualifiedTypeName(uint64_t obj) const {
  auto t = typeOf(obj);
  if (!t) return "?";
  if ((*t)->module.empty() || (*t)->module == "builtins") return (*t)->name;
  return (*t)->module + "." + (*t)->name;
}

bool ObjectReader::isInstance(uint64_t obj, std::string_view module, std::string_view name) const {
  auto t = typeOf(obj);
  if (!t) return false;
  const TypeInfo* ti = *t;
  for (int depth = 0; depth < 32 && ti; ++depth) {
    if (ti->name == name && (module.empty() || ti->module == module)) return true;
    if (ti->base == 0) break;
    auto b = typeAt(ti->base);
    if (!b) break;
    ti = *b;
  }
  return false;
}

Result<int64_t> ObjectReader::containerSize(uint64_t obj) const {
  PYHANG_TRY(n, mem_.readValue<int64_t>(obj + 16));
  if (n < 0 || n > (int64_t{1} << 40)) return fail(ErrorKind::kImplausible, "bad container size", obj);
  return n;
}

Result<std::vector<uint64_t>> ObjectReader::tupleItems(uint64_t obj, size_t cap) const {
  PYHANG_TRY(n, containerSize(obj));
  size_t count = std::min<size_t>(static_cast<size_t>(n), cap);
  std::vector<uint64_t> items(count);
  if (count) {
    if (auto r = mem_.read(obj + static_cast<uint64_t>(o_.tuple_items), items.data(), 8 * count); !r) return fail(r.error());
  }
  return items;
}

Result<std::vector<uint64_t>> ObjectReader::listItems(uint64_t obj, size_t cap) const {
  PYHANG_TRY(n, containerSize(obj));
  size_t count = std::min<size_t>(static_cast<size_t>(n), cap);
  std::vector<uint64_t> items(count);
  if (count) {
    PYHANG_TRY(arr, mem_.readPtr(obj + 24));
    if (auto r = mem_.read(arr, items.data(), 8 * count); !r) return fail(r.error());
  }
  return items;
}

Result<std::vector<std::pair<uint64_t, uint64_t>>> ObjectReader::keysEntries(uint64_t keys, uint64_t values,
                                                                               size_t cap) const {
  std::vector<std::pair<uint64_t, uint64_t>> out;
  uint64_t entries;
  int64_t nentries;
  size_t entrySize;
  int keyOff, valueOff;
  if (layout_.traits.dicts == DictModel::kOld) {
    PYHANG_TRY(size, mem_.readValue<int64_t>(keys + 8));
    PYHANG_TRY(ne, mem_.readValue<int64_t>(keys + 32));
    if (size <= 0 || size > (int64_t{1} << 32) || ne < 0 || ne > size) return fail(ErrorKind::kImplausible, "bad dict keys", keys);
    int width = size <= 0xff ? 1 : size <= 0xffff ? 2 : size <= 0xffffffffLL ? 4 : 8;
    entries = keys + 40 + static_cast<uint64_t>(size) * width;
    nentries = ne;
    entrySize = 24;
    keyOff = 8;
    valueOff = 16;
  } else {
    uint8_t hdr[3];
    if (auto r = mem_.read(keys + 8, hdr, 3); !r) return fail(r.error());
    PYHANG_TRY(ne, mem_.readValue<int64_t>(keys + 24));
    unsigned log2Size = hdr[0], log2IndexBytes = hdr[1], kind = hdr[2];
    if (log2Size > 32 || log2IndexBytes > 35 || kind > 2 || ne < 0 || ne > (int64_t{1} << log2Size)) {
      return fail(ErrorKind::kImplausible, "bad dict keys", keys);
    }
    entries = keys + 32 + (uint64_t{1} << log2IndexBytes);
    nentries = ne;
    if (kind == 0) {
      entrySize = 24;
      keyOff = 8;
      valueOff = 16;
    } else {
      entrySize = 16;
      keyOff = 0;
      valueOff = 8;
    }
  }
  size_t count = std::min<size_t>(static_cast<size_t>(nentries), std::max(cap, limits_.maxDictEntries));
  PYHANG_TRY(raw, mem_.readBytes(entries, count * entrySize));
  std::vector<uint64_t> vals;
  if (values) {
    vals.resize(count);
    if (count) {
      if (auto r = mem_.read(values, vals.data(), 8 * count); !r) return fail(r.error());
    }
  }
  for (size_t i = 0; i < count && out.size() < cap; ++i) {
    uint64_t k, v;
    std::memcpy(&k, &raw[i * entrySize + keyOff], 8);
    std::memcpy(&v, &raw[i * entrySize + valueOff], 8);
    if (values) v = vals[i];
    if (k == 0 || v == 0) continue;
    out.emplace_back(k, v);
  }
  return out;
}

Result<std::vector<std::pair<uint64_t, uint64_t>>> ObjectReader::dictItems(uint64_t dict, size_t cap) const {
  PYHANG_TRY(keys, mem_.readPtr(dict + 32));
  PYHANG_TRY(values, mem_.readPtr(dict + 40));
  if (keys == 0) return fail(ErrorKind::kImplausible, "dict without keys", dict);
  uint64_t valuesArray = values ? values + static_cast<uint64_t>(layout_.traits.dictValuesHeader) : 0;
  return keysEntries(keys, valuesArray, cap);
}

std::optional<uint64_t> ObjectReader::dictGet(uint64_t dict, std::string_view key) const {
  if (auto it = dictIndex_.find(dict); it != dictIndex_.end()) {
    auto hit = it->second.find(std::string(key));
    if (hit == it->second.end()) return std::nullopt;
    return hit->second;
  }
  auto items = dictItems(dict, limits_.maxDictEntries);
  if (!items) return std::nullopt;
  // The second lookup in one dict (sys.modules, a module's globals) indexes all its str keys.
  if (++dictLookups_[dict] >= 2 && dictIndex_.size() < 256) {
    auto& index = dictIndex_[dict];
    for (const auto& [k, v] : *items) {
      if (auto s = readStr(k, 256)) index.emplace(*s, v);
    }
    auto hit = index.find(std::string(key));
    if (hit == index.end()) return std::nullopt;
    return hit->second;
  }
  for (const auto& [k, v] : *items) {
    auto s = readStr(k, 256);
    if (s && *s == key) return v;
  }
  return std::nullopt;
}

Result<std::vector<uint64_t>> ObjectReader::setItems(uint64_t obj, size_t cap) const {
  PYHANG_TRY(mask, mem_.readValue<int64_t>(obj + 32));
  PYHANG_TRY(table, mem_.readPtr(obj + 40));
  if (mask < 0 || mask > (int64_t{1} << 30)) return fail(ErrorKind::kImplausible, "bad set mask", obj);
  size_t slots = std::min<size_t>(static_cast<size_t>(mask) + 1, limits_.maxDictEntries);
  PYHANG_TRY(raw, mem_.readBytes(table, slots * 16));
  std::vector<uint64_t> out;
  for (size_t i = 0; i < slots && out.size() < cap; ++i) {
    uint64_t k;
    std::memcpy(&k, &raw[i * 16], 8);
    if (k == 0) continue;
    auto tn = typeName(k);
    if (!tn || tn->find("dummy") != std::string::npos) continue;
    out.push_back(k);
  }
  return out;
}

Result<std::vector<uint64_t>> ObjectReader::dequeItems(uint64_t obj, size_t cap) const {
  PYHANG_TRY(len, containerSize(obj));
  PYHANG_TRY(block, mem_.readPtr(obj + 24));
  PYHANG_TRY(index, mem_.readValue<int64_t>(obj + 40));
  if (index < 0 || index >= 64) return fail(ErrorKind::kImplausible, "bad deque index", obj);
  std::vector<uint64_t> out;
  size_t want = std::min<size_t>(static_cast<size_t>(len), cap);
  int64_t i = index;
  while (out.size() < want && block) {
    PYHANG_TRY(item, mem_.readPtr(block + 8 + 8 * static_cast<uint64_t>(i)));
    out.push_back(item);
    if (++i == 64) {
      PYHANG_TRY(next, mem_.readPtr(block + 520));
      block = next;
      i = 0;
    }
  }
  return out;
}

std::optional<uint64_t> ObjectReader::instanceDict(uint64_t obj, const TypeInfo& type) const {
  if (layout_.traits.managedDicts != ManagedDictModel::kNone && (type.flags & kTpFlagsManagedDict)) {
    auto word = mem_.readPtr(obj - 24);
    if (!word) return std::nullopt;
    if (layout_.traits.managedDicts == ManagedDictModel::k312 && (*word & 1)) return std::nullopt;
    if (*word) return *word;
    return std::nullopt;
  }
  if (type.dictOffset > 0 && type.dictOffset < (1 << 20)) {
    auto d = mem_.readPtr(obj + static_cast<uint64_t>(type.dictOffset));
    if (d && *d) return *d;
  }
  return std::nullopt;
}

std::vector<std::pair<std::string, uint64_t>> ObjectReader::attrs(uint64_t obj, size_t cap) const {
  std::vector<std::pair<std::string, uint64_t>> out;
  auto t = typeOf(obj);
  if (!t) return out;
  const TypeInfo type = **t;
  std::vector<std::pair<uint64_t, uint64_t>> items;
  if (auto dict = instanceDict(obj, type)) {
    auto r = dictItems(*dict, cap);
    if (r) items = std::move(*r);
  } else if (layout_.traits.managedDicts != ManagedDictModel::kNone && (type.flags & kTpFlagsManagedDict)) {
    // Values without a materialised dict: keys are the type's cached keys.
    uint64_t values = 0;
    switch (layout_.traits.managedDicts) {
      case ManagedDictModel::k311: {
        auto v = mem_.readPtr(obj - 32);
        if (v) values = *v;
        break;
      }
      case ManagedDictModel::k312: {
        auto w = mem_.readPtr(obj - 24);
        if (w && (*w & 1)) values = *w + 1;
        break;
      }
      case ManagedDictModel::k313: {
        if (type.flags & kTpFlagsInlineValues) {
          uint64_t inlineValues = obj + static_cast<uint64_t>(type.basicSize);
          auto valid = mem_.readValue<uint8_t>(inlineValues + 3);
          if (valid && *valid) values = inlineValues + 8;
        }
        break;
      }
      default: break;
    }
    if (values) {
      auto keys = mem_.readPtr(type.address + static_cast<uint64_t>(o_.ht_cached_keys));
      if (keys && *keys) {
        auto r = keysEntries(*keys, values, cap);
        if (r) items = std::move(*r);
      }
    }
  }
  for (const auto& [k, v] : items) {
    auto s = readStr(k, 256);
    if (s) out.emplace_back(*s, v);
  }
  return out;
}

std::optional<uint64_t> ObjectReader::attr(uint64_t obj, std::string_view name) const {
  for (const auto& [k, v] : attrs(obj, 4096)) {
    if (k == name) return v;
  }
  // A __slots__ member (asyncio's Handle, multiprocessing's Token).
  auto t = typeOf(obj);
  if (!t) return std::nullopt;
  int64_t off = slotOffset(**t, name);
  if (!off) return std::nullopt;
  auto v = mem_.readPtr(obj + static_cast<uint64_t>(off));
  if (!v || !*v) return std::nullopt;
  return *v;
}

// __slots__: the class (or a base) maps the name to a member_descriptor whose PyMemberDef gives
// the offset in the instance. Looked up once per type and name (every Handle of a loop shares
// its class); 0 when `name` is not a slot.
int64_t ObjectReader::slotOffset(const TypeInfo& type, std::string_view name) const {
  auto key = std::make_pair(type.address, std::string(name));
  if (auto it = slotOffsets_.find(key); it != slotOffsets_.end()) return it->second;
  constexpr uint64_t kTypeDict = 264, kDescrMember = 40, kMemberOffset = 16;
  int64_t found = 0;
  const TypeInfo* ti = &type;
  for (int depth = 0; depth < 8 && ti && ti->module != "builtins"; ++depth) {
    uint64_t dict = mem_.readPtr(ti->address + kTypeDict).value_or(0);
    if (dict) {
      if (auto d = dictGet(dict, name)) {
        auto dt = typeOf(*d);
        if (!dt || (*dt)->name != "member_descriptor") break;
        auto def = mem_.readPtr(*d + kDescrMember);
        if (!def || !*def) break;
        auto off = mem_.readValue<int64_t>(*def + kMemberOffset);
        if (!off || *off < 16 || *off > ti->basicSize || *off > (1 << 16)) break;
        found = *off;
        break;
      }
    }
    if (!ti->base) break;
    auto b = typeAt(ti->base);
    if (!b) break;
    ti = *b;
  }
  if (slotOffsets_.size() < 4096) slotOffsets_.emplace(std::move(key), found);
  return found;
}

Result<std::string> ObjectReader::functionName(uint64_t func) const {
  PYHANG_TRY(q, mem_.readPtr(func + static_cast<uint64_t>(o_.func_qualname)));
  return readStr(q, 256);
}

SourceLocation ObjectReader::functionLocation(uint64_t func) const {
  SourceLocation where;
  where.function = functionName(func).value_or("");
  if (o_.func_code < 0) return where;
  auto code = mem_.readPtr(func + static_cast<uint64_t>(o_.func_code));
  if (!code || !*code) return where;
  if (auto fn = mem_.readPtr(*code + static_cast<uint64_t>(o_.co_filename)); fn && *fn) {
    where.file = readStr(*fn, 1024).value_or("");
  }
  if (auto line = mem_.readValue<int32_t>(*code + static_cast<uint64_t>(o_.co_firstlineno))) {
    where.line = *line > 0 ? *line : 0;
  }
  return where;
}

std::optional<uint64_t> ObjectReader::moduleDict(std::string_view module) const {
  if (!modules_) return std::nullopt;
  auto m = dictGet(modules_, module);
  if (!m) return std::nullopt;
  auto d = mem_.readPtr(*m + 16);
  if (!d || !*d) return std::nullopt;
  return *d;
}

std::optional<uint64_t> ObjectReader::moduleGlobal(std::string_view module, std::string_view name) const {
  auto d = moduleDict(module);
  if (!d) return std::nullopt;
  return dictGet(*d, name);
}

}  // namespace pyhang::cpython

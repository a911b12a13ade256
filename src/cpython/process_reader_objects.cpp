// The process reader's objects: the synchronisation objects frames wait for or hold, described
// into the snapshot, and the program's names for them (module globals, locals, attributes).
#include "cpython/process_reader_internal.h"

#include <algorithm>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

namespace pyhang::cpython::process_internal {

void Reader::addObject(uint64_t addr) {
  if (addr == 0 || out_.objects.count(addr)) return;
  if (out_.objects.size() > 10000) return;
  SyncObject s = sync_.describe(addr);
  if (auto it = threading_.tstateLocks.find(addr); it != threading_.tstateLocks.end()) {
    s.threadIdent = it->second;  // held by its thread until the thread exits
    auto name = threading_.threadsByIdent.find(it->second);
    if (name != threading_.threadsByIdent.end()) {
      if (auto n = objects_.attr(name->second, "_name")) s.threadName = objects_.readStr(*n, 256).value_or("");
    }
  }
  if (s.kind == ObjectKind::kSemLock) {
    // SemLockObject.name (@48, 3.8+): the POSIX name every process opens the semaphore by
    // ("/mp-xxxxxxxx"), NULL when it was unlinked at once (fork). It identifies the semaphore in
    // cores, where the mapping of a spawn parent (glibc's temporary name) and of its children
    // (the final name) differ and no inode is recorded.
    std::string name;
    if (auto namePtr = mem_.readPtr(addr + 48); namePtr && *namePtr) {
      name = mem_.readCString(*namePtr, 64).value_or("");
      bool plausible = name.size() > 1 && name[0] == '/' &&
                       std::all_of(name.begin(), name.end(), [](char c) { return c > ' ' && c < 127; });
      if (!plausible) name.clear();
    }
    if (!name.empty()) {
      s.sharedKey = "name " + name;
    } else if (opts_.sharedKeyOf) {
      if (auto handle = mem_.readPtr(addr + 16); handle && *handle) s.sharedKey = opts_.sharedKeyOf(*handle);
    }
  }
  uint64_t under = s.underlyingLock;
  out_.objects[addr] = std::move(s);
  if (under) addObject(under);
}

namespace {

// Builtin values that most locals are: never a lock, a thread, or an object whose attributes are
// locks (a dict or tuple's items are not attributes). Skipped before reading their type.
bool isPlainValueType(const std::string& type) {
  // Compared in turn (most differ in length at once): hashing the name for a set cost more.
  static constexpr std::string_view kPlain[] = {"int", "str", "bool", "NoneType", "float", "tuple",
                                                "list", "dict", "bytes", "set", "function", "method",
                                                "builtin_function_or_method", "module", "type", "cell"};
  for (std::string_view p : kPlain) {
    if (type == p) return true;
  }
  return false;
}

}  // namespace

void Reader::nameObjects() {
  std::set<uint64_t> liveIdents;
  for (const auto& t : out_.threads) liveIdents.insert(t.ident);
  std::set<uint64_t> checkedThreads;
  std::set<uint64_t> checkedProcesses;
  auto noteProcess = [&](uint64_t v) {
    if (checkedProcesses.size() > 1024 || !checkedProcesses.insert(v).second) return;
    if (!objects_.isInstance(v, "multiprocessing.process", "BaseProcess")) return;
    // A forked child has a copy of its parent's Process objects (a Pool worker sees its sibling
    // workers): only those this process created (_parent_pid) are its children.
    if (auto parent = objects_.attr(v, "_parent_pid"); parent && *parent && out_.pid > 0) {
      if (auto ppid = objects_.readSmallInt(*parent); ppid && *ppid != out_.pid) return;
    }
    Process::Child c;
    if (auto n = objects_.attr(v, "_name")) c.name = objects_.readStr(*n, 256).value_or("");
    if (auto popen = objects_.attr(v, "_popen"); popen && *popen) {
      if (auto pid = objects_.attr(*popen, "pid")) c.pid = objects_.readSmallInt(*pid).value_or(0);
      if (auto rc = objects_.attr(*popen, "returncode"); rc && objects_.typeName(*rc).value_or("") == "int") {
        if (auto v2 = objects_.readSmallInt(*rc)) c.returncode = static_cast<int>(*v2);
      }
    }
    if (c.pid) out_.children.push_back(c);
  };
  // A multiprocessing Pool's workers (Pool._pool, a list) and a ProcessPoolExecutor's
  // (_processes, pid -> Process): children the program knows even when only its own core is read.
  auto notePool = [&](uint64_t v) {
    if (objects_.isInstance(v, "multiprocessing.pool", "Pool")) {
      if (auto workers = objects_.attr(v, "_pool"); workers && *workers) {
        for (uint64_t w : objects_.listItems(*workers, 256).value_or(std::vector<uint64_t>{})) noteProcess(w);
      }
    } else if (objects_.isInstance(v, "concurrent.futures.process", "ProcessPoolExecutor")) {
      if (auto procs = objects_.attr(v, "_processes"); procs && *procs && objects_.typeName(*procs).value_or("") == "dict") {
        for (const auto& [k, w] : objects_.dictItems(*procs, 256).value_or(std::vector<std::pair<uint64_t, uint64_t>>{})) {
          noteProcess(w);
        }
      }
    }
  };
  auto noteThread = [&](uint64_t v) {
    noteProcess(v);
    notePool(v);
    if (checkedThreads.size() > 4096 || !checkedThreads.insert(v).second) return;
    if (!objects_.isInstance(v, "threading", "Thread")) return;
    auto identObj = objects_.attr(v, "_ident");
    if (!identObj) return;
    auto ident = objects_.readSmallInt(*identObj);
    if (!ident || *ident == 0) return;
    // A live thread with this ident is this Thread only when threading lists it under the ident:
    // glibc reuses an exited thread's stack, and with it its ident, for the next thread started.
    if (liveIdents.count(static_cast<uint64_t>(*ident))) {
      auto active = threading_.threadsByIdent.find(static_cast<uint64_t>(*ident));
      if (active == threading_.threadsByIdent.end() || active->second == v) return;
    }
    std::string name;
    if (auto n = objects_.attr(v, "_name")) name = objects_.readStr(*n, 256).value_or("");
    out_.exitedThreads[static_cast<uint64_t>(*ident)] = name;
  };
  // Every process this one started and has not reaped: multiprocessing.process._children, the
  // set BaseProcess.start() adds to (Pool and ProcessPoolExecutor workers included, wherever the
  // program keeps them). In a core it is the only record of them.
  if (auto kids = objects_.moduleGlobal("multiprocessing.process", "_children"); kids && *kids) {
    for (uint64_t c : objects_.setItems(*kids, 256).value_or(std::vector<uint64_t>{})) noteProcess(c);
  }
  // multiprocessing wrappers around a SemLock seen in the program: name them too ("lock").
  {
    std::vector<uint64_t> candidates;
    std::set<uint64_t> dicts0 = globalsDicts_;
    if (auto mainDict = objects_.moduleDict("__main__")) dicts0.insert(*mainDict);
    for (uint64_t d : dicts0) {
      if (auto items = objects_.dictItems(d, 4096)) {
        for (const auto& [k, v] : *items) candidates.push_back(v);
      }
    }
    for (const auto& t : out_.threads) {
      for (const auto& f : t.frames) {
        for (const auto* vars : {&f.arguments, &f.locals}) {
          for (const auto& v : *vars) {
            if (!isPlainValueType(v.type)) candidates.push_back(v.address);
          }
        }
      }
    }
    std::unordered_set<uint64_t> seen;
    for (uint64_t v : candidates) {
      if (!seen.insert(v).second || out_.objects.count(v)) continue;
      auto t = objects_.typeOf(v);
      if (!t || (*t)->module == "builtins") continue;
      // Every multiprocessing lock the program holds a name for: the same semaphore may be the
      // one another process waits for or holds (bounded: a program has few of them).
      if (out_.objects.size() < 2000) {
        ObjectKind k = sync_.classify(v);
        if (k == ObjectKind::kMpLock || k == ObjectKind::kManagerLock) addObject(v);
      }
    }
  }
  std::unordered_map<uint64_t, std::vector<std::string>> globalNames, globalAttrNames, localNames, attrNames;
  auto note = [&](std::unordered_map<uint64_t, std::vector<std::string>>& into, uint64_t addr, const std::string& name) {
    auto& v = into[addr];
    if (std::find(v.begin(), v.end(), name) == v.end() && v.size() < 8) v.push_back(name);
  };
  // Buffered streams whose C lock is held now: a thread blocked taking it (print() while another
  // thread writes; in a forked child, a write while the parent's writer held it) waits for its
  // owner. Looked for under sys.stdout, sys.stderr and sys.stdin, and in the program's variables
  // (an open() file: its TextIOWrapper's buffer, or a binary buffer itself). The program's name
  // for the TextIOWrapper names the buffer.
  std::unordered_map<uint64_t, uint64_t> heldBufferOf;  // a stream -> its buffer, whose lock is held
  auto noteStream = [&](uint64_t v) -> uint64_t {
    if (auto it = heldBufferOf.find(v); it != heldBufferOf.end()) return it->second;
    if (heldBufferOf.size() > 256) return 0;
    uint64_t buffer = 0;
    if (auto t = objects_.typeOf(v); t && (*t)->rawName == "_io.TextIOWrapper") {
      // textio: ok@16, detached@20, chunk_size@24, buffer@32 (3.6 to 3.15).
      buffer = mem_.readPtr(v + 32).value_or(0);
    } else {
      buffer = v;
    }
    uint64_t held = 0;
    if (buffer && sync_.classify(buffer) == ObjectKind::kIoBuffer) {
      if (!out_.objects.count(buffer) && out_.objects.size() < 2000) {
        SyncObject o = sync_.describe(buffer);
        if (o.ownerIdent && *o.ownerIdent) out_.objects[buffer] = std::move(o);
      }
      if (out_.objects.count(buffer)) held = buffer;
    }
    heldBufferOf[v] = held;
    return held;
  };
  for (const char* stream : {"stdout", "stderr", "stdin"}) {
    auto v = objects_.moduleGlobal("sys", stream);
    if (!v || !*v) continue;
    if (uint64_t b = noteStream(*v)) note(globalNames, b, std::string("sys.") + stream);
  }
  auto streamLike = [&](uint64_t v) {
    auto t = objects_.typeOf(v);
    if (!t) return false;
    const std::string& n = (*t)->rawName;
    return n == "_io.TextIOWrapper" || n == "_io.BufferedWriter" || n == "_io.BufferedReader" ||
           n == "_io.BufferedRandom";
  };
  auto syncOf = [&](uint64_t a) -> uint64_t {
    if (out_.objects.count(a)) return a;
    return streamLike(a) ? noteStream(a) : 0;
  };
  // A ctypes function pointer made from a Python function: C code (a library's own thread) may
  // call it at any time. CFuncPtrObject keeps the callable at +104 on 3.6 to 3.15 (checked on each).
  std::set<uint64_t> checkedCallbacks;
  auto noteCallback = [&](const std::string& name, uint64_t v) {
    if (out_.foreignCallbacks.size() >= 64 || checkedCallbacks.size() > 4096 || !checkedCallbacks.insert(v).second) return;
    if (!objects_.isInstance(v, "_ctypes", "CFuncPtr") && !objects_.isInstance(v, "_ctypes", "PyCFuncPtr")) return;
    uint64_t callable = mem_.readPtr(v + 104).value_or(0);
    if (callable && objects_.typeName(callable).value_or("") == "method") callable = mem_.readPtr(callable + 16).value_or(0);
    if (!callable || objects_.typeName(callable).value_or("") != "function") return;
    SourceLocation where = objects_.functionLocation(callable);
    if (where.function.empty()) return;
    out_.foreignCallbacks.push_back(Process::ForeignCallback{name, std::move(where)});
  };
  // An object's attributes that are worth following: synchronisation objects the snapshot knows
  // and instances of the program's (or a library's) classes. Read once per object, for a bounded
  // number of objects.
  std::unordered_map<uint64_t, std::vector<std::pair<std::string, uint64_t>>> followable;
  auto userInstance = [&](uint64_t obj) {
    auto t = objects_.typeOf(obj);
    return t && (*t)->module != "builtins" && !(*t)->module.empty();
  };
  // Not through the standard library's own objects: "jobs.not_empty._lock" is jobs.mutex.
  auto throughable = [&](uint64_t obj) { return userInstance(obj) && !libraryInternalsModule((*objects_.typeOf(obj))->module); };
  auto followableAttrs = [&](uint64_t obj) -> const std::vector<std::pair<std::string, uint64_t>>& {
    static const std::vector<std::pair<std::string, uint64_t>> kNone;
    if (auto it = followable.find(obj); it != followable.end()) return it->second;
    if (followable.size() >= 4096 || !userInstance(obj)) return kNone;
    auto& list = followable[obj];
    for (auto& [name, value] : objects_.attrs(obj, 64)) {
      if (value && value != obj) list.emplace_back(std::move(name), value);
    }
    return list;
  };
  // Names through attributes, up to three deep: "self.lock", "self.store.lock",
  // "app.service.store.lock" (a module global).
  auto attributePaths = [&](std::unordered_map<uint64_t, std::vector<std::string>>& into, const std::string& base,
                            uint64_t obj) {
    struct Step {
      std::string path;
      uint64_t obj;
      int depth;
    };
    std::vector<Step> todo{{base, obj, 1}};
    for (size_t i = 0; i < todo.size() && i < 512; ++i) {
      Step step = todo[i];
      for (const auto& [name, value] : followableAttrs(step.obj)) {
        std::string path = step.path + "." + name;
        if (uint64_t o = syncOf(value)) {
          note(into, o, path);
        } else if (step.depth < 3 && throughable(value)) {
          todo.push_back(Step{std::move(path), value, step.depth + 1});
          continue;
        }
        if (&into == &globalAttrNames && step.depth == 1) noteCallback(step.path + "." + name, value);
      }
    }
  };
  // Module globals of __main__ and of every module a frame runs in.
  std::set<uint64_t> dicts = globalsDicts_;
  if (auto mainDict = objects_.moduleDict("__main__")) dicts.insert(*mainDict);
  for (uint64_t d : dicts) {
    auto items = objects_.dictItems(d, 4096);
    if (!items) continue;
    for (const auto& [k, v] : *items) {
      auto key = objects_.readStr(k, 128);
      if (!key || key->rfind("__", 0) == 0) continue;
      if (uint64_t o = syncOf(v)) note(globalNames, o, *key);
      noteCallback(*key, v);
      attributePaths(globalAttrNames, *key, v);
      noteThread(v);
    }
  }
  for (auto& t : out_.threads) {
    for (auto& f : t.frames) {
      std::unordered_map<uint64_t, std::vector<std::string>> own;
      for (const auto* vars : {&f.arguments, &f.locals}) {
        for (const auto& v : *vars) {
          if (isPlainValueType(v.type)) continue;  // not a lock, thread or object with lock attributes
          if (uint64_t o = syncOf(v.address); o && v.name != "self") {
            note(localNames, o, v.name);
            note(own, o, v.name);
          }
          attributePaths(attrNames, v.name, v.address);
          attributePaths(own, v.name, v.address);
          noteThread(v.address);
        }
      }
      for (const auto& [addr, names] : own) {
        for (const auto& n : names) f.objectNames.emplace_back(addr, n);
      }
      // functools.cached_property.__get__ (3.8 to 3.11) runs the getter under `self.lock`, one
      // RLock per property for all instances: named after the property ("Connection.settings.lock",
      // which is how the program reaches it: the class attribute is the cached_property).
      if (f.location.function == "__get__" && f.location.file.ends_with("functools.py")) {
        for (const auto& v : f.arguments) {
          if (v.name != "self" || !objects_.isInstance(v.address, "functools", "cached_property")) continue;
          auto lock = objects_.attr(v.address, "lock");
          auto func = objects_.attr(v.address, "func");
          if (!lock || !func || !*func) continue;
          auto it = out_.objects.find(*lock);
          if (it == out_.objects.end()) continue;
          SourceLocation where = objects_.functionLocation(*func);
          if (where.function.empty()) continue;
          note(globalAttrNames, *lock, where.function + ".lock");
          it->second.cachedProperty = where.function;
        }
      }
    }
  }
  // A lock guarding a Condition/Queue is also known by its owner's name: "jobs.mutex".
  for (auto& [addr, obj] : out_.objects) {
    std::vector<std::string> names;
    size_t globalCount = 0;
    for (auto* src : {&globalNames, &globalAttrNames, &localNames, &attrNames}) {
      auto it = src->find(addr);
      if (it != src->end()) {
        for (const auto& n : it->second) {
          if (std::find(names.begin(), names.end(), n) == names.end()) names.push_back(n);
        }
      }
      if (src == &globalAttrNames) globalCount = names.size();
    }
    // Shorter paths first ("self.lock" before "r.manager.lock"); among the other names of a
    // length, the caller's ("auth_tokens._lock", a local of an outer frame) tells more than the
    // method's own "self._lock": those first.
    auto dots = [](const std::string& n) { return std::count(n.begin(), n.end(), '.'); };
    const size_t firstAttr = globalNames.count(addr) ? std::min(globalNames[addr].size(), globalCount) : 0;
    std::stable_sort(names.begin() + static_cast<std::ptrdiff_t>(firstAttr),
                     names.begin() + static_cast<std::ptrdiff_t>(globalCount),
                     [&](const std::string& a, const std::string& b) { return dots(a) < dots(b); });
    std::stable_sort(names.begin() + static_cast<std::ptrdiff_t>(globalCount), names.end(),
                     [&](const std::string& a, const std::string& b) {
                       bool sa = a.rfind("self.", 0) == 0, sb = b.rfind("self.", 0) == 0;
                       return std::make_pair(dots(a), sa) < std::make_pair(dots(b), sb);
                     });
    obj.names = std::move(names);
    obj.globalNameCount = globalCount;
  }
  // A Condition's (Event's, Queue's ...) lock that has no module-level name of its own is also
  // known through its owner: "inventory.changed._lock".
  for (auto& [addr, obj] : out_.objects) {
    if (!obj.underlyingLock || obj.kind == ObjectKind::kMpLock) continue;
    auto it = out_.objects.find(obj.underlyingLock);
    if (it == out_.objects.end() || it->second.globalNameCount > 0) continue;
    const char* path = obj.kind == ObjectKind::kCondition ? "._lock"
                       : obj.kind == ObjectKind::kQueue   ? ".mutex"
                       : obj.kind == ObjectKind::kFuture  ? "._condition._lock"
                                                          : "._cond._lock";
    for (const auto& n : obj.names) {
      std::string derived = n + path;
      auto& names = it->second.names;
      if (names.size() < 12 && std::find(names.begin(), names.end(), derived) == names.end()) names.push_back(derived);
    }
  }
}

}  // namespace pyhang::cpython::process_internal

#include "report/object_state.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <set>

#include "report/terminal_text.h"

namespace pyhang {

namespace {

// Every count shown comes from the target: one that is not a plausible small number is unread.
constexpr int64_t kLargestCount = int64_t{1} << 40;

std::optional<int64_t> intAttr(const SyncObject& s, const char* name) {
  auto it = s.attrs.find(name);
  if (it == s.attrs.end() || it->second.empty() || it->second.size() > 20) return std::nullopt;
  const char* begin = it->second.c_str();
  char* end = nullptr;
  errno = 0;
  long long v = std::strtoll(begin, &end, 10);
  if (errno || end == begin || *end != '\0' || v < -kLargestCount || v > kLargestCount) return std::nullopt;
  return static_cast<int64_t>(v);
}

std::optional<bool> boolAttr(const SyncObject& s, const char* name) {
  auto it = s.attrs.find(name);
  if (it == s.attrs.end()) return std::nullopt;
  if (it->second == "True") return true;
  if (it->second == "False") return false;
  return std::nullopt;
}

std::string plural(int64_t n, const char* one, const char* many) { return fmt::format("{} {}", n, n == 1 ? one : many); }

void ownerOf(const Process& p, uint64_t ident, ObjectQuantities& q) {
  q.owner = ident;
  for (const auto& t : p.threads) {
    if (t.ident == ident) {
      q.ownerName = t.name;
      q.ownerAlive = true;
      return;
    }
  }
  if (auto it = p.exitedThreads.find(ident); it != p.exitedThreads.end()) q.ownerName = it->second;
  else if (auto known = p.knownThreadNames.find(ident); known != p.knownThreadNames.end()) q.ownerName = known->second;
  // The thread list is the interpreter's: an ident that is not in it has no live Python thread.
  if (!p.threads.empty()) q.ownerAlive = false;
  q.ownerInForkedChild = p.forkOf != 0;
}

void semLockQuantities(const Process& p, const SyncObject& s, ObjectQuantities& q) {
  q.shared = true;
  // multiprocessing.Lock is a semaphore of max value 1: a lock to the user.
  auto maxValue = intAttr(s, "maxvalue");
  bool mutex = s.recursive || (s.attrs.count("semkind") && s.attrs.at("semkind") == "recursive-mutex") ||
               (maxValue && *maxValue == 1);
  if (s.semValue && *s.semValue >= 0 && *s.semValue <= kLargestCount) {
    if (mutex) q.locked = *s.semValue <= 0;
    else q.permitsFree = *s.semValue;
  } else if (s.locked) {
    q.locked = s.locked;
  }
  if (!mutex && maxValue && *maxValue < (int64_t{1} << 31) - 1) q.permitsTotal = maxValue;
  if (s.count && *s.count > 0 && *s.count <= static_cast<uint64_t>(kLargestCount)) {
    q.count = static_cast<int64_t>(*s.count);
    if (s.ownerIdent && *s.ownerIdent) ownerOf(p, *s.ownerIdent, q);
  }
}

}  // namespace

std::string objectShortName(const SyncObject& s) {
  // importlib's _ModuleLock is found as a local of importlib's own code ("lock"): the module says more.
  if (s.kind == ObjectKind::kImportLock && !s.threadName.empty()) return "the import lock of " + s.threadName;
  if (!s.names.empty()) return s.names.front();
  std::string t = s.type.substr(s.type.rfind('.') == std::string::npos ? 0 : s.type.rfind('.') + 1);
  return t.empty() ? "the object" : "the " + t;
}

std::optional<ObjectQuantities> quantitiesOf(const Process& p, const SyncObject& s) {
  ObjectQuantities q;
  switch (s.kind) {
    case ObjectKind::kLock:
    case ObjectKind::kAsyncLock:
      if (!s.locked) return std::nullopt;
      q.locked = s.locked;
      if (s.waiters && *s.waiters > 0) {
        q.waiters = *s.waiters;
        // A PyMutex keeps one bit for "has waiters", not a count.
        q.waitersAtLeast = s.waitersIsABit;
      }
      break;
    case ObjectKind::kRLock:
      if (!s.locked) return std::nullopt;
      q.locked = s.locked;
      if (*s.locked) {
        if (s.count && *s.count > 0 && *s.count <= static_cast<uint64_t>(kLargestCount)) q.count = static_cast<int64_t>(*s.count);
        if (s.ownerIdent && *s.ownerIdent) ownerOf(p, *s.ownerIdent, q);
      }
      break;
    case ObjectKind::kSemaphore:
      q.permitsFree = intAttr(s, "_value");
      q.permitsTotal = intAttr(s, "_initial_value");
      q.waiters = intAttr(s, "waiters");
      break;
    case ObjectKind::kAsyncSemaphore:
      q.permitsFree = intAttr(s, "_value");
      q.permitsTotal = intAttr(s, "_bound_value");
      if (s.waiters) q.waiters = *s.waiters;
      break;
    case ObjectKind::kCondition:
      q.waiters = intAttr(s, "waiters");
      break;
    case ObjectKind::kAsyncCondition:
      if (s.waiters) q.waiters = *s.waiters;
      break;
    case ObjectKind::kEvent:
      q.isSet = boolAttr(s, "_flag");
      q.waiters = intAttr(s, "waiters");
      break;
    case ObjectKind::kAsyncEvent:
      q.isSet = boolAttr(s, "_value");
      if (s.waiters) q.waiters = *s.waiters;
      break;
    case ObjectKind::kBarrier: {
      q.parties = intAttr(s, "_parties");
      auto state = intAttr(s, "_state");  // 0 filling, 1 draining, -1 resetting, -2 broken
      if (state) q.broken = *state == -2;
      if (state && *state == 0) q.waiting = intAttr(s, "_count");
      break;
    }
    case ObjectKind::kAsyncBarrier: {
      q.parties = intAttr(s, "_parties");
      q.waiting = intAttr(s, "_count");
      break;
    }
    case ObjectKind::kQueue:
      q.items = intAttr(s, "qsize");
      q.maxsize = intAttr(s, "maxsize");
      q.unfinished = intAttr(s, "unfinished_tasks");
      q.getters = intAttr(s, "getters");
      q.putters = intAttr(s, "putters");
      q.joiners = intAttr(s, "joiners");
      break;
    case ObjectKind::kAsyncQueue:
      q.items = intAttr(s, "qsize");
      q.maxsize = intAttr(s, "_maxsize");
      q.unfinished = intAttr(s, "_unfinished_tasks");
      if (s.waiters) q.getters = *s.waiters;
      q.putters = intAttr(s, "putters");
      break;
    case ObjectKind::kSemLock:
      semLockQuantities(p, s, q);
      break;
    case ObjectKind::kMpLock: {
      auto it = p.objects.find(s.underlyingLock);
      if (!s.underlyingLock || it == p.objects.end() || it->second.kind != ObjectKind::kSemLock) return std::nullopt;
      semLockQuantities(p, it->second, q);
      break;
    }
    case ObjectKind::kImportLock:
    case ObjectKind::kIoBuffer:
      if (!s.locked) return std::nullopt;
      q.locked = s.locked;
      if (*s.locked && s.ownerIdent && *s.ownerIdent) ownerOf(p, *s.ownerIdent, q);
      break;
    default:
      return std::nullopt;
  }
  if (q.waiters && (*q.waiters < 0 || *q.waiters > kLargestCount)) q.waiters.reset();
  bool any = q.locked || q.permitsFree || q.waiters || q.isSet || q.parties || q.waiting || q.broken || q.items ||
             q.maxsize || q.unfinished || q.count;
  if (!any) return std::nullopt;
  return q;
}

std::string quantitiesText(const ObjectQuantities& q, ObjectKind kind) {
  std::vector<std::string> parts;
  const bool async = kind >= ObjectKind::kAsyncLock && kind <= ObjectKind::kAsyncFuture;
  const char* who = async ? "task" : "thread";
  const char* whos = async ? "tasks" : "threads";
  auto ownerPhrase = [&]() {
    // The name is the target's: shortened like every thread name of the text report.
    std::string s = q.ownerName.empty() ? fmt::format("thread 0x{:x}", *q.owner)
                                        : fmt::format("thread \"{}\"", shortenForTerminal(q.ownerName, 120));
    if (q.ownerAlive && !*q.ownerAlive) s += q.ownerInForkedChild ? " (not a thread of this forked process)" : " (exited)";
    return s;
  };
  if (q.permitsFree) {
    int64_t free = std::max<int64_t>(0, *q.permitsFree);
    parts.push_back(q.permitsTotal ? fmt::format("{} of {} permits free", free, *q.permitsTotal)
                                   : plural(free, "permit free", "permits free"));
  } else if (q.locked) {
    if (!*q.locked) {
      parts.push_back(kind == ObjectKind::kRLock ? "not held" : "unlocked");
    } else if (q.count && q.owner) {
      parts.push_back(fmt::format("held {} by {}", *q.count == 1 ? std::string("once") : fmt::format("{} times", *q.count),
                                  ownerPhrase()));
    } else if (q.owner) {
      parts.push_back("held by " + ownerPhrase());
    } else {
      parts.push_back("locked");
    }
  }
  if (q.permitsFree && q.count && q.owner) {
    parts.push_back(fmt::format("{} acquired by {} in this process", plural(*q.count, "permit", "permits"), ownerPhrase()));
  } else if (q.permitsFree && q.count && *q.count > 0 && kind == ObjectKind::kSemLock) {
    parts.push_back(fmt::format("{} acquired in this process", plural(*q.count, "permit", "permits")));
  }
  if (q.isSet) parts.push_back(*q.isSet ? "set" : "not set");
  if (q.broken && *q.broken) {
    parts.push_back(q.parties ? fmt::format("broken ({} parties)", *q.parties) : "broken");
  } else if (q.parties) {
    parts.push_back(q.waiting ? fmt::format("{} of {} parties waiting", *q.waiting, *q.parties)
                              : plural(*q.parties, "party", "parties"));
  }
  if (q.items) {
    std::string s = *q.items == 0 ? "empty" : plural(*q.items, "item", "items");
    if (q.maxsize) s += *q.maxsize <= 0 ? " (unbounded)" : fmt::format(" (maxsize {})", *q.maxsize);
    parts.push_back(s);
  } else if (q.maxsize) {
    parts.push_back(*q.maxsize <= 0 ? "unbounded" : fmt::format("maxsize {}", *q.maxsize));
  }
  if (q.unfinished) parts.push_back(plural(*q.unfinished, "unfinished task", "unfinished tasks"));
  if (q.waiters && *q.waiters > 0) {
    parts.push_back(fmt::format("{}{} {} waiting", q.waitersAtLeast ? "at least " : "", *q.waiters,
                                *q.waiters == 1 ? who : whos));
  } else if (q.waiters && (kind == ObjectKind::kCondition || kind == ObjectKind::kAsyncCondition)) {
    parts.push_back(fmt::format("no {} waiting", who));
  }
  if (q.getters && *q.getters > 0) parts.push_back(fmt::format("{} in get()", plural(*q.getters, who, whos)));
  if (q.putters && *q.putters > 0) parts.push_back(fmt::format("{} in put()", plural(*q.putters, who, whos)));
  if (q.joiners && *q.joiners > 0) parts.push_back(fmt::format("{} in join()", plural(*q.joiners, who, whos)));
  return fmt::format("{}", fmt::join(parts, ", "));
}

std::vector<const SyncObject*> findingObjects(const Snapshot& snap, const Finding& f, std::vector<const Process*>* procs,
                                              bool withHolds) {
  std::vector<const SyncObject*> out;
  std::set<std::pair<int64_t, uint64_t>> seen;
  auto add = [&](int64_t pid, uint64_t addr) {
    if (!addr || out.size() >= 8 || !seen.insert({pid, addr}).second) return;
    for (const auto& p : snap.processes) {
      if (p.pid != pid) continue;
      auto it = p.objects.find(addr);
      if (it == p.objects.end()) return;
      out.push_back(&it->second);
      if (procs) procs->push_back(&p);
      return;
    }
  };
  for (const auto* list : {&f.participants, &f.bystanders}) {
    for (const auto& part : *list) {
      if (part.waitsFor && part.waitsFor->op != WaitOp::kPipeWrite && part.waitsFor->op != WaitOp::kPipeRead) {
        add(part.pid, part.waitsFor->object);
      }
      if (!withHolds) continue;
      for (const auto& [h, since] : part.holds) add(part.pid, h.object);
    }
  }
  return out;
}

}  // namespace pyhang

// asyncio event loops: which loop each thread runs, a loop's ready callbacks, timers and watched
// file descriptors, and what of that a waiting task is owed (its timer, its file descriptor).
#include "cpython/asyncio_reader_internal.h"

#include <algorithm>
#include <cstdint>

#include <fmt/format.h>

namespace pyhang::cpython::asyncio_internal {

// ---------------------------------------------------------------------------------------------
// Loops

size_t AioReader::loopIndex(uint64_t loop) {
  auto it = loops_.find(loop);
  if (it != loops_.end()) return it->second.index;
  if (loops_.size() >= kMaxLoops) return SIZE_MAX;
  LoopInternal li;
  li.index = out_.loops.size();
  EventLoop l;
  l.address = loop;
  l.type = objects_.qualifiedTypeName(loop);
  out_.loops.push_back(std::move(l));
  auto& ref = loops_.emplace(loop, std::move(li)).first->second;
  readLoop(loop, ref);
  return ref.index;
}

void AioReader::findRunningLoops() {
  for (const auto& t : out_.threads) {
    uint64_t loop = 0;
    for (const auto& f : t.frames) {
      if (asyncioModuleOf(f.location.file) != "base_events") continue;
      const std::string& fn = f.location.function;
      if (fn == "run_forever" || fn == "_run_once" || fn == "run_until_complete") {
        loop = varAddr(f, "self");
        if (loop) break;
      }
    }
    if (!loop && o_.ts_asyncio_running_loop >= 0) {
      auto ts = tstateByIdent_.find(t.ident);
      if (ts != tstateByIdent_.end()) {
        loop = mem_.readPtr(ts->second + static_cast<uint64_t>(o_.ts_asyncio_running_loop)).value_or(0);
        if (loop && !objects_.typeOf(loop)) loop = 0;
      }
    }
    if (!loop) continue;
    size_t idx = loopIndex(loop);
    if (idx == SIZE_MAX) continue;
    if (out_.loops[idx].tid == 0) out_.loops[idx].tid = t.tid;
    if (o_.ts_asyncio_running_task >= 0) {
      auto ts = tstateByIdent_.find(t.ident);
      if (ts != tstateByIdent_.end()) {
        uint64_t running = mem_.readPtr(ts->second + static_cast<uint64_t>(o_.ts_asyncio_running_task)).value_or(0);
        if (running && isTask(running)) {
          currentTasks_.insert(running);
          addCandidate(running, false);
        }
      }
    }
  }
}

void AioReader::readLoop(uint64_t loop, LoopInternal& li) {
  EventLoop& l = out_.loops[li.index];
  auto readyObj = attr(loop, "_ready");
  auto scheduled = attr(loop, "_scheduled");
  auto selector = attr(loop, "_selector");
  if (!readyObj && !scheduled) {
    l.warnings.push_back("the loop's state could not be read (not a BaseEventLoop?)");
    return;
  }
  l.stateRead = true;
  if (auto s = attr(loop, "_stopping")) l.stopping = objects_.repr(*s) == "True";
  auto handleInfo = [&](uint64_t h, std::string& callback, uint64_t& self, std::vector<uint64_t>& args) {
    callback.clear();
    self = 0;
    args.clear();
    if (auto cb = attr(h, "_callback")) {
      if (auto c = sync_.callable(*cb)) {
        callback = c->name;
        self = c->self;
      } else {
        auto tn = objects_.typeOf(*cb);
        callback = tn ? (*tn)->name : "?";
        if (tn && (*tn)->name.find("MethWrapper") != std::string::npos) {
          // _asyncio.TaskStepMethWrapper / TaskWakeupMethWrapper: the task at +16.
          self = mem_.readPtr(*cb + 16).value_or(0);
          callback = (*tn)->name.find("Wakeup") != std::string::npos ? "task_wakeup" : "task_step";
        }
      }
    }
    if (auto a = attr(h, "_args")) {
      if (typeIs(*a, "tuple")) {
        if (auto items = objects_.tupleItems(*a, 8)) args = *items;
      }
    }
  };
  auto cancelled = [&](uint64_t h) {
    auto c = attr(h, "_cancelled");
    return c && objects_.repr(*c) == "True";
  };
  if (readyObj) {
    auto n = objects_.containerSize(*readyObj);
    auto items = objects_.dequeItems(*readyObj, kMaxReady);
    if (items) {
      for (uint64_t h : *items) {
        if (cancelled(h)) continue;
        ++l.readyCallbacks;
        std::string cb;
        uint64_t self = 0;
        std::vector<uint64_t> args;
        handleInfo(h, cb, self, args);
        if (self && isTask(self)) li.readyTasks.insert(self);
        if (auto cb = attr(h, "_callback")) {
          for (uint64_t f : closureFutures(*cb)) {
            if (l.threadsafeFutures.size() < 256) l.threadsafeFutures.push_back(f);
          }
        }
        if (l.ready.size() < kMaxReadyShown) {
          std::string d = cb.empty() ? objects_.repr(h) : cb + "()";
          if (self) d += fmt::format(" of {}", objects_.qualifiedTypeName(self));
          l.ready.push_back(d);
        }
      }
    } else if (n) {
      l.readyCallbacks = static_cast<size_t>(*n);
    }
  }
  if (scheduled) {
    if (auto items = objects_.listItems(*scheduled, kMaxTimers)) {
      for (uint64_t h : *items) {
        if (cancelled(h)) continue;
        TimerInfo ti;
        ti.handle = h;
        if (auto w = attr(h, "_when")) {
          auto tn = objects_.typeName(*w).value_or("");
          if (tn == "float") ti.when = objects_.readFloat(*w).value_or(0);
          else if (tn == "int") ti.when = static_cast<double>(objects_.readSmallInt(*w).value_or(0));
        }
        handleInfo(h, ti.callback, ti.callbackSelf, ti.args);
        ++l.timers;
        if (!l.nextTimer || ti.when < *l.nextTimer) l.nextTimer = ti.when;
        auto noteEarliest = [&](std::unordered_map<uint64_t, double>& m, uint64_t key) {
          auto [it, inserted] = m.emplace(key, ti.when);
          if (!inserted && ti.when < it->second) it->second = ti.when;
        };
        for (uint64_t arg : ti.args) {
          if (arg) noteEarliest(li.earliestByArg, arg);
        }
        if (ti.callbackSelf) {
          if (auto task = objects_.attr(ti.callbackSelf, "_task"); task && *task && *task != ti.callbackSelf) {
            noteEarliest(li.earliestByTimeoutTask, *task);
          }
        }
        li.timers.push_back(std::move(ti));
      }
    }
    if (l.nextTimer && out_.source == "live") l.nextTimerIn = *l.nextTimer - now_;
  }
  if (selector) {
    uint64_t ssock = attr(loop, "_ssock").value_or(0);
    auto fdToKey = attr(*selector, "_fd_to_key");
    if (fdToKey) {
      if (auto items = objects_.dictItems(*fdToKey, kMaxFds)) {
        for (const auto& [k, key] : *items) {
          auto fields = objects_.tupleItems(key, 4);  // SelectorKey(fileobj, fd, events, data)
          if (!fields || fields->size() < 4) continue;
          LoopFd fd;
          fd.fd = objects_.readSmallInt((*fields)[1]).value_or(objects_.readSmallInt(k).value_or(-1));
          int64_t events = objects_.readSmallInt((*fields)[2]).value_or(0);
          fd.read = events & 1;
          fd.write = events & 2;
          uint64_t fileobj = (*fields)[0];
          fd.wakeup = ssock && fileobj == ssock;
          li.fdOfFileobj[fileobj] = fd.fd;
          std::vector<uint64_t> allArgs;
          if (auto data = objects_.tupleItems((*fields)[3], 2)) {
            for (uint64_t h : *data) {
              if (!h || typeIs(h, "NoneType")) continue;
              std::string cb;
              uint64_t self = 0;
              std::vector<uint64_t> args;
              handleInfo(h, cb, self, args);
              if (fd.callback.empty()) fd.callback = cb;
              if (cb == "_read_from_self") fd.wakeup = true;
              // _PidfdChildWatcher: loop._add_reader(pidfd, self._do_wait, pid, pidfd, callback, args)
              if (cb == "_do_wait" && !args.empty()) fd.childPid = objects_.readSmallInt(args.front()).value_or(0);
              // _UnixWritePipeTransport watches its pipe for reading only to learn that the
              // readers closed it (a child's stdin, say).
              if (cb == "_read_ready" && self && typeIs(self, "_UnixWritePipeTransport")) fd.pipeWriteEnd = true;
              allArgs.insert(allArgs.end(), args.begin(), args.end());
              if (self) allArgs.push_back(self);
            }
          }
          if (fd.wakeup) fd.what = "the loop's own wake-up socket";
          else if (fd.childPid > 0) fd.what = fmt::format("the exit of child process {}", fd.childPid);
          else if (fd.callback == "_accept_connection") fd.what = "a listening socket";
          else if (fd.pipeWriteEnd) fd.what = "a pipe's write end, for its readers closing it";
          else if (fd.callback == "_read_ready") fd.what = "a connection, reading";
          else if (fd.callback == "_write_ready") fd.what = "a connection, writing";
          else fd.what = objects_.qualifiedTypeName(fileobj);
          li.fdArgs.emplace_back(fd, std::move(allArgs));
          l.fds.push_back(std::move(fd));
        }
      }
    }
  }
}

void AioReader::addTimers(const Task& task, TaskAwait& a, const LoopInternal* li) {
  if (!li) return;
  std::optional<double> when;
  if (a.future) {
    if (auto it = li->earliestByArg.find(a.future); it != li->earliestByArg.end()) when = it->second;
  }
  // asyncio.timeout(): the handle calls Timeout._on_timeout, and the Timeout knows its task.
  if (auto it = li->earliestByTimeoutTask.find(task.address); it != li->earliestByTimeoutTask.end()) {
    if (!when || it->second < *when) when = it->second;
  }
  if (!when) return;
  a.hasTimeout = true;
  a.when = when;
  if (out_.source == "live") a.firesIn = *when - now_;
}

void AioReader::addIo(TaskAwait& a, const LoopInternal* li, uint64_t sockOrTransport) {
  if (!li) return;
  // The selector key whose handle is called with this task's future (sock_recv & co).
  for (const auto& [fd, args] : li->fdArgs) {
    if (a.future && std::find(args.begin(), args.end(), a.future) != args.end()) {
      a.fd = fd.fd;
      return;
    }
  }
  if (!sockOrTransport) return;
  // A StreamReader's transport, a transport, a server or a socket.
  uint64_t obj = sockOrTransport;
  if (auto tr = objects_.attr(obj, "_transport")) obj = *tr;
  if (auto fdv = objects_.attr(obj, "_sock_fd")) {
    if (auto n = objects_.readSmallInt(*fdv)) {
      a.fd = *n;
      return;
    }
  }
  std::vector<uint64_t> socks;
  if (auto s = objects_.attr(obj, "_sock")) socks.push_back(*s);
  if (auto ss = objects_.attr(obj, "_sockets")) {
    for (uint64_t s : childrenOf(*ss)) socks.push_back(s);
  }
  if (socks.empty()) socks.push_back(obj);
  for (uint64_t s : socks) {
    auto it = li->fdOfFileobj.find(s);
    if (it != li->fdOfFileobj.end()) {
      a.fd = it->second;
      return;
    }
    if (objects_.isInstance(s, "_socket", "socket")) {
      if (auto fdv = mem_.readValue<int32_t>(s + 16)) {  // PySocketSockObject.sock_fd
        a.fd = *fdv;
        return;
      }
    }
  }
}

}  // namespace pyhang::cpython::asyncio_internal

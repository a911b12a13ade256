#include "report/json_report.h"

#include <nlohmann/json.hpp>

#include "report/fix_lines.h"
#include "report/object_state.h"

namespace pyhang {

namespace {

using nlohmann::json;

json location(const SourceLocation& l) {
  return json{{"file", l.file}, {"line", l.line}, {"function", l.function}};
}

json variables(const std::vector<Variable>& vars) {
  json out = json::array();
  for (const auto& v : vars) {
    out.push_back(json{{"name", v.name}, {"repr", v.repr}, {"type", v.type}, {"address", v.address}});
  }
  return out;
}

json frameJson(const Frame& f, const RenderOptions& opts) {
  json j;
  switch (f.kind) {
    case Frame::Kind::kPython: j["kind"] = "python"; break;
    case Frame::Kind::kNative: j["kind"] = "native"; break;
    case Frame::Kind::kMarker: j["kind"] = "marker"; break;
  }
  if (f.kind == Frame::Kind::kMarker) {
    j["marker"] = f.marker;
    return j;
  }
  j["function"] = f.location.function;
  j["qualname"] = f.qualname;
  j["file"] = f.location.file;
  j["line"] = f.location.line;
  if (!f.sourceLine.empty()) j["source"] = f.sourceLine;
  if (!f.marker.empty()) j["error"] = f.marker;
  j["is_entry"] = f.isEntry;
  if (opts.locals) {
    j["arguments"] = variables(f.arguments);
    j["locals"] = variables(f.locals);
  }
  if (f.kind == Frame::Kind::kNative) {
    j["pc"] = f.pc;
    j["library"] = f.library;
    j["inlined"] = f.inlined;
  }
  return j;
}

// The quantities read from the target (report/object_state.h): only those that could be read.
json quantitiesJson(const ObjectQuantities& q) {
  json j = json::object();
  auto put = [&](const char* key, const auto& v) {
    if (v) j[key] = *v;
  };
  put("locked", q.locked);
  if (q.owner) {
    j["owner"] = {{"ident", *q.owner}, {"name", q.ownerName.empty() ? json(nullptr) : json(q.ownerName)},
                  {"alive", q.ownerAlive ? json(*q.ownerAlive) : json(nullptr)}};
  }
  put("count", q.count);
  put("permits_free", q.permitsFree);
  put("permits_total", q.permitsTotal);
  if (q.waiters) {
    j["waiters"] = *q.waiters;
    if (q.waitersAtLeast) j["waiters_at_least"] = true;
  }
  put("set", q.isSet);
  put("parties", q.parties);
  put("waiting", q.waiting);
  put("broken", q.broken);
  put("items", q.items);
  put("maxsize", q.maxsize);
  put("unfinished_tasks", q.unfinished);
  put("getters", q.getters);
  put("putters", q.putters);
  put("joiners", q.joiners);
  return j;
}

json objectRef(const Process* p, uint64_t addr) {
  json j{{"address", addr}};
  if (p) {
    auto it = p->objects.find(addr);
    if (it != p->objects.end()) {
      j["type"] = it->second.type;
      j["kind"] = objectKindName(it->second.kind);
      j["names"] = it->second.names;
      if (auto q = quantitiesOf(*p, it->second)) j["state"] = quantitiesJson(*q);
    }
  }
  return j;
}

const Process* processOf(const Snapshot& s, int64_t pid) {
  for (const auto& p : s.processes) {
    if (p.pid == pid) return &p;
  }
  return nullptr;
}

json participantJson(const Snapshot& s, const Participant& p) {
  const Process* proc = processOf(s, p.pid);
  json j{{"pid", p.pid}, {"tid", p.tid}, {"thread", p.thread}, {"at", location(p.at)}};
  j["process"] = p.process.empty() ? json(nullptr) : json(p.process);
  j["task"] = p.task.empty() ? json(nullptr) : json(p.task);
  if (p.waitsFor) {
    json w = objectRef(proc, p.waitsFor->object);
    w["operation"] = waitOpName(p.waitsFor->op);
    w["how"] = p.waitsFor->how;
    w["timeout"] = p.waitsFor->hasTimeout;
    w["certain"] = p.waitsFor->certain;
    if (p.waitsFor->op == WaitOp::kPipeWrite) w["pipe_inode"] = p.waitsFor->object;  // address: the inode too
    if (p.waitsFor->op == WaitOp::kFileLock && proc) {
      for (const auto& t : proc->threads) {
        if (t.tid != p.tid) continue;
        w["file"] = t.fileLockPath;
        json holders = json::array();
        for (int64_t pid : t.fileLockHolders) {
          const Process* q = processOf(s, pid);
          auto fd = q ? q->heldFileLocks.find(t.fileLockKey) : std::map<std::string, int64_t>::const_iterator{};
          holders.push_back({{"pid", pid}, {"in_report", true}, {"fd", q && fd != q->heldFileLocks.end() ? json(fd->second) : json(nullptr)},
                             {"command", nullptr}});
        }
        for (const auto& [pid, command] : t.fileLockOtherHolders) {
          holders.push_back({{"pid", pid}, {"in_report", false}, {"fd", nullptr}, {"command", command}});
        }
        w["file_lock_holders"] = holders;
      }
    }
    if (proc) {
      auto it = proc->objects.find(p.waitsFor->object);
      if (it != proc->objects.end() && it->second.threadIdent) {
        w["thread"] = {{"ident", *it->second.threadIdent}, {"name", it->second.threadName}};
      }
    }
    j["waits_for"] = w;
  } else {
    j["waits_for"] = nullptr;
  }
  json holds = json::array();
  for (const auto& [h, since] : p.holds) {
    json o = objectRef(proc, h.object);
    holds.push_back(json{{"object", o}, {"how", h.how}, {"since", location(since)}});
  }
  j["holds"] = holds;
  j["held_by"] = p.heldBy.empty() ? json(nullptr) : json(p.heldBy);
  return j;
}

// --- asyncio -----------------------------------------------------------------------

json taskRef(const Process& p, uint64_t addr) {
  json j{{"address", addr}};
  for (const auto& t : p.tasks) {
    if (t.address == addr && addr) {
      j["name"] = t.name;
      return j;
    }
  }
  return j;
}

json tasksJson(const Process& p, const RenderOptions& opts) {
  json out = json::array();
  for (const auto& t : p.tasks) {
    json jt;
    jt["address"] = t.address ? json(t.address) : json(nullptr);
    jt["name"] = t.name;
    jt["state"] = t.state;
    jt["thread"] = t.tid ? json(t.tid) : json(nullptr);
    jt["loop"] = t.loop ? json(t.loop) : json(nullptr);
    jt["coroutine"] = t.coroutine;
    jt["eager"] = t.eager;
    json frames = json::array();
    for (const auto& f : t.frames) frames.push_back(frameJson(f, opts));
    jt["coroutine_stack"] = frames;
    if (t.await) {
      const TaskAwait& a = *t.await;
      json ja = objectRef(&p, a.object);
      ja["kind"] = a.kind;
      if (auto it = p.objects.find(a.object); it != p.objects.end()) ja["object_kind"] = objectKindName(it->second.kind);
      ja["how"] = a.how;
      ja["future"] = a.future ? json(a.future) : json(nullptr);
      if (a.kind == "task") ja["task"] = taskRef(p, a.object);
      json children = json::array();
      for (uint64_t c : a.children) children.push_back(taskRef(p, c));
      if (a.kind == "gather" || a.kind == "wait" || a.kind == "taskgroup") ja["children"] = children;
      ja["frame"] = a.frameIndex < t.frames.size() ? json(a.frameIndex) : json(nullptr);
      ja["timeout"] = a.hasTimeout;
      ja["when"] = a.when ? json(*a.when) : json(nullptr);
      ja["fires_in"] = a.firesIn ? json(*a.firesIn) : json(nullptr);
      ja["fd"] = a.fd >= 0 ? json(a.fd) : json(nullptr);
      ja["worker_thread"] = a.workerTid ? json(a.workerTid) : json(nullptr);
      if (!a.detail.empty()) ja["detail"] = a.detail;
      jt["awaits"] = ja;
    } else {
      jt["awaits"] = nullptr;
    }
    json by = json::array();
    for (uint64_t b : t.awaitedBy) by.push_back(taskRef(p, b));
    jt["awaited_by"] = by;
    json holds = json::array();
    for (size_t i = 0; i < t.frames.size(); ++i) {
      for (const auto& h : t.frames[i].holds) {
        json o = objectRef(&p, h.object);
        holds.push_back(json{{"object", o},
                             {"how", h.how},
                             {"frame", i},
                             {"since", location(SourceLocation{t.frames[i].location.file,
                                                               h.line ? h.line : t.frames[i].location.line,
                                                               t.frames[i].location.function})}});
      }
    }
    jt["holds"] = holds;
    jt["exception"] = t.exception.empty() ? json(nullptr) : json(t.exception);
    if (!t.address) {
      jt["evidence"] = t.evidence;
      jt["defined_at"] = location(t.definedAt);
      jt["acquire_lines"] = t.acquireLines;
    }
    if (!t.warnings.empty()) jt["warnings"] = t.warnings;
    out.push_back(jt);
  }
  return out;
}

json loopsJson(const Process& p) {
  json out = json::array();
  for (const auto& l : p.loops) {
    json jl{{"address", l.address}, {"type", l.type}, {"thread", l.tid ? json(l.tid) : json(nullptr)},
            {"state_read", l.stateRead}, {"stopping", l.stopping}, {"ready_callbacks", l.readyCallbacks},
            {"ready", l.ready}, {"timers", l.timers},
            {"next_timer", l.nextTimer ? json(*l.nextTimer) : json(nullptr)},
            {"next_timer_in", l.nextTimerIn ? json(*l.nextTimerIn) : json(nullptr)}};
    json fds = json::array();
    for (const auto& f : l.fds) {
      fds.push_back(json{{"fd", f.fd}, {"read", f.read}, {"write", f.write}, {"wakeup", f.wakeup},
                         {"callback", f.callback}, {"what", f.what}});
    }
    jl["fds"] = fds;
    if (!l.warnings.empty()) jl["warnings"] = l.warnings;
    out.push_back(jl);
  }
  return out;
}
// --- end asyncio -----------------------------------------------------------------------------

}  // namespace

void renderJson(const Snapshot& snap, const RenderOptions& opts, std::ostream& out) {
  json root;
  root["schema"] = "pyhang/1";
  json procs = json::array();
  for (const auto& p : snap.processes) {
    json jp;
    jp["pid"] = p.pid;
    jp["ppid"] = p.ppid;
    jp["name"] = p.name.empty() ? json(nullptr) : json(p.name);
    jp["command_line"] = p.commandLine;
    jp["argv"] = p.argv;
    jp["is_python"] = p.isPython;
    if (p.kernelState) jp["state"] = std::string(1, p.kernelState);
    jp["executable"] = p.executable;
    jp["source"] = p.source;
    jp["python"] = {{"version", p.python.versionString},
                    {"library", p.python.library},
                    {"static", p.python.staticBuild},
                    {"debug_offsets", p.python.usedDebugOffsets}};
    if (p.source == "live") jp["stop_ms"] = p.stopMilliseconds;
    if (p.source == "core") {
      jp["core"] = {{"signal", p.terminatingSignal}, {"signal_tid", p.signalTid}, {"gcore", p.fromGcore}};
    }
    jp["gc_collecting"] = p.gcCollecting;
    json threads = json::array();
    for (const auto& t : p.threads) {
      json jt{{"tid", t.tid},
              {"ident", t.ident},
              {"name", t.name},
              {"is_main", t.isMain},
              {"holds_gil", t.holdsGil},
              {"gc_collecting", t.gcCollecting},
              {"waiting_for_gil", t.waitingForGil},
              {"dropping_gil", t.droppingGil},
              {"interpreter", t.interpreterId}};
      if (t.nativeOnly) jt["native_only"] = true;  // an OS thread with no Python thread state
      if (!t.kernelState.empty()) jt["kernel_state"] = t.kernelState;
      if (opts.analysis && snap.diagnosis.ran && !t.state.empty()) {
        jt["state"] = t.state;
        jt["state_detail"] = t.stateDetail;
      }
      if (!t.kernelWait.empty()) jt["kernel_wait"] = t.kernelWait;
      json frames = json::array();
      for (const auto& f : t.frames) frames.push_back(frameJson(f, opts));
      jt["frames"] = frames;
      if (!t.warnings.empty()) jt["warnings"] = t.warnings;
      threads.push_back(jt);
    }
    jp["threads"] = threads;
    jp["tasks"] = tasksJson(p, opts);   // asyncio
    jp["event_loops"] = loopsJson(p);
    jp["warnings"] = p.warnings;
    procs.push_back(jp);
  }
  root["processes"] = procs;
  if (opts.analysis && snap.diagnosis.ran) {
    const Diagnosis& d = snap.diagnosis;
    auto findingsJson = [&](const std::vector<Finding>& list) {
      json findings = json::array();
      for (const auto& f : list) {
        json jf{{"kind", f.kind}, {"summary", f.summary}};
        json parts = json::array(), bys = json::array();
        for (const auto& p : f.participants) parts.push_back(participantJson(snap, p));
        for (const auto& p : f.bystanders) bys.push_back(participantJson(snap, p));
        jf["participants"] = parts;
        jf["bystanders"] = bys;
        jf["explanation"] = f.lines;
        std::string fix = fixLine(snap, f);
        jf["fix"] = fix.empty() ? json(nullptr) : json(fix);
        if (!f.unconfirmedBecause.empty()) jf["unconfirmed_because"] = f.unconfirmedBecause;
        json sites = json::array();
        for (const auto& w : f.wakeSites) {
          json runners = json::array();
          for (const auto& r : w.runners) {
            runners.push_back({{"pid", r.pid},
                               {"tid", r.tid},
                               {"thread", r.thread.empty() ? json(nullptr) : json(r.thread)},
                               {"task", r.task.empty() ? json(nullptr) : json(r.task)},
                               {"line", r.line > 0 ? json(r.line) : json(nullptr)},
                               {"blocked", r.blocked},
                               {"interrupted_by", r.interruptedBy.empty() ? json(nullptr) : json(r.interruptedBy)}});
          }
          sites.push_back({{"call", w.call},
                           {"pid", w.pid},
                           {"file", w.at.file},
                           {"line", w.at.line},
                           {"function", w.at.function},
                           {"reference", w.reference},
                           {"via", w.via.file.empty() ? json(nullptr)
                                                      : json({{"file", w.via.file}, {"line", w.via.line}, {"function", w.via.function}})},
                           {"runners", runners}});
        }
        jf["wake_sites"] = sites;
        findings.push_back(jf);
      }
      return findings;
    };
    root["diagnosis"] = {{"verdict", d.verdict},
                         {"summary", d.verdictLine},
                         {"findings", findingsJson(d.findings)},
                         {"unconfirmed", findingsJson(d.unconfirmed)},
                         {"waiting_for", d.waitingFor},
                         {"notes", d.notes}};
  } else {
    root["diagnosis"] = nullptr;
  }
  root["warnings"] = snap.warnings;
  // Strings come from the target: never let one invalid byte abort the report.
  out << root.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
}

}  // namespace pyhang

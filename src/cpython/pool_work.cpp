#include "cpython/pool_work.h"

#include <set>

namespace pyhang::cpython {

namespace {
constexpr size_t kMaxExecutors = 8;
constexpr size_t kMaxWorkItems = 4096;

bool isFuturesProcessFile(const std::string& file) { return file.ends_with("/concurrent/futures/process.py"); }
}  // namespace

void linkProcessPoolWork(const ObjectReader& objects, Process& out) {
  std::set<uint64_t> pendingDicts;
  for (auto& t : out.threads) {
    for (const auto& f : t.frames) {
      for (const auto* vars : {&f.arguments, &f.locals}) {
        for (const auto& v : *vars) {
          if (!v.address) continue;
          std::string type = v.type.substr(v.type.rfind('.') == std::string::npos ? 0 : v.type.rfind('.') + 1);
          if (type == "ProcessPoolExecutor") {
            if (auto d = objects.attr(v.address, "_pending_work_items"); d && *d) pendingDicts.insert(*d);
          } else if (type == "_ExecutorManagerThread") {
            if (auto d = objects.attr(v.address, "pending_work_items"); d && *d) pendingDicts.insert(*d);
          } else if (v.name == "pending_work_items" && type == "dict" && isFuturesProcessFile(f.location.file)) {
            pendingDicts.insert(v.address);
          } else if (v.name == "call_item" && f.location.function == "_process_worker" &&
                     isFuturesProcessFile(f.location.file)) {
            if (auto id = objects.attr(v.address, "work_id"); id && *id) {
              if (auto n = objects.readSmallInt(*id); n && *n >= 0) t.poolWorkId = *n;
            }
          }
        }
      }
    }
  }
  size_t seen = 0;
  for (uint64_t d : pendingDicts) {
    if (++seen > kMaxExecutors) break;
    auto items = objects.dictItems(d, kMaxWorkItems);
    if (!items) continue;
    for (const auto& [key, item] : *items) {
      auto id = objects.readSmallInt(key);
      auto future = objects.attr(item, "future");
      if (!id || !future || !*future) continue;
      auto it = out.objects.find(*future);
      if (it != out.objects.end() && it->second.kind == ObjectKind::kFuture) it->second.attrs["work_id"] = std::to_string(*id);
    }
  }
}

}  // namespace pyhang::cpython

#include "process/file_locks.h"

#include <dirent.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <cerrno>
#include <cstdlib>
#include <sstream>

#include <fmt/format.h>

#include "process/live_process.h"

namespace pyhang {

namespace {

bool isKey(const std::string& s) {
  // hex:hex:decimal, each part non-empty
  size_t c1 = s.find(':');
  size_t c2 = c1 == std::string::npos ? std::string::npos : s.find(':', c1 + 1);
  if (c1 == 0 || c2 == std::string::npos || c2 == c1 + 1 || c2 + 1 >= s.size()) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    if (i == c1 || i == c2) continue;
    const char ch = s[i];
    const bool hex = (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f');
    if (!hex || (i > c2 && !(ch >= '0' && ch <= '9'))) return false;
  }
  return s.size() <= 64;
}

// The lock rows of one fdinfo file ("lock:\t1: FLOCK  ADVISORY  WRITE ...").
std::vector<FileLockRow> fdinfoLocks(const std::string& text) {
  std::string rows;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("lock:", 0) == 0) rows += line.substr(5) + "\n";
  }
  return parseProcLocks(rows, 256);
}

}  // namespace

std::vector<FileLockRow> parseProcLocks(std::string_view text, size_t maxRows) {
  std::vector<FileLockRow> out;
  std::istringstream in{std::string(text.substr(0, size_t{16} << 20))};
  std::string line;
  while (out.size() < maxRows && std::getline(in, line)) {
    std::istringstream f(line);
    std::string number, kind, mode, type, pid, key;
    if (!(f >> number) || number.empty() || number.back() != ':') continue;
    FileLockRow row;
    if (!(f >> kind)) continue;
    if (kind == "->") {
      row.waiting = true;
      if (!(f >> kind)) continue;
    }
    if (!(f >> mode >> type >> pid >> key)) continue;
    if (type != "READ" && type != "WRITE") continue;   // UNLCK: a lease being broken
    char* end = nullptr;
    long long p = std::strtoll(pid.c_str(), &end, 10);
    if (pid.empty() || *end != '\0' || p < -1 || p > (1LL << 31) || !isKey(key)) continue;
    row.kind = kind.substr(0, 16);
    row.write = type == "WRITE";
    row.pid = p;
    row.key = key;
    out.push_back(std::move(row));
  }
  return out;
}

std::string fileLockKey(pid_t pid, long fd) {
  if (fd < 0) return {};
  struct stat st;
  if (stat(fmt::format("/proc/{}/fd/{}", pid, fd).c_str(), &st) != 0) return {};
  return fmt::format("{:02x}:{:02x}:{}", major(st.st_dev), minor(st.st_dev), static_cast<unsigned long long>(st.st_ino));
}

std::map<std::string, int64_t> heldFileLocks(pid_t pid, size_t cap) {
  std::map<std::string, int64_t> out;
  std::string dir = fmt::format("/proc/{}/fdinfo", pid);
  DIR* d = opendir(dir.c_str());
  if (!d) return out;
  size_t seen = 0;
  while (dirent* e = readdir(d)) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    if (++seen > cap) break;
    for (const auto& row : fdinfoLocks(readProcFile(dir + "/" + e->d_name, 64 << 10))) {
      if (!row.waiting) out.emplace(row.key, std::atoll(e->d_name));
    }
  }
  closedir(d);
  return out;
}

}  // namespace pyhang

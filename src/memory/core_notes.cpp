// CoreFile's notes: NT_PRSTATUS (threads and registers), NT_PRPSINFO (pid, command line),
// NT_SIGINFO, NT_AUXV (entry point) and NT_FILE (the mapped files), every length checked against
// its segment.
#include "memory/core_file_internal.h"

#include <elf.h>

#include <cstring>
#include <limits>

#include <fmt/format.h>

namespace pyhang {

namespace {

using namespace core_internal;

constexpr uint64_t kMaxFileEntries = uint64_t{1} << 22;
constexpr size_t kMaxThreads = size_t{1} << 20;

// Offsets in the x86_64 note payloads (struct elf_prstatus / elf_prpsinfo).
constexpr size_t kPrstatusCursig = 12;
constexpr size_t kPrstatusPid = 32;
constexpr size_t kPrstatusReg = 112;
constexpr size_t kPrstatusMinSize = kPrstatusReg + 27 * 8;  // 328 (336 with pr_fpvalid)
constexpr size_t kPrpsinfoState = 1;                        // pr_sname
constexpr size_t kPrpsinfoPid = 24;
constexpr size_t kPrpsinfoPpid = 28;
constexpr size_t kPrpsinfoFname = 40;
constexpr size_t kPrpsinfoPsargs = 56;
constexpr size_t kPrpsinfoSize = 136;

// A string from a fixed-size, possibly unterminated char array.
std::string fixedString(const uint8_t* p, size_t n) {
  size_t len = 0;
  while (len < n && p[len] != 0) ++len;
  std::string s(reinterpret_cast<const char*>(p), len);
  while (!s.empty() && s.back() == ' ') s.pop_back();  // the kernel turns argv NULs into spaces
  return s;
}

}  // namespace

NoteSummary CoreFile::Impl::parseNotes(const std::vector<GElf_Phdr>& notes, CoreInfo& info) const {
  NoteSummary sum;
  sum.intact = !notes.empty();
  size_t noteWarnings = 0;
  auto noteWarning = [&](std::string msg) {
    if (noteWarnings++ < kMaxWarningsPerKind) info.warnings.push_back(std::move(msg));
  };
  auto onNote = [&](const Note& n) {
    if (n.name == "GDB") sum.gdbNote = true;
    if (n.name != "CORE") return;
    switch (n.type) {
      case NT_PRSTATUS: {
        if (n.descSize < kPrstatusMinSize) {
          noteWarning(fmt::format("NT_PRSTATUS note of {} bytes is too short for x86_64; ignored", n.descSize));
          return;
        }
        if (info.threads.size() >= kMaxThreads) return;
        CoreThread t;
        t.tid = loadAt<int32_t>(n.desc + kPrstatusPid);
        t.signal = loadAt<int16_t>(n.desc + kPrstatusCursig);
        std::memcpy(t.regs, n.desc + kPrstatusReg, sizeof t.regs);
        t.fsBase = t.regs[21];
        info.threads.push_back(t);
        return;
      }
      case NT_PRPSINFO: {
        if (n.descSize < kPrpsinfoSize) {
          noteWarning(fmt::format("NT_PRPSINFO note of {} bytes is too short; ignored", n.descSize));
          return;
        }
        sum.havePrpsinfo = true;
        info.state = static_cast<char>(n.desc[kPrpsinfoState]);
        info.pid = loadAt<int32_t>(n.desc + kPrpsinfoPid);
        info.ppid = loadAt<int32_t>(n.desc + kPrpsinfoPpid);
        info.fname = fixedString(n.desc + kPrpsinfoFname, 16);
        info.psargs = fixedString(n.desc + kPrpsinfoPsargs, 80);
        return;
      }
      case NT_SIGINFO: {
        if (n.descSize < 12) return;
        sum.haveSiginfo = true;
        sum.siginfoSigno = loadAt<int32_t>(n.desc);
        return;
      }
      case NT_AUXV: {
        for (size_t i = 0; i + 16 <= n.descSize; i += 16) {
          uint64_t key = loadAt<uint64_t>(n.desc + i), val = loadAt<uint64_t>(n.desc + i + 8);
          if (key == AT_NULL) break;
          if (key == AT_ENTRY) sum.entryAddr = val;
          if (key == AT_PHDR) sum.phdrAddr = val;
        }
        return;
      }
      case NT_FILE: {
        if (n.descSize < 16) {
          noteWarning("NT_FILE note too short; ignored");
          return;
        }
        uint64_t count = loadAt<uint64_t>(n.desc), pageSize = loadAt<uint64_t>(n.desc + 8);
        uint64_t fit = (n.descSize - 16) / 24;
        if (count > fit || count > kMaxFileEntries) {
          noteWarning(fmt::format("NT_FILE claims {} entries but has room for {}; ignored", count, fit));
          return;
        }
        // The kernel counts offsets in pages of page_size 4096; gdb writes page_size 1 and bytes.
        if (pageSize == 0 || pageSize > (uint64_t{1} << 30)) {
          noteWarning(fmt::format("NT_FILE has implausible page size {}; ignored", pageSize));
          return;
        }
        const uint8_t* names = n.desc + 16 + count * 24;
        const uint8_t* namesEnd = n.desc + n.descSize;
        size_t skipped = 0;
        for (uint64_t i = 0; i < count; ++i) {
          const uint8_t* q = n.desc + 16 + i * 24;
          uint64_t s = loadAt<uint64_t>(q), en = loadAt<uint64_t>(q + 8), pg = loadAt<uint64_t>(q + 16);
          const uint8_t* z =
              names < namesEnd ? static_cast<const uint8_t*>(std::memchr(names, 0, namesEnd - names)) : nullptr;
          if (!z) {
            skipped += count - i;
            break;
          }
          std::string name(reinterpret_cast<const char*>(names), z - names);
          names = z + 1;
          if (s >= en || pg > std::numeric_limits<uint64_t>::max() / pageSize ||
              pg * pageSize + (en - s) < pg * pageSize) {
            ++skipped;
            continue;
          }
          sum.files.push_back(RawFile{s, en, pg * pageSize, std::move(name)});
        }
        if (skipped) noteWarning(fmt::format("NT_FILE: ignored {} malformed entries", skipped));
        return;
      }
      default: return;
    }
  };

  for (const auto& ph : notes) {
    uint64_t off = ph.p_offset, len = ph.p_filesz;
    if (off >= coreSize) {
      sum.intact = false;
      noteWarning(fmt::format("note segment at core offset {} is past the end of the truncated core", off));
      continue;
    }
    if (len > coreSize - off) {
      sum.intact = false;
      noteWarning(fmt::format("note segment at core offset {} is cut short by truncation ({} of {} bytes)", off,
                              coreSize - off, len));
      len = coreSize - off;
    }
    std::optional<size_t> bad;
    forEachNote(core + off, static_cast<size_t>(len), 4, onNote, &bad);
    if (bad)
      noteWarning(fmt::format("note at core offset {} runs past the end of its segment; it and the notes after "
                              "it are ignored", off + *bad));
  }
  return sum;
}

}  // namespace pyhang

#!/usr/bin/env python3
"""Builds the committed seed corpora of the fuzzers from real memory and real files.

    make_seed.py [--fuzz-build DIR] [--only readers,linetable,core] [--out fuzz/corpus]

readers    runs fuzz/seed_target.py and two tutorial scenarios under every interpreter found
           (pyenv 3.8-3.13, /usr/bin/python3.11, the Debian 3.13/3.14 in ~/.cache/pyhang-pythons),
           and lets fuzz_readers record the bytes the readers touch in the live process
           (PYHANG_FUZZ_RECORD_PID): each seed is a real image of _PyRuntime, interpreters,
           thread states, frames, code objects, types, strings, dicts...
linetable  line tables and exception tables of real code objects, from tests/data/linetable.
core       a crafted minimal x86_64 ELF core (PT_NOTE + PT_LOAD, every note type the reader
           parses) plus gzip/xz/zstd/lz4 copies, and a gcore of a hung Python program shrunk to
           the pages the readers touch (fuzz_core's PYHANG_FUZZ_CORE_RECORD mode).

Run it with any Python 3.8+ (e.g. /root/.pyenv/versions/3.12.1/bin/python3), as root (ptrace).
"""
import argparse
import gzip
import lzma
import os
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
FUZZ = REPO / "fuzz"


def interpreters():
    """(id, path) of every interpreter that exists here."""
    found = []
    pyenv = Path(os.environ.get("PYENV_ROOT", "/root/.pyenv")) / "versions"
    for v in ("3.8.18", "3.9.18", "3.10.13", "3.11.7", "3.12.1", "3.13.0"):
        p = pyenv / v / "bin" / "python3"
        if p.exists():
            found.append((v, p))
    if Path("/usr/bin/python3.11").exists():
        found.append(("deb-3.11", Path("/usr/bin/python3.11")))
    cache = Path(os.environ.get("PYHANG_PYTHONS", Path.home() / ".cache" / "pyhang-pythons"))
    for sub, exe, vid in (("trixie313", "python3.13", "deb-3.13"), ("sid314", "python3.14", "deb-3.14")):
        p = cache / sub / "usr" / "bin" / exe
        if p.exists():
            found.append((vid, p))
    return found


def all_asleep(pid):
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/stat") as f:
                state = f.read().rsplit(")", 1)[1].split()[0]
            if state not in ("S", "D"):
                return False
        return True
    except OSError:
        return False


class Hung:
    """A program started in its own process group, waited for until READY and asleep."""

    def __init__(self, python, script, timeout=30):
        self.proc = subprocess.Popen([str(python), str(script)], stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
                                     start_new_session=True, text=True)
        deadline = time.time() + timeout
        self.pid = None
        while time.time() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                break
            if line.startswith("READY"):
                self.pid = int(line.split()[1])
                break
        if self.pid is None:
            self.close()
            raise RuntimeError(f"{script} under {python} never printed READY")
        while time.time() < deadline and not all_asleep(self.pid):
            time.sleep(0.05)
        time.sleep(0.2)

    def close(self):
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except OSError:
            pass
        self.proc.wait()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


# ---- readers ---------------------------------------------------------------------------------

def make_readers(fuzz_build, out):
    binary = fuzz_build / "fuzz_readers"
    out.mkdir(parents=True, exist_ok=True)
    programs = [("target", FUZZ / "seed_target.py"),
                ("lockorder", REPO / "tests/scenarios/threads_lock_order.py"),
                ("gcqueue", REPO / "tests/scenarios/queue_gc_reentrancy.py")]
    for vid, python in interpreters():
        for name, script in programs:
            if not script.exists():
                continue
            # The big target for every interpreter; the scenarios for a few, to keep the corpus small.
            if name != "target" and vid not in ("3.8.18", "3.12.1", "deb-3.14"):
                continue
            dest = out / f"{vid}-{name}"
            try:
                with Hung(python, script) as h:
                    env = dict(os.environ, PYHANG_FUZZ_RECORD_PID=str(h.pid),
                               PYHANG_FUZZ_RECORD_OUT=str(dest))
                    r = subprocess.run([str(binary)], env=env, capture_output=True, text=True, timeout=120)
                print(f"readers: {vid} {name}: {(r.stderr.strip().splitlines() or ['?'])[-1]}")
            except (RuntimeError, subprocess.SubprocessError) as e:
                print(f"readers: {vid} {name}: skipped: {e}")


# ---- linetable -------------------------------------------------------------------------------

def make_linetable(out, per_file=6):
    out.mkdir(parents=True, exist_ok=True)
    formats = {"lnotab": 0, "linetable310": 1, "location": 2}
    for vec in sorted((REPO / "tests/data/linetable").glob("*.txt")):
        fmt = None
        codes = []
        cur = None
        for line in vec.read_text().splitlines():
            parts = line.split()
            if not parts:
                continue
            if parts[0] == "format":
                fmt = formats.get(parts[1])
            elif parts[0] == "C" and len(parts) >= 5:
                cur = {"first": int(parts[2]), "size": int(parts[3]), "table": b"" if parts[4] == "-" else bytes.fromhex(parts[4]), "x": b""}
                codes.append(cur)
            elif parts[0] == "X" and cur is not None and len(parts) > 1 and parts[1] != "-":
                cur["x"] = bytes.fromhex(parts[1])
        if fmt is None:
            continue
        # The biggest tables and the ones with exception tables are the interesting ones.
        chosen = sorted(codes, key=lambda c: (len(c["x"]) > 0, len(c["table"])), reverse=True)[:per_file]
        for i, c in enumerate(chosen):
            header = struct.pack("<BiI", fmt | (i << 2), c["first"], c["size"] // 2)
            (out / f"{vec.stem}-{i}-line").write_bytes(header + c["table"])
            if c["x"]:
                (out / f"{vec.stem}-{i}-exc").write_bytes(struct.pack("<BiI", 2 | (7 << 2), c["first"], 4) + c["x"])


# ---- core ------------------------------------------------------------------------------------

def note(name, ntype, desc):
    n = name.encode() + b"\0"
    pad = lambda b: b + b"\0" * (-len(b) % 4)
    return struct.pack("<III", len(n), len(desc), ntype) + pad(n) + pad(desc)


def crafted_core():
    """A minimal but complete core: one thread, two memory segments, a file-backed range."""
    stack_base, heap_base = 0x7ffd00000000, 0x555500000000
    stack = bytearray(8192)
    struct.pack_into("<QQ", stack, 4096, heap_base + 16, 0x4141414141414141)
    heap = bytearray(4096)
    heap[16:48] = b"/usr/bin/python3.11\0some heap text"
    regs = [0] * 27
    regs[16] = 0x401000                     # rip
    regs[19] = stack_base + 4096            # rsp
    regs[21] = stack_base + 6000            # fs_base
    prstatus = bytearray(336)
    struct.pack_into("<h", prstatus, 12, 19)   # pr_cursig SIGSTOP
    struct.pack_into("<i", prstatus, 32, 4242)  # pr_pid
    struct.pack_into("<27Q", prstatus, 112, *regs)
    prpsinfo = bytearray(136)
    prpsinfo[1] = ord("S")
    struct.pack_into("<ii", prpsinfo, 24, 4242, 1)
    prpsinfo[40:56] = b"python3.11".ljust(16, b"\0")
    prpsinfo[56:136] = b"python3.11 hung.py --flag".ljust(80, b"\0")
    siginfo = struct.pack("<iii", 19, 0, 0) + b"\0" * 116
    auxv = struct.pack("<QQQQQQ", 9, 0x401000, 3, 0x400040, 0, 0)  # AT_ENTRY, AT_PHDR, AT_NULL
    files = [(0x400000, 0x402000, 0, "/usr/bin/python3.11"),
             (heap_base + 0x10000, heap_base + 0x11000, 0, "/dev/shm/segment"),
             (0x7f0000000000, 0x7f0000001000, 2, "/nonexistent/libpython3.11.so.1.0 (deleted)")]
    nt_file = struct.pack("<QQ", len(files), 4096)
    for s, e, pg, _ in files:
        nt_file += struct.pack("<QQQ", s, e, pg)
    nt_file += b"".join(p.encode() + b"\0" for *_, p in files)
    notes = (note("CORE", 1, bytes(prstatus)) + note("CORE", 3, bytes(prpsinfo)) +
             note("CORE", 0x53494749, siginfo) + note("CORE", 6, auxv) + note("CORE", 0x46494c45, nt_file) +
             note("GDB", 0x203, b"<target>x86_64</target>"))
    phnum = 5
    ehsize, phentsize = 64, 56
    off = ehsize + phnum * phentsize
    layout = []
    note_off = off
    off += len(notes)
    off += -off % 4096
    stack_off = off
    off += len(stack)
    heap_off = off
    off += len(heap)
    ph = b""
    ph += struct.pack("<IIQQQQQQ", 4, 4, note_off, 0, 0, len(notes), 0, 4)                       # PT_NOTE
    ph += struct.pack("<IIQQQQQQ", 1, 6, stack_off, stack_base, 0, len(stack), len(stack), 4096)  # rw stack
    ph += struct.pack("<IIQQQQQQ", 1, 6, heap_off, heap_base, 0, len(heap), len(heap) + 8192, 4096)
    ph += struct.pack("<IIQQQQQQ", 1, 5, off, 0x400000, 0, 0, 0x2000, 4096)                       # text, not dumped
    ph += struct.pack("<IIQQQQQQ", 1, 4, off, 0x7f0000000000, 0, 0, 0x1000, 4096)
    ident = b"\x7fELF" + bytes([2, 1, 1, 0]) + b"\0" * 8
    eh = ident + struct.pack("<HHIQQQIHHHHHH", 4, 62, 1, 0, ehsize, 0, 0, ehsize, phentsize, phnum, 64, 0, 0)
    body = bytearray(eh + ph + notes)
    body += b"\0" * (stack_off - len(body))
    body += stack + heap
    return bytes(body)


def read_phdrs(data):
    phoff, = struct.unpack_from("<Q", data, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", data, 0x36)
    if phnum == 0xFFFF:
        shoff, = struct.unpack_from("<Q", data, 0x28)
        phnum, = struct.unpack_from("<I", data, shoff + 0x2C)
    return [struct.unpack_from("<IIQQQQQQ", data, phoff + i * phentsize) for i in range(phnum)]


def shrink_core(data, ranges):
    """Keeps the notes and only the dumped bytes inside `ranges` (sorted (lo, hi) pairs)."""
    notes, loads = [], []
    for p_type, flags, offset, vaddr, _paddr, filesz, memsz, align in read_phdrs(data):
        if p_type == 4:
            notes.append((data[offset:offset + filesz], align))
        elif p_type == 1 and filesz:
            for lo, hi in ranges:
                a, b = max(lo, vaddr), min(hi, vaddr + filesz)
                if a < b:
                    loads.append((a, flags, data[offset + a - vaddr:offset + b - vaddr]))
    phnum = len(notes) + len(loads)
    off = 64 + phnum * 56
    ph, body = b"", b""
    for blob, align in notes:
        ph += struct.pack("<IIQQQQQQ", 4, 0, off + len(body), 0, 0, len(blob), 0, align or 4)
        body += blob
    body += b"\0" * (-(off + len(body)) % 4096)
    for vaddr, flags, blob in loads:
        ph += struct.pack("<IIQQQQQQ", 1, flags, off + len(body), vaddr, 0, len(blob), len(blob), 4096)
        body += blob
    eh = bytearray(data[:64])
    struct.pack_into("<Q", eh, 0x28, 0)                  # no section headers
    struct.pack_into("<HHHH", eh, 0x36, 56, phnum, 64, 0)
    struct.pack_into("<H", eh, 0x3E, 0)
    return bytes(eh) + ph + body


def make_core(fuzz_build, out, max_bytes=1 << 20):
    out.mkdir(parents=True, exist_ok=True)
    crafted = crafted_core()
    (out / "crafted").write_bytes(crafted)
    (out / "crafted.gz").write_bytes(gzip.compress(crafted))
    (out / "crafted.xz").write_bytes(lzma.compress(crafted))
    src = str(out / "crafted")
    for tool, argv in (("zstd", ["zstd", "-q", "-f", src, "-o", src + ".zst"]),
                       ("lz4", ["lz4", "-q", "-f", src, src + ".lz4"])):
        if shutil.which(tool):
            subprocess.run(argv, check=False)
    # Truncated inside the notes and inside the data: the reader must warn, not fail.
    (out / "crafted-truncated").write_bytes(crafted[:700])
    if not shutil.which("gcore"):
        print("core: gcore not found: no real core seed")
        return
    python = Path("/usr/bin/python3.11")
    if not python.exists():
        python = interpreters()[0][1]
    with tempfile.TemporaryDirectory() as tmp:
        with Hung(python, REPO / "tests/scenarios/threads_lock_order.py") as h:
            subprocess.run(["gcore", "-o", f"{tmp}/core", str(h.pid)], capture_output=True, timeout=120)
            core = Path(f"{tmp}/core.{h.pid}")
        if not core.exists():
            print("core: gcore failed")
            return
        env = dict(os.environ, PYHANG_FUZZ_CORE_RECORD=str(core))
        r = subprocess.run([str(fuzz_build / "fuzz_core")], env=env, capture_output=True, text=True, timeout=300)
        if r.returncode != 0:
            print(f"core: recording failed: {r.stderr.strip()[-500:]}")
            return
        ranges = [tuple(int(x, 16) for x in line.split()) for line in r.stdout.split("\n") if line.strip()]
        small = shrink_core(core.read_bytes(), ranges)
        print(f"core: gcore of threads_lock_order.py ({python}): {core.stat().st_size} bytes, "
              f"{len(ranges)} touched ranges, shrunk to {len(small)} bytes")
        if len(small) <= max_bytes:
            (out / "gcore-lockorder-py311").write_bytes(small)
        else:
            print("core: the shrunk core is still too big; not kept")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--fuzz-build", default=str(REPO / "build-fuzz"))
    ap.add_argument("--only", default="readers,linetable,core")
    ap.add_argument("--out", default=str(FUZZ / "corpus"))
    args = ap.parse_args()
    only = set(args.only.split(","))
    out = Path(args.out)
    build = Path(args.fuzz_build)
    if "linetable" in only:
        make_linetable(out / "linetable")
    if "readers" in only:
        make_readers(build, out / "readers")
    if "core" in only:
        make_core(build, out / "core")


if __name__ == "__main__":
    sys.exit(main())

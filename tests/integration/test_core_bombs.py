"""Compressed cores cannot fill the disk: pyhang checks what it decompresses as it goes.

Each "bomb" is a small .zst/.xz/.lz4/.gz file that inflates to hundreds of megabytes of zeros,
behind no header, an ELF core header whose program headers claim a terabyte, or a plausible
header that describes only a few kilobytes. pyhang runs with RLIMIT_FSIZE set well below the
inflated size: had it written more than the limit to its temporary file, the kernel would have
killed it with SIGXFSZ. Each bomb is refused (exit 8) or cut where the core ends, with a clear
message.
"""
from __future__ import annotations

import resource
import struct
import subprocess

import pytest

EXIT_BAD_CORE = 8
MB = 1 << 20
COMPRESSORS = {
    "zstd": ["zstd", "-q", "-1", "-c"],
    "xz": ["xz", "-q", "-0", "-T1", "-c"],
    "lz4": ["lz4", "-q", "-1", "-c"],
    "gzip": ["gzip", "-q", "-1", "-c"],
}


def elf_core_header(phdrs) -> bytes:
    """An x86_64 ET_CORE ELF header followed by ``phdrs`` [(type, offset, filesz)]."""
    ident = b"\x7fELF" + bytes([2, 1, 1]) + bytes(9)
    ehdr = ident + struct.pack("<HHIQQQIHHHHHH", 4, 62, 1, 0, 64, 0, 0, 64, 56, len(phdrs), 64, 0, 0)
    body = b"".join(struct.pack("<IIQQQQQQ", t, 4, off, 0, 0, size, size, 0) for t, off, size in phdrs)
    return ehdr + body


def make_bomb(tmp_path, tool: str, header: bytes, zeros_mb: int):
    path = tmp_path / f"bomb.{tool}"
    with open(path, "wb") as out:
        comp = subprocess.Popen(COMPRESSORS[tool], stdin=subprocess.PIPE, stdout=out)
        comp.stdin.write(header)
        chunk = bytes(MB)
        for _ in range(zeros_mb):
            comp.stdin.write(chunk)
        comp.stdin.close()
        assert comp.wait() == 0
    assert path.stat().st_size < zeros_mb * MB // 50  # small on disk, large inflated
    return path


def run_limited(pyhang, tmp_path, *args, fsize: int):
    """pyhang with files limited to ``fsize`` bytes (SIGXFSZ past it) and its own TMPDIR."""
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir(exist_ok=True)

    def limit():
        resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))

    r = subprocess.run([pyhang, *map(str, args)], stdin=subprocess.DEVNULL, capture_output=True, text=True,
                       errors="replace", timeout=120, preexec_fn=limit, env={"TMPDIR": str(tmpdir), "PATH": "/usr/bin:/bin"})
    assert list(tmpdir.iterdir()) == []  # nothing left behind
    return r


@pytest.mark.parametrize("tool", list(COMPRESSORS))
def test_not_an_elf_core_is_refused_at_once(pyhang, tmp_path, tool):
    bomb = make_bomb(tmp_path, tool, b"", 200)
    r = run_limited(pyhang, tmp_path, "core", bomb, fsize=MB)
    assert r.returncode == EXIT_BAD_CORE, r
    assert r.stderr.splitlines()[0] == (f"pyhang: decompressing {bomb}: {bomb} is not an ELF core: its decompressed "
                                        f"data does not start with the ELF magic"), r.stderr


@pytest.mark.parametrize("tool", list(COMPRESSORS))
def test_program_headers_claiming_a_terabyte_are_refused(pyhang, tmp_path, tool):
    header = elf_core_header([(4, 176, 0), (1, 4096, 1 << 40)])  # PT_NOTE, PT_LOAD of 1 TiB
    bomb = make_bomb(tmp_path, tool, header, 64)
    r = run_limited(pyhang, tmp_path, "core", bomb, fsize=MB)
    assert r.returncode == EXIT_BAD_CORE, r
    first = r.stderr.splitlines()[0]
    assert first.startswith(f"pyhang: decompressing {bomb}: {bomb} would need {(1 << 40) + 4096} bytes once "
                            f"decompressed (so its program headers say), more than pyhang allows itself in "), first
    assert "set TMPDIR to a directory with more room" in first


@pytest.mark.parametrize("tool", list(COMPRESSORS))
def test_decompression_stops_where_the_core_ends(pyhang, tmp_path, tool):
    """Program headers describing 8 KiB, then 64 MB more: at most 1 MiB past the 8 KiB is
    written, and the core is then read (and found to be no Python process's)."""
    header = elf_core_header([(4, 176, 0), (1, 4096, 4096)])
    bomb = make_bomb(tmp_path, tool, header, 64)
    r = run_limited(pyhang, tmp_path, "core", bomb, fsize=2 * MB)
    assert r.returncode in (5, EXIT_BAD_CORE), r  # not killed by SIGXFSZ
    assert r.stderr.startswith("pyhang: "), r.stderr

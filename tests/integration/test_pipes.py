"""Hangs through a full pipe, across processes, on every interpreter.

A thread blocked in write(2) on a full pipe waits for a process that holds the pipe's read end:
the kernel's wait channel and /proc/PID/task/TID/syscall give the fd, /proc/PID/fd the pipe's
inode and every reader. Two documented pitfalls close a cycle that way:

* multiprocessing ("Joining processes that use queues"): a parent joins a child before reading
  the multiprocessing.Queue the child put data on; the child's feeder thread is blocked writing
  into the full pipe and the child does not exit before it has flushed it;
* subprocess: Popen.wait() on a child started with stdout=PIPE that writes more than the pipe
  holds (the child is head(1), a process pyhang shows from /proc, or Python).

Controls: the reader only sleeps (it will read later), communicate() reads while it waits.
Cores carry no file descriptors, so these are live-only diagnoses.
"""
from __future__ import annotations

import re
import time

import pytest

from conftest import PROGRAMS_DIR, hung_program, run_pyhang
from process_helpers import line_of, only_finding, parent_and_child, read_hang


QUEUE = PROGRAMS_DIR / "mp_queue_join_before_get.py"


@pytest.mark.parametrize("method", ["fork", "spawn", "forkserver"])
def test_queue_joined_before_it_is_read(pyhang, python, method):
    pid, doc, rc, text = read_hang(pyhang, python, QUEUE, method)
    assert rc == 1, text.stdout
    f = only_finding(doc, "full-pipe")
    parts = {(p["pid"] == pid, p["thread"]): p for p in f["participants"]}
    assert set(parts) == {(True, "MainThread"), (False, "MainThread"), (False, "QueueFeederThread")}
    parent = parts[(True, "MainThread")]
    assert parent["at"] == {"file": str(QUEUE), "line": line_of(QUEUE, "child.join()"), "function": "<module>"}
    assert parent["waits_for"]["operation"] == "join"
    child = parts[(False, "MainThread")]
    feeder = parts[(False, "QueueFeederThread")]
    assert child["process"] == feeder["process"] == "producer"
    assert child["pid"] == feeder["pid"] != pid
    assert child["waits_for"]["operation"] == "join"
    assert child["waits_for"]["thread"]["name"] == "QueueFeederThread"
    assert feeder["waits_for"]["operation"] == "pipe-write"
    assert feeder["at"]["function"] == "_send" and feeder["at"]["file"].endswith("multiprocessing/connection.py")
    out = text.stdout
    assert "Found a deadlock (full pipe) between 2 processes:" in out
    assert f"waits for process producer (pid {child['pid']}) to exit" in out
    assert "thread QueueFeederThread waits for room in a full pipe (pipe:[" in out
    assert f"which only process MainProcess (pid {pid}) thread MainThread (fd " in out
    assert "\"Joining processes that use queues\"" in out
    assert "Verdict: DEADLOCK (full-pipe): 2 processes wait for each other through a full pipe." in out
    # multiprocessing's helper processes are named after what they run, not "MainProcess".
    if method != "fork":  # fork starts no resource tracker for a Queue
        assert re.search(r"^Process \d+ \[resource tracker\]: ", out, re.M), out
    if method == "forkserver":
        assert re.search(r"^Process \d+ \[forkserver\]: ", out, re.M), out
    # The feeder's own frame says what it waits for.
    assert ">>> waiting for room in a full pipe (pipe:[" in out


def test_queue_without_children_names_the_flag(pyhang, python):
    """Without --children the parent's wait says how to include the child; no finding."""
    pid, doc, rc, text = read_hang(pyhang, python, QUEUE, children=False)
    assert rc == 0
    assert doc["diagnosis"]["verdict"] == "no-deadlock"
    assert "[pid " in text.stdout and "add --children" in text.stdout


WAIT = PROGRAMS_DIR / "subprocess_wait_full_pipe.py"


@pytest.mark.parametrize("child_kind", ["head", "python"])
def test_popen_wait_with_stdout_pipe(pyhang, python, child_kind):
    pid, doc, rc, text = read_hang(pyhang, python, WAIT, child_kind)
    assert rc == 1, text.stdout
    f = only_finding(doc, "full-pipe")
    parent, child = parent_and_child(f, pid)
    assert parent["thread"] == "MainThread"
    assert parent["at"] == {"file": str(WAIT), "line": line_of(WAIT, "child.wait()"), "function": "<module>"}
    assert parent["waits_for"]["operation"] == "join"
    assert child["waits_for"]["operation"] == "pipe-write"
    assert child["waits_for"]["how"] == "write()"
    assert child["waits_for"]["pipe_inode"] > 0
    out = text.stdout
    if child_kind == "head":
        # A process that is not Python: shown from /proc, named after its command.
        assert child["thread"] == "head" and child["tid"] == child["pid"]
        assert child["at"] == {"file": "", "function": "", "line": 0}
        assert f"process head (pid {child['pid']}) thread head waits for room in a full pipe (pipe:[" in out
        assert "running: head -c 1000000 /dev/zero" in out
        assert f"waits for process head (pid {child['pid']}) to exit" in out
        proc = next(p for p in doc["processes"] if p["pid"] == child["pid"])
        assert proc["is_python"] is False and proc["command_line"] == "head -c 1000000 /dev/zero"
    else:
        assert child["thread"] == "MainThread"
        assert child["at"] == {"file": "<string>", "line": 2, "function": "<module>"}
    assert "its fd 1)" in out
    assert f"which only process main (pid {pid}) thread MainThread (fd " in out
    assert "use Popen.communicate(), which reads while it waits." in out


STDIN = PROGRAMS_DIR / "subprocess_stdin_stdout_full.py"


def test_popen_stdin_write_while_stdout_fills(pyhang, python):
    """Two full pipes: the parent blocks writing the child's stdin, the child (cat) blocks writing the
    stdout the parent does not read."""
    pid, doc, rc, text = read_hang(pyhang, python, STDIN)
    assert rc == 1, text.stdout
    f = only_finding(doc, "full-pipe")
    parent, child = parent_and_child(f, pid)
    line = line_of(STDIN, "child.stdin.write(")
    assert parent["at"] == {"file": str(STDIN), "line": line, "function": "<module>"}
    assert parent["waits_for"]["operation"] == "pipe-write"
    assert child["thread"] == "cat" and child["waits_for"]["operation"] == "pipe-write"
    assert f["fix"] == (f"use communicate(input=...) instead of writing the child's stdin at subprocess_stdin_stdout_full.py:{line}: "
                        "it writes the input and reads the output together (or write stdin from another thread).")
    assert "which only process cat (pid " in text.stdout


STDIN_OPEN = PROGRAMS_DIR / "subprocess_wait_stdin_open.py"


@pytest.mark.parametrize("child_kind,children", [("cat", True), ("python", True), ("aio", True), ("aio", False)],
                         ids=["cat", "python", "aio", "aio-no-children"])
def test_wait_on_a_child_reading_the_stdin_left_open(pyhang, python, child_kind, children):
    """Popen.wait() (or asyncio's await proc.wait()) while the parent still holds the child's stdin:
    the child (cat, a process that is not Python, or Python) reads until an end of file that only
    the waiting parent could give. Without --children, cat is shown from /proc: the child that
    the loop's pidfd watch (3.12+) or its waitpid() thread waits for."""
    pid, doc, rc, text = read_hang(pyhang, python, STDIN_OPEN, child_kind, children=children)
    assert rc == 1, text.stdout
    f = only_finding(doc, "read-cycle")
    parent, child = parent_and_child(f, pid)
    assert parent["waits_for"]["operation"] == "join"
    assert child["waits_for"]["operation"] == "pipe-read"
    out = text.stdout
    if child_kind == "aio":
        # Before 3.12 asyncio's waitpid() thread is the parent's participant, and the loop's
        # thread is stuck behind it.
        loop = next(p for p in f["participants"] + f.get("bystanders", []) if p["pid"] == pid and p["thread"] == "MainThread")
        assert loop["waits_for"]["operation"] == "join"
        line = line_of(STDIN_OPEN, "await proc.wait()  # LINE")
        assert "to exit (asyncio's child watcher: its event loop waits for nothing else)" in out
        assert f["fix"] == (f"close the child's stdin before `await proc.wait()` at subprocess_wait_stdin_open.py:{line} "
                            "(proc.stdin.close(); await proc.stdin.wait_closed()), or use `await proc.communicate(input)`, "
                            "which closes it.")
    else:
        assert parent["thread"] == "MainThread"
        assert parent["at"] == {"file": str(STDIN_OPEN), "line": line_of(STDIN_OPEN, "child.wait()"), "function": "<module>"}
        assert "Popen's stdin before wait()" in f["fix"]
    if child_kind == "cat":
        assert child["thread"] == "cat"


def test_asyncio_wait_on_a_child_whose_stdin_a_task_feeds_is_not_a_deadlock(pyhang, python):
    """The control: a task still writes into cat's stdin every 30 s (a timer of the loop)."""
    pid, doc, rc, text = read_hang(pyhang, python, PROGRAMS_DIR / "aio_subprocess_stdin_fed.py")
    assert rc == 0, text.stdout
    assert doc["diagnosis"]["findings"] == []


AIO_WAIT = PROGRAMS_DIR / "aio_subprocess_wait_full_pipe.py"


def test_asyncio_proc_wait_with_stdout_pipe(pyhang, python):
    """asyncio's own pitfall: await proc.wait() on a child with stdout=PIPE that writes more than the
    pipe and the StreamReader buffer hold. The event loop watches only for the child's exit (a
    pidfd, or a waitpid() thread before 3.12), and the child waits for room in the pipe."""
    pid, doc, rc, text = read_hang(pyhang, python, AIO_WAIT, "head")
    assert rc == 1, text.stdout
    kinds = [f["kind"] for f in doc["diagnosis"]["findings"]]
    # Before 3.12 the loop's thread is stuck behind the waitpid() thread, and the loop itself has
    # nothing left to run: a second finding says so.
    assert kinds in (["full-pipe"], ["full-pipe", "all-blocked"]), doc["diagnosis"]
    f = doc["diagnosis"]["findings"][0]
    child = next(p for p in f["participants"] if p["pid"] != pid)
    assert child["thread"] == "head" and child["waits_for"]["operation"] == "pipe-write"
    parent = next(p for p in f["participants"] + f.get("bystanders", []) if p["pid"] == pid and p["thread"] == "MainThread")
    assert parent["waits_for"]["operation"] == "join"
    line = line_of(AIO_WAIT, "await proc.wait()")
    out = text.stdout
    assert "to exit (asyncio's child watcher: its event loop waits for nothing else)" in out
    assert f'awaits proc.wait() at aio_subprocess_wait_full_pipe.py:{line} in main, and no task reads the child\'s pipe' in out
    assert (f"Fix: use `await proc.communicate()` instead of `await proc.wait()` at aio_subprocess_wait_full_pipe.py:{line}"
            in out)
    assert f["fix"].startswith("use `await proc.communicate()` instead of `await proc.wait()`")


def test_asyncio_proc_wait_on_a_sleeping_child_is_not_a_deadlock(pyhang, python):
    """The control: the same wait on a child that only sleeps."""
    pid, doc, rc, text = read_hang(pyhang, python, AIO_WAIT, "sleep")
    assert rc == 0, text.stdout
    assert doc["diagnosis"]["findings"] == []


def test_full_pipe_whose_reader_sleeps_is_not_a_deadlock(pyhang, python):
    pid, doc, rc, text = read_hang(pyhang, python, PROGRAMS_DIR / "pipe_full_reader_sleeps.py")
    assert rc == 0
    assert doc["diagnosis"]["verdict"] == "no-deadlock", doc["diagnosis"]
    assert "thread head waits for room in a full pipe (pipe:[" in text.stdout
    # The reader's note: sleeping (3.11+), select() before 3.11 (time.sleep used select then).
    assert re.search(r"thread MainThread (is sleeping|waits in select)", text.stdout), text.stdout


def test_communicate_is_not_a_deadlock(pyhang, python):
    pid, doc, rc, text = read_hang(pyhang, python, PROGRAMS_DIR / "subprocess_communicate.py")
    assert rc == 0
    assert doc["diagnosis"]["verdict"] == "no-deadlock", doc["diagnosis"]
    assert "full pipe" not in text.stdout


def test_a_blocked_write_is_not_cut_short(pyhang, python):
    """Harmless: interrupting a write(2) that has moved some bytes makes it return a short count
    (os.write does not retry, the child would go on and exit). pyhang leaves such a thread running,
    so after several reads the child still waits in the same write."""
    with hung_program(python, WAIT, "python") as prog:
        (child,) = [p for p in prog.members() if p != prog.pid]
        for args in ((), ("--native",), ("--json",)):
            r = run_pyhang(pyhang, "remote", prog.pid, "--children", *args)
            assert r.returncode == 1, r.stdout + r.stderr
        with open(f"/proc/{child}/wchan") as f:
            assert "pipe_write" in f.read()
        r = run_pyhang(pyhang, "remote", prog.pid, "--children", "--native")
        assert "the thread was not stopped: it is blocked writing into a full pipe" in r.stdout
        assert "Found a deadlock (full pipe)" in r.stdout


SELF_CONNECT = PROGRAMS_DIR / "c2_hang_unix_self_connect.py"


# One worker runs this test on every interpreter in turn: a connection waiting in a Unix
# listener's queue has no inode, so the read is conclusive only while no other listener on the
# machine has a connection waiting (the same program on another interpreter would have one).
@pytest.mark.xdist_group("unix-self-connect")
def test_connect_to_own_unix_listener_nobody_accepts(pyhang, python):
    """A service connects to its own control socket (multiprocessing.connection.Client with an
    authkey) before starting the thread that accepts on it: all-blocked (live)."""
    with hung_program(python, SELF_CONNECT) as prog:
        # The other worker's tests may hold a listener with a connection waiting for a moment
        # (then no read of a queued Unix connection is conclusive, and pyhang says no deadlock):
        # read again, a few times, for a quiet moment.
        for _ in range(5):
            r = run_pyhang(pyhang, "remote", prog.pid)
            if r.returncode != 0:
                break
            time.sleep(1)
    out = r.stdout
    assert r.returncode == 1, out + r.stderr
    line = line_of(SELF_CONNECT, "# LINE:self_connect")
    assert "Verdict: DEADLOCK (all-blocked)" in out, out
    assert ("the other end not accepted yet: it waits in the accept queue of this process's Unix socket "
            in out), out
    assert "which only its own process could accept (its listening socket, fd " in out, out
    assert (f"before connecting to it at c2_hang_unix_self_connect.py:{line}: the connection waits in the "
            "listener's queue, and no thread of this process will accept it." in out), out

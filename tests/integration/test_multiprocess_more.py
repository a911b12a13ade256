"""More hangs across processes, on every interpreter: ProcessPoolExecutor, multiprocessing.Pool,
Manager, Queue, Barrier, Condition, the three start methods, and controls.

Each program is started once per interpreter and read with `--children` (JSON and text). The
tests assert the finding kind, every participant (pid, process name, thread, file/line/function,
what it waits for and the program's name for it), and the exit status. The library's service
threads and processes (a Pool's handler threads, an executor's manager thread, the forkserver, the
resource tracker) wait only for the program's threads: they are named in the text of an
all-blocked finding and are not participants.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from conftest import PROGRAMS_DIR, hung_program, pyhang_json, run_pyhang, take_gcore
from process_helpers import marker_line as line_of, only_finding, read_hang


def default_method(python) -> str:
    """multiprocessing's default start method on Linux: fork, forkserver from 3.14."""
    return "ForkServer" if python.version >= (3, 14) else "Fork"


def at(script: Path, marker: str, function: str) -> dict:
    return {"file": str(script), "line": line_of(script, marker), "function": function}


def by_process(finding) -> dict:
    parts = {}
    for p in finding["participants"]:
        assert (p["process"], p["thread"]) not in parts
        parts[(p["process"], p["thread"])] = p
    return parts


def check_parent(part, pid, script, marker, operation):
    assert part["pid"] == pid and part["process"] == "MainProcess" and part["thread"] == "MainThread"
    assert part["at"] == at(script, marker, "<module>")
    assert part["waits_for"]["operation"] == operation and part["waits_for"]["timeout"] is False


def check_services_named(text, python, *threads):
    block = text.stdout[text.stdout.index("Found a hang (all threads blocked)"):]
    line = next(s for s in block.splitlines() if "service threads wait only for the above" in s)
    for t in threads:
        assert t in line, line
    if python.version >= (3, 14):  # forkserver start method: its server and the resource tracker
        assert "(the multiprocessing forkserver)" in text.stdout
        assert "(the multiprocessing resource tracker)" in text.stdout


# --------------------------------------------------------------------------------------------
# concurrent.futures.ProcessPoolExecutor


def test_ppe_event_never_set(pyhang, python):
    """The worker waits for an Event nobody sets, the parent in future.result(): all blocked."""
    script = PROGRAMS_DIR / "mp_ppe_event_never_set.py"
    pid, doc, rc, text = read_hang(pyhang, python, script)
    assert rc == 1
    f = only_finding(doc, "all-blocked")
    parts = by_process(f)
    worker = f"{default_method(python)}Process-1"
    assert set(parts) == {("MainProcess", "MainThread"), ("MainProcess", "QueueFeederThread"), (worker, "MainThread")}
    check_parent(parts[("MainProcess", "MainThread")], pid, script, "result", "future-result")
    w = parts[(worker, "MainThread")]
    assert w["pid"] != pid and w["at"] == at(script, "gate", "wait_for_gate")
    assert w["waits_for"]["operation"] == "wait" and w["waits_for"]["type"] == "multiprocessing.synchronize.Event"
    assert "gate" in w["waits_for"]["names"]
    assert not [h for h in w["holds"] if h["object"]["type"] != "_thread.lock"]  # the Condition is released
    assert f"process {worker} (pid {w['pid']}) thread MainThread waits for event gate <multiprocessing.synchronize.Event" \
        in text.stdout
    check_services_named(text, python, f"process MainProcess (pid {pid}) thread ")
    assert "waiting for results from the executor's worker processes (its manager thread)" in text.stdout


def test_ppe_lock_held_by_parent(pyhang, python):
    """The parent holds a multiprocessing.Lock while it waits for a job that needs it."""
    script = PROGRAMS_DIR / "mp_ppe_lock_held_by_parent.py"
    pid, doc, rc, text = read_hang(pyhang, python, script)
    assert rc == 1
    # The future is linked to the worker process running its work item: a join cycle.
    f = only_finding(doc, "join-cycle")
    parts = by_process(f)
    worker = f"{default_method(python)}Process-1"
    assert set(parts) == {("MainProcess", "MainThread"), (worker, "MainThread")}
    parent = parts[("MainProcess", "MainThread")]
    check_parent(parent, pid, script, "result", "future-result")
    (held,) = [h for h in parent["holds"] if h["how"] == "with"]
    assert held["since"]["line"] == line_of(script, "hold") and "books" in held["object"]["names"]
    w = parts[(worker, "MainThread")]
    assert w["at"] == at(script, "job", "locked_job")
    assert w["waits_for"]["operation"] == "acquire" and w["waits_for"]["kind"] == "semlock"
    assert "books" in w["waits_for"]["names"]
    assert w["held_by"] == f"process MainProcess (pid {pid}) thread MainThread"
    assert f"    which is held by process MainProcess (pid {pid}) thread MainThread" in text.stdout


# --------------------------------------------------------------------------------------------
# multiprocessing.Pool


def test_pool_event_never_set(pyhang, python):
    """apply_async of a task that waits for an Event nobody sets; the parent waits in get()."""
    script = PROGRAMS_DIR / "mp_pool_event_never_set.py"
    pid, doc, rc, text = read_hang(pyhang, python, script)
    assert rc == 1
    f = only_finding(doc, "all-blocked")
    parts = by_process(f)
    worker = f"{default_method(python)}PoolWorker-1"
    assert set(parts) == {("MainProcess", "MainThread"), (worker, "MainThread")}
    parent = parts[("MainProcess", "MainThread")]
    check_parent(parent, pid, script, "get", "future-result")
    assert parent["waits_for"]["type"] == "multiprocessing.pool.ApplyResult"
    w = parts[(worker, "MainThread")]
    assert w["at"] == at(script, "wait", "start_when_told") and "go" in w["waits_for"]["names"]
    assert w["waits_for"]["operation"] == "wait" and w["waits_for"]["type"] == "multiprocessing.synchronize.Event"
    handlers = ("(_handle_results)", "(_handle_tasks)", "(_handle_workers)") if python.version >= (3, 10) \
        else ("thread Thread-1", "thread Thread-2", "thread Thread-3")  # before 3.10 no target in the name
    check_services_named(text, python, *handlers)


def test_pool_lock_kept_by_earlier_task(pyhang, python):
    """A task returns with the lock still taken (acquire() without release()); the next task in
    the same worker waits for it: the SemLock records that worker's thread as its owner."""
    script = PROGRAMS_DIR / "mp_pool_lock_kept.py"
    pid, doc, rc, text = read_hang(pyhang, python, script)
    assert rc == 1
    f = only_finding(doc, "self-deadlock")
    (w,) = f["participants"]
    assert w["process"] == f"{default_method(python)}PoolWorker-1" and w["pid"] != pid and w["thread"] == "MainThread"
    assert w["at"] == at(script, "with", "take_politely")
    assert w["waits_for"]["operation"] == "acquire" and w["waits_for"]["kind"] == "semlock"
    assert w["waits_for"]["names"][0] == "lock"
    assert [(h["how"], h["object"]["kind"]) for h in w["holds"]] == [("acquire()", "semlock")]
    assert "which it already holds itself (the semaphore records this thread as its owner: an earlier " \
           "acquire() that was never released)" in text.stdout


def test_pool_lock_order(pyhang, python):
    """Two pool workers take ledger and journal in opposite order (exact participants)."""
    script = PROGRAMS_DIR / "mp_pool_lock_order.py"
    pid, doc, rc, text = read_hang(pyhang, python, script)
    assert rc == 1
    f = only_finding(doc, "lock-order-cycle")
    prefix = default_method(python)
    parts = by_process(f)
    assert set(parts) == {(f"{prefix}PoolWorker-1", "MainThread"), (f"{prefix}PoolWorker-2", "MainThread")}
    second = [n for n, s in enumerate(script.read_text().splitlines(), 1) if "# LINE:second" in s][0]
    waited = set()
    for p in parts.values():
        assert p["at"] == {"file": str(script), "line": second, "function": "post"}
        names = [n for n in p["waits_for"]["names"] if n in ("ledger", "journal")]
        assert len(names) == 1
        waited.add(names[0])
        (h,) = [h for h in p["holds"] if h["how"] == "with"]
        assert h["since"]["line"] == second - 2
    assert waited == {"ledger", "journal"}
    assert "between 2 processes" in text.stdout


# --------------------------------------------------------------------------------------------
# Queue, Barrier, Condition


# (program, the child processes that wait, marker and function of their wait, operation, type
#  and program name of what they wait for, the line of the text report)
ALL_BLOCKED_CHILDREN = {
    "mp_queue_no_producer.py": (["consumer"], "get", "consume", "queue-get", "multiprocessing.queues.Queue",
                                "jobs", "waits for an item from queue jobs <multiprocessing.queues.Queue"),
    "mp_barrier_missing_party.py": (["party-1", "party-2"], "wait", "arrive", "wait",
                                    "multiprocessing.synchronize.Barrier", "barrier",
                                    "waits at barrier barrier <multiprocessing.synchronize.Barrier"),
    "mp_condition_no_notify.py": (["listener"], "wait", "wait_for_news", "wait", "multiprocessing.synchronize.Condition",
                                  "changed", "waits on condition changed <multiprocessing.synchronize.Condition"),
}


@pytest.mark.parametrize("program", sorted(ALL_BLOCKED_CHILDREN))
def test_children_wait_for_what_nobody_will_do(pyhang, python, program):
    """A Queue without a producer, a Barrier missing a party, a Condition never notified: every
    child waits, the parent joins the first: all blocked. A Barrier's or Condition's wait()
    releases the Condition's lock, so nothing is held."""
    children, marker, function, operation, type_, name, line = ALL_BLOCKED_CHILDREN[program]
    script = PROGRAMS_DIR / program
    pid, doc, rc, text = read_hang(pyhang, python, script)
    assert rc == 1
    f = only_finding(doc, "all-blocked")
    parts = by_process(f)
    assert set(parts) == {("MainProcess", "MainThread")} | {(c, "MainThread") for c in children}
    check_parent(parts[("MainProcess", "MainThread")], pid, script, "join", "join")
    for c in children:
        p = parts[(c, "MainThread")]
        assert p["at"] == at(script, marker, function)
        assert p["waits_for"]["operation"] == operation and p["waits_for"]["type"] == type_
        assert name in p["waits_for"]["names"]
        if program != "mp_queue_no_producer.py":  # Queue.get() holds the queue's _rlock meanwhile
            assert not [h for h in p["holds"] if h["how"] == "with"]
    assert line in text.stdout


# --------------------------------------------------------------------------------------------
# Start methods


@pytest.mark.parametrize("method", ["fork", "spawn", "forkserver"])
def test_lock_order_start_methods(pyhang, python, method):
    """The same lock-order cycle under each start method. With fork the children see the
    parent's module globals (lock1/lock2); with spawn and forkserver they only know their own
    parameter names, and the semaphores are one by the inode of their /dev/shm mapping."""
    script = PROGRAMS_DIR / "mp_lock_order_start.py"
    pid, doc, rc, text = read_hang(pyhang, python, script, method)
    assert rc == 1
    f = only_finding(doc, "lock-order-cycle")
    parts = by_process(f)
    assert set(parts) == {("mover-1", "MainThread"), ("mover-2", "MainThread")}
    for name, other, waited in (("mover-1", "mover-2", "lock2"), ("mover-2", "mover-1", "lock1")):
        p = parts[(name, "MainThread")]
        assert p["at"] == at(script, "second", "transfer")
        assert p["waits_for"]["kind"] == "semlock" and p["waits_for"]["operation"] == "acquire"
        assert "second_lock" in p["waits_for"]["names"]
        if method == "fork":
            assert p["waits_for"]["names"][0] == waited
        assert p["held_by"].startswith(f"process {other} (pid ")
        (h,) = [h for h in p["holds"] if h["how"] == "with"]
        assert h["since"]["line"] == line_of(script, "first")
    (by,) = f["bystanders"]
    assert by["pid"] == pid and by["at"] == at(script, "join", "<module>")
    assert "Found a deadlock (lock-order cycle) between 2 processes:" in text.stdout


# --------------------------------------------------------------------------------------------
# Manager


def test_manager_lock_twice(pyhang, python):
    """A child takes a Manager lock twice. The lock lives in the manager's server process, but the
    child's own stack shows it: it holds the proxy through the outer `with` and waits in the inner
    one's acquire (the proxy's token names the lock across processes)."""
    script = PROGRAMS_DIR / "mp_manager_lock_twice.py"
    pid, doc, rc, text = read_hang(pyhang, python, script)
    assert rc == 1
    f = only_finding(doc, "self-deadlock")
    (part,) = f["participants"]
    assert part["process"] == "updater" and part["thread"] == "MainThread"
    assert part["at"] == at(script, "inner", "update")
    w = part["waits_for"]
    assert w["operation"] == "acquire" and w["how"] == "with" and w["kind"] == "manager-lock"
    assert "guard" in w["names"]
    holds = [h for h in part["holds"] if h["how"] == "with"]
    assert [(h["since"]["line"], h["object"]["kind"]) for h in holds] == [(line_of(script, "outer"), "manager-lock")]
    (by,) = f["bystanders"]
    assert by["pid"] == pid and by["at"] == at(script, "join", "<module>")
    assert "waits to acquire manager lock guard <multiprocessing.managers.AcquirerProxy" in text.stdout
    assert "A multiprocessing.Manager Lock is not re-entrant" in text.stdout


def test_manager_locks_in_opposite_order(pyhang, python):
    script = PROGRAMS_DIR / "mp_manager_lock_order.py"
    pid, doc, rc, text = read_hang(pyhang, python, script)
    assert rc == 1
    f = only_finding(doc, "lock-order-cycle")
    parts = by_process(f)
    assert set(parts) == {("mover-1", "MainThread"), ("mover-2", "MainThread")}
    for name, held, waited in (("mover-1", "first", "second"), ("mover-2", "first", "second")):
        p = parts[(name, "MainThread")]
        assert p["at"] == at(script, "wait", "move")
        assert p["waits_for"]["kind"] == "manager-lock" and waited in p["waits_for"]["names"]
        (h,) = [h for h in p["holds"] if h["how"] == "with"]
        assert h["since"]["line"] == line_of(script, "hold") and held in h["object"]["names"]
    # Each waits for the lock the other holds: the proxies' tokens identify them across processes.
    assert parts[("mover-1", "MainThread")]["held_by"].startswith("process mover-2 ")
    assert parts[("mover-2", "MainThread")]["held_by"].startswith("process mover-1 ")
    (by,) = f["bystanders"]
    assert by["pid"] == pid and by["at"] == at(script, "join", "<module>")
    assert "Found a deadlock (lock-order cycle) between 2 processes:" in text.stdout


# --------------------------------------------------------------------------------------------
# Controls


CONTROLS = {
    "mp_pool_computing.py": "a Pool whose workers compute while the parent waits in map()",
    "mp_manager_idle.py": "a Manager serving, idle, while the parent sleeps",
}


@pytest.mark.parametrize("program", sorted(CONTROLS))
def test_not_deadlocked(pyhang, python, program):
    pid, doc, rc, text = read_hang(pyhang, python, PROGRAMS_DIR / program)
    assert doc["diagnosis"]["verdict"] == "no-deadlock", doc["diagnosis"]
    assert rc == 0
    assert doc["diagnosis"]["findings"] == []
    assert "Verdict: no deadlock found." in text.stdout


def test_detached_process_sharing_a_semaphore_can_wake(pyhang, python):
    """The process tree waits for an Event that a detached helper (setsid, outside the tree) will
    set: it maps the Event's semaphores, so the report names it instead of a deadlock."""
    pid, doc, rc, text = read_hang(pyhang, python, PROGRAMS_DIR / "mp_event_set_by_detached_helper.py")
    assert rc == 0 and doc["diagnosis"]["findings"] == [], doc["diagnosis"]
    last = text.stdout.strip().splitlines()[-1]
    assert last.startswith("Verdict: no deadlock: every thread waits, and process "), text.stdout
    assert "which maps this program's multiprocessing semaphores and is not in this report" in last, last


# --------------------------------------------------------------------------------------------
# Several cores analysed together


def gcore_group(prog, directory: Path) -> list:
    """A gcore of every live process of the program's group, parent first."""
    members = prog.members()
    members.sort(key=lambda p: p != prog.pid)
    cores = []
    for pid in members:
        g = take_gcore(pid, directory / "core")
        core = directory / f"core.{pid}"
        assert g.returncode == 0 and core.is_file(), f"gcore {pid} failed ({g.returncode}): {g.stdout}{g.stderr}"
        cores.append(core)
    return cores


def live_and_cores(pyhang, python, script: Path, directory: Path):
    with hung_program(python, script) as prog:
        live = pyhang_json(pyhang, "remote", str(prog.pid), "--children")
        cores = gcore_group(prog, directory)
    try:
        doc, proc = pyhang_json(pyhang, "core", *cores, with_proc=True)
        text = run_pyhang(pyhang, "core", *cores)
    finally:
        for c in cores:
            c.unlink()
    return prog.pid, live, doc, proc.returncode, text


def finding_shape(doc):
    """What a diagnosis says, without addresses or kernel state: kind, participants and
    bystanders with process, pid, thread, place, operation, names of what they wait for, holds."""
    def part(p):
        return (p["pid"], p["process"], p["thread"], p["at"]["line"], p["at"]["function"],
                p["waits_for"]["operation"], tuple(sorted(p["waits_for"]["names"])),
                tuple((h["how"], h["since"]["line"]) for h in p.get("holds", ())), p.get("held_by"))
    return [(f["kind"], sorted(map(part, f["participants"])), sorted(map(part, f["bystanders"])))
            for f in doc["diagnosis"]["findings"]]


@pytest.mark.parametrize("scenario,kind", [("mp_lock_order.py", "lock-order-cycle"),
                                           ("mp_lock_twice.py", "self-deadlock"),
                                           ("mp_join_each_other.py", "join-cycle")])
def test_cores_of_every_process(pyhang, python, tmp_path, scenario, kind):
    """`pyhang core` with a gcore of every process of the group gives the live diagnosis.

    What the cores carry: every SemLock object (its count and the owner thread recorded by
    acquire), the `with` evidence on each frame, multiprocessing names and the Process objects
    (pids). What they cannot tell: gcore does not dump file-backed shared mappings, so the
    semaphore's own value and waiter count in /dev/shm are missing: a wait is read from the stack
    and the holder from the SemLock's count and `with`, not confirmed by the semaphore. The same
    semaphore is recognised across the cores by the path of its mapping in each core's NT_FILE
    note (fork: the children inherit the parent's mapping; spawn/forkserver: they open it by name).
    Whether a process is a zombie, and the kernel's wait channels, are not in a core either."""
    from conftest import SCENARIOS_DIR
    script = SCENARIOS_DIR / scenario
    pid, live, doc, rc, text = live_and_cores(pyhang, python, script, tmp_path)
    assert rc == 1
    assert all(p["source"] == "core" for p in doc["processes"])
    assert doc["processes"][0]["pid"] == pid
    assert [f["kind"] for f in doc["diagnosis"]["findings"]] == [kind]
    assert finding_shape(doc) == finding_shape(live), (doc["diagnosis"], live["diagnosis"])
    assert text.stdout.splitlines()[-1].startswith(f"Verdict: DEADLOCK ({kind}):")


@pytest.mark.parametrize("program,kind", [("mp_queue_no_producer.py", "all-blocked"),
                                          ("mp_condition_no_notify.py", "all-blocked"),
                                          ("mp_barrier_missing_party.py", None)])
def test_cores_of_processes_waiting_through_a_pipe_or_semaphore(pyhang, python, tmp_path, program, kind):
    """Cores taken parent first, one process at a time. A Queue's items and a Condition's or
    Barrier's counts live in a pipe or a shared semaphore, in no core: such a wait is certain only
    in the process whose core was written last. The child in Queue.get() or Condition.wait()
    (core second) under a parent in join() (core first): DEADLOCK. Two children at the Barrier:
    the first one's core came before the second's, which may have arrived in between: not
    confirmed, exit 0, and the verdict says how to confirm."""
    script = PROGRAMS_DIR / program
    pid, live, doc, rc, text = live_and_cores(pyhang, python, script, tmp_path)
    if kind:
        assert rc == 1, text.stdout
        assert [f["kind"] for f in doc["diagnosis"]["findings"]] == [kind], text.stdout
    else:
        assert rc == 0 and doc["diagnosis"]["findings"] == [], text.stdout
        assert [f["kind"] for f in doc["diagnosis"]["unconfirmed"]] == ["all-blocked"], text.stdout
        last = text.stdout.rstrip("\n").rsplit("\n", 1)[-1]
        assert last.startswith("Verdict: no deadlock: the threads looked stuck (all-blocked), but the cores were taken "
                               "one process at a time, and process "), last
        assert last.endswith(f"read the processes live to confirm: pyhang remote {pid} --children."), last


# --------------------------------------------------------------------------------------------
# A child read on its own


def _descendants(pid: int) -> list:
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        try:
            with open(f"/proc/{p}/task/{p}/children") as f:
                kids = [int(x) for x in f.read().split()]
        except OSError:
            kids = []
        out += kids
        todo += kids
    return out


def test_children_read_alone_wait_for_their_parent(pyhang, python):
    """Every child of a job runner (Pool workers, a Process in Queue.get(), and from 3.14 the
    forkserver and its workers and the resource tracker), read without its parent: no deadlock.
    The Pool workers and the uploader name their parent as what can still wake them; the
    forkserver and the resource tracker are idle service loops."""
    script = PROGRAMS_DIR / "mp_children_alone.py"
    with hung_program(python, script) as prog:
        children = _descendants(prog.pid)
        assert len(children) >= 3, children
        named_parent = 0
        for child in children:
            doc, proc = pyhang_json(pyhang, "remote", str(child), with_proc=True)
            assert proc.returncode == 0, (child, doc["diagnosis"])
            d = doc["diagnosis"]
            assert d["verdict"] == "no-deadlock" and not d["findings"], d
            text = run_pyhang(pyhang, "remote", str(child))
            assert text.returncode == 0, text.stdout
            verdict = text.stdout.rstrip("\n").rsplit("\n", 1)[-1]
            ppid = doc["processes"][0]["ppid"]
            if "can still wake the program" in verdict:
                assert f"its parent process {ppid} (or a process it started), which is not in this report " \
                       f"(inspect the whole tree: pyhang remote {ppid} --children)" in verdict, verdict
                named_parent += 1
            else:
                assert verdict == "Verdict: no deadlock found.", verdict
        # the two Pool workers and the uploader at least
        assert named_parent >= 3, named_parent

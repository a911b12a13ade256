"""Explanations a user can act on: each finding shows the quantities of what its threads wait
for (read from the target: permits free, owner and recursion count, parties waiting, queue items
and unfinished tasks, an Event's flag) and one fix line in the program's own terms, in the text
report ("State of ...", "Fix: ...") and in JSON (`state` of an object, `findings[].fix`).

The programs are tests/programs/x_*.py, each hung in one typical way; each is read live (text
and JSON), and the single-process ones also from a gcore core (the quantities come from memory,
not from /proc)."""
from __future__ import annotations

from pathlib import Path

import pytest

from conftest import PROGRAMS_DIR, hung_program, pyhang_json, run_pyhang, take_gcore
from process_helpers import line_of, lines_of, marker_line, only_finding


def program(name: str) -> Path:
    return PROGRAMS_DIR / name


def line(name: str, marker: str) -> int:
    return marker_line(program(name), marker)


def read(pyhang, python, name, tmp_path, core=False, children=False):
    """(text, JSON document) of a live read, plus the same from a gcore core when `core`."""
    extra = ("--children",) if children else ()
    with hung_program(python, program(name)) as prog:
        text = run_pyhang(pyhang, "remote", prog.pid, *extra)
        doc, proc = pyhang_json(pyhang, "remote", prog.pid, *extra, with_proc=True)
        assert text.returncode == 1 and proc.returncode == 1, text.stdout + text.stderr
        reads = [(text.stdout, doc)]
        if core:
            prefix = tmp_path / "core"
            g = take_gcore(prog.pid, prefix)
            core_file = Path(f"{prefix}.{prog.pid}")
            assert g.returncode == 0 and core_file.is_file(), f"gcore failed ({g.returncode}): {g.stdout}{g.stderr}"
    if core:
        try:
            ctext = run_pyhang(pyhang, "core", core_file)
            cdoc = pyhang_json(pyhang, "core", core_file)
        finally:
            core_file.unlink()
        assert ctext.returncode == 1, ctext.stdout + ctext.stderr
        reads.append((ctext.stdout, cdoc))
    return reads


def waited_state(finding, thread="MainThread"):
    for p in finding["participants"]:
        if p["thread"] == thread:
            return p["waits_for"].get("state")
    raise AssertionError(f"no participant {thread}: {finding['participants']}")


def test_leaked_bounded_semaphore(pyhang, python, tmp_path):
    name = "x_semaphore_leak.py"
    for out, doc in read(pyhang, python, name, tmp_path, core=True):
        f = only_finding(doc, "all-blocked")
        assert waited_state(f) == {"permits_free": 0, "permits_total": 3, "waiters": 1}
        fix = ("no live thread holds one: 3 permits of connection_slots were acquired and never released "
               "(an acquire() without release() on some path): use `with connection_slots:`.")
        assert f["fix"] == fix
        assert "  State of connection_slots: 0 of 3 permits free, 1 thread waiting\n" in out
        assert f"  Fix: {fix}\n" in out


def test_barrier_short_of_a_party(pyhang, python, tmp_path):
    name = "x_barrier_short.py"
    out, doc = read(pyhang, python, name, tmp_path)[0]
    f = only_finding(doc, "all-blocked")
    for loader in ("loader-0", "loader-1", "loader-2"):
        state = waited_state(f, loader)
        assert {k: state[k] for k in ("parties", "waiting", "broken")} == {"parties": 4, "waiting": 3, "broken": False}
    fix = ("3 of 4 parties are waiting and no other thread will reach shards_loaded.wait(): create it with 3 parties, "
           "or start the missing one (a party that fails should call shards_loaded.abort()).")
    assert f["fix"] == fix
    assert out.count("  State of shards_loaded: 3 of 4 parties waiting\n") == 1
    assert f"  Fix: {fix}\n" in out


def test_event_never_set(pyhang, python, tmp_path):
    out, doc = read(pyhang, python, "x_event_never_set.py", tmp_path)[0]
    f = only_finding(doc, "all-blocked")
    assert waited_state(f) == {"set": False, "waiters": 1}
    fix = ("no thread will call config_ready.set(): set it on every path of the code that should (in a finally), "
           "or wait with a timeout.")
    assert f["fix"] == fix
    assert "  State of config_ready: not set, 1 thread waiting\n" in out
    assert f"  Fix: {fix}\n" in out


def test_queue_join_with_a_dead_worker(pyhang, python, tmp_path):
    for out, doc in read(pyhang, python, "x_queue_join_dead_worker.py", tmp_path, core=True):
        f = only_finding(doc, "all-blocked")
        assert waited_state(f) == {"items": 2, "maxsize": 10, "unfinished_tasks": 3, "getters": 0, "putters": 0,
                                   "joiners": 1}
        fix = ("join() waits until every item got a task_done() (3 unfinished), but 2 items are left and no thread "
               "will take them: keep a worker alive (restart it when an item fails) and call jobs.task_done() in a "
               "finally.")
        assert f["fix"] == fix
        assert "  State of jobs: 2 items (maxsize 10), 3 unfinished tasks, 1 thread in join()\n" in out
        assert f"  Fix: {fix}\n" in out


def test_rlock_held_twice_by_a_dead_thread(pyhang, python, tmp_path):
    for out, doc in read(pyhang, python, "x_rlock_dead_owner.py", tmp_path, core=True):
        f = only_finding(doc, "held-by-dead-thread")
        state = waited_state(f)
        assert state["locked"] is True and state["count"] == 2
        assert state["owner"]["name"] == "registrar" and state["owner"]["alive"] is False
        assert isinstance(state["owner"]["ident"], int) and state["owner"]["ident"] > 0
        fix = ("use `with registry_lock:` instead of acquire()/release(), so that every path releases it: the thread "
               "that took it exited without releasing it (it acquired it 2 times).")
        assert f["fix"] == fix
        assert '  State of registry_lock: held 2 times by thread "registrar" (exited)\n' in out
        assert f"  Fix: {fix}\n" in out


def test_lock_order_fix_names_both_places(pyhang, python, tmp_path):
    name = "x_lock_order.py"
    out, doc = read(pyhang, python, name, tmp_path)[0]
    f = only_finding(doc, "lock-order-cycle")
    for p in f["participants"]:
        assert p["waits_for"]["state"]["locked"] is True
    fix = (f'take the locks in one order everywhere: "transfer" takes accounts_lock ({name}:{line(name, "transfer_first")}) '
           f'then audit_lock ({name}:{line(name, "transfer_second")}), but "audit" takes audit_lock '
           f'({name}:{line(name, "audit_first")}) then accounts_lock ({name}:{line(name, "audit_second")}); '
           f'take accounts_lock first in both places, or hold one at a time.')
    assert f["fix"] == fix
    assert f"  Fix: {fix}\n" in out
    # A locked plain lock has no state line: "locked" says nothing the finding does not.
    assert "State of accounts_lock" not in out and "State of audit_lock" not in out


def test_lock_order_fix_same_code_both_ways(pyhang, python, tmp_path):
    """transfer(a, b) against transfer(b, a): one place, the locks in opposite roles."""
    name = "x_transfer_same_code.py"
    out, doc = read(pyhang, python, name, tmp_path)[0]
    f = only_finding(doc, "lock-order-cycle")
    fix = (f"the threads run the same code ({name}:{line(name, 'transfer_first')} then "
           f"{name}:{line(name, 'transfer_second')}) with the locks in opposite roles: take the two locks in an "
           "order that does not depend on the arguments (by a key such as an account id, or by id()), or hold one "
           "at a time.")
    assert f["fix"] == fix
    assert f"  Fix: {fix}\n" in out


def test_self_deadlock_suggests_an_rlock(pyhang, python, tmp_path):
    name = "x_self_deadlock.py"
    out, doc = read(pyhang, python, name, tmp_path)[0]
    f = only_finding(doc, "self-deadlock")
    fix = (f"{name}:{line(name, 'inner_with')} takes self.lock again while {name}:{line(name, 'outer_with')} holds it: "
           f"use threading.RLock() for self.lock if it is meant to re-enter, or a helper that expects the lock held.")
    assert f["fix"] == fix
    assert f"  Fix: {fix}\n" in out


def test_multiprocessing_queue_joined_before_get(pyhang, python, tmp_path):
    name = "x_mp_queue_join.py"
    out, doc = read(pyhang, python, name, tmp_path, children=True)[0]
    f = only_finding(doc, "full-pipe")
    fix = (f"get() before join(): read every item from the multiprocessing.Queue before joining the process at "
           f"{name}:{line(name, 'parent_join')} (a process exits only once its queued data is in the pipe).")
    assert f["fix"] == fix
    assert f"  Fix: {fix}\n" in out


def test_gc_reentrancy_into_a_queue(pyhang, python, tmp_path):
    scenario = Path(__file__).resolve().parents[1] / "scenarios" / "queue_gc_reentrancy.py"
    with hung_program(python, scenario) as prog:
        doc = pyhang_json(pyhang, "remote", prog.pid)
    f = only_finding(doc, "gc-reentrancy")
    put = line_of(scenario, 'jobs.put("finalized")')
    assert f["fix"] == (f"__del__ (queue_gc_reentrancy.py:{put}) runs inside the garbage collector: do not call back "
                        "into the queue from __del__; append to a list there and drain it outside the lock, or use "
                        "queue.SimpleQueue, whose put() may be called from __del__.")


def test_asyncio_quantities(pyhang, python, tmp_path):
    """asyncio.Semaphore(1) held by a task that waits for an Event nobody sets, two tasks waiting
    for the semaphore."""
    if python.version < (3, 7):
        pytest.skip("the program uses asyncio.run (3.7+)")
    out, doc = read(pyhang, python, "aio_semaphore.py", tmp_path)[0]
    f = only_finding(doc, "all-blocked")
    states = {p["waits_for"]["names"][0]: p["waits_for"].get("state") for p in f["participants"]
              if p["waits_for"] and p["waits_for"].get("names")}
    assert states["pool"] == {"permits_free": 0, "waiters": 2}
    assert states["done"] == {"set": False, "waiters": 1}
    assert "  State of done: not set, 1 task waiting\n" in out
    assert "  State of pool: 0 permits free, 2 tasks waiting\n" in out
    assert f["fix"] == ("no task will call done.set(): set it on every path of the code that should (in a finally), "
                        "or wait with a timeout.")


def test_blocking_call_inside_the_event_loop(pyhang, python, tmp_path):
    name = "c2_hang_aio_threadsafe_lock.py"
    out, doc = read(pyhang, python, name, tmp_path)[0]
    f = only_finding(doc, "join-cycle")
    task = [p["task"] for p in f["participants"] if p["task"]]
    assert len(task) == 1, f["participants"]
    fix = (f'no blocking calls inside the event loop: task "{task[0]}" blocks its loop\'s thread at '
           f'{name}:{line(name, "loop_with")} on stats_lock; run the call with asyncio.to_thread() or '
           f'loop.run_in_executor(), or use an asyncio primitive. Also: "exporter" waits at '
           f'{name}:{line(name, "exporter_result")} while it holds stats_lock (since {name}:{line(name, "exporter_with")}), '
           f'which task "{task[0]}" needs at {name}:{line(name, "loop_with")}: release stats_lock before waiting.')
    assert f["fix"] == fix
    assert f"  Fix: {fix}\n" in out


SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"


def read_scenario(pyhang, python, name, children=False):
    extra = ("--children",) if children else ()
    with hung_program(python, SCENARIOS / name) as prog:
        text = run_pyhang(pyhang, "remote", prog.pid, *extra)
        doc = pyhang_json(pyhang, "remote", prog.pid, *extra)
    return text.stdout, doc


def test_signal_reentrancy(pyhang, python, tmp_path):
    name = "c2_hang_signal_handler_lock.py"
    out, doc = read(pyhang, python, name, tmp_path)[0]
    f = only_finding(doc, "signal-reentrancy")
    fix = (f"the signal handler (on_alarm at {name}:{line(name, 'handler_with')}) takes stats_lock, which the code it "
           "interrupted holds: only set a flag in the handler and act on it outside, or make stats_lock a "
           "threading.RLock().")
    assert f["fix"] == fix
    assert f"  Fix: {fix}\n" in out


def test_read_cycle(pyhang, python, tmp_path):
    out, doc = read(pyhang, python, "real_pipe_thread_pair.py", tmp_path)[0]
    f = only_finding(doc, "read-cycle")
    fix = ("one side must write first, or close the ends it does not use (a parent's copy of a child's pipe; Popen's "
           "stdin before wait(), or use communicate()), so that a read sees the end of the data.")
    assert f["fix"] == fix
    assert f"  Fix: {fix}\n" in out


def test_thread_pool_starvation(pyhang, python, tmp_path):
    out, doc = read(pyhang, python, "real_executor_starvation.py", tmp_path)[0]
    f = only_finding(doc, "join-cycle")
    fix = ("a bigger pool or no nested waits: give the executor more workers than tasks that wait, submit the inner "
           "work to a separate executor, or do not wait for futures inside its tasks.")
    assert f["fix"] == fix
    assert f"  Fix: {fix}\n" in out


def test_multiprocessing_lock_quantities_and_fixes(pyhang, python):
    """A multiprocessing.Lock taken twice by one process (its SemLock: held once, by that
    process's thread), and one a child took with acquire() and exited holding."""
    out, doc = read_scenario(pyhang, python, "mp_lock_twice.py", children=True)
    f = only_finding(doc, "self-deadlock")
    state = f["participants"][0]["waits_for"]["state"]
    assert state["locked"] is True and state["count"] == 1
    assert state["owner"]["name"] == "MainThread" and state["owner"]["alive"] is True
    assert '  State of lock: held once by thread "MainThread"\n' in out
    src = SCENARIOS / "mp_lock_twice.py"
    inner, outer = lines_of(src, "with lock:")
    fix = (f"mp_lock_twice.py:{inner} takes lock again while mp_lock_twice.py:{outer} holds it: use multiprocessing.RLock() if it is meant to re-enter, "
           "or a helper that expects the lock held.")
    assert f["fix"] == fix

    out, doc = read_scenario(pyhang, python, "mp_lock_not_released.py", children=True)
    f = only_finding(doc, "held-by-dead-process")
    assert f["participants"][0]["waits_for"]["state"]["locked"] is True
    assert f["fix"] == ("use `with lock:` so that the lock is released when the code raises; a process that exits or "
                        "is killed holding a multiprocessing lock never releases it.")


def test_asyncio_task_fixes(pyhang, python):
    if python.version < (3, 8):
        pytest.skip("the scenarios name their tasks (create_task(name=...), 3.8+)")
    out, doc = read_scenario(pyhang, python, "asyncio_await_each_other.py")
    f = only_finding(doc, "await-cycle")
    assert f["fix"] == ("tasks await each other: let one of them stop awaiting the other (create the inner work as its "
                        "own task, or await with asyncio.wait_for and a timeout).")
    out, doc = read_scenario(pyhang, python, "asyncio_lock_not_released.py")
    f = only_finding(doc, "held-by-finished-task")
    assert f["fix"] == "use `async with lock:` so that the lock is released on every path: an early return, an exception, a cancellation."
    assert f"  Fix: {f['fix']}\n" in out


def wake_sites(finding):
    return [(s["call"], Path(s["file"]).name, s["line"], s["function"],
             [(r["thread"], r["line"], r["blocked"]) for r in s["runners"]]) for s in finding["wake_sites"]]


def test_wake_sites_queue_get_under_lock(pyhang, python, tmp_path):
    """The only jobs.put() is in a thread blocked on the lock the getter holds: the sites name it,
    and the fix says not to hold the lock while waiting for the queue."""
    name = "x_queue_get_under_lock.py"
    put, with_ = line(name, "submitter_put"), line(name, "submitter_with")
    for out, doc in read(pyhang, python, name, tmp_path, core=True):
        f = only_finding(doc, "all-blocked")
        assert wake_sites(f) == [("jobs.put()", name, put, "submitter", [("submitter", with_, True)])]
        assert (f"    jobs.put() at {name}:{put} in submitter(): Thread {f['wake_sites'][0]['runners'][0]['tid']} "
                f"\"submitter\" runs it but is blocked at line {with_}\n") in out
        fix = (f"\"dispatcher\" holds registry_lock while it waits for jobs, and jobs.put() ({name}:{put} in submitter()), "
               "which would end that wait, is in \"submitter\", which waits for registry_lock: do not hold registry_lock "
               "while waiting for jobs (release it first, or take it after).")
        assert f["fix"] == fix
        assert f"  Fix: {fix}\n" in out


def test_wake_sites_event_setter_not_running(pyhang, python, tmp_path):
    """The only config_loaded.set() is in a function that returned early: no thread runs it."""
    name = "x_event_setter_finished.py"
    setter = line(name, "setter")
    for out, doc in read(pyhang, python, name, tmp_path, core=True):
        f = only_finding(doc, "all-blocked")
        assert wake_sites(f) == [("config_loaded.set()", name, setter, "load_config", [])]
        assert (f"    config_loaded.set() at {name}:{setter} in load_config(): no live thread or task is running "
                "load_config()\n") in out
        fix = (f"config_loaded.set() ({name}:{setter} in load_config()) would end the wait, but no live thread or task is "
               "running load_config(): set it on every path of the code that should (in a finally), or wait with a "
               "timeout.")
        assert f["fix"] == fix


def test_wake_sites_queue_join_with_a_skipped_task_done(pyhang, python, tmp_path):
    """join() and a worker idle in get(): the fix is the join's (a task_done() skipped), and the
    sites show both the put() (in the joining thread) and the task_done() (in the idle worker)."""
    name = "x_queue_join_skipped_done.py"
    for out, doc in read(pyhang, python, name, tmp_path, core=True):
        f = only_finding(doc, "all-blocked")
        sites = {(s[0], s[2]): s for s in wake_sites(f)}
        done = sites[("images.task_done()", line(name, "task_done"))]
        assert done[3] == "worker" and done[4] == [("thumb-worker", line(name, "worker_get"), True)]
        assert [s for s in sites if s[0] == "images.put()"], f["wake_sites"]
        assert f["fix"] == ("join() waits until every item got a task_done() (1 unfinished), and images is empty: an item "
                            "was taken without task_done(); call images.task_done() for every get(), in a finally.")


def test_core_read_elsewhere_finds_a_relative_main_script(pyhang, python, tmp_path):
    """Before 3.9 the main script's path is recorded as given (`python programs/app.py`): a core
    read from another directory finds its source under the directory the program started in
    (sys.path[0] less the script's own directory), so each hold's line is its `with` statement's,
    not the line the thread waits at, and the fix names both."""
    name = "c2_hang_inventory.py"
    with hung_program(python, Path("programs") / name, cwd=PROGRAMS_DIR.parent) as prog:
        prefix = tmp_path / "core"
        g = take_gcore(prog.pid, prefix)
        core_file = Path(f"{prefix}.{prog.pid}")
        assert g.returncode == 0 and core_file.is_file(), f"gcore failed ({g.returncode}): {g.stdout}{g.stderr}"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    try:
        out = run_pyhang(pyhang, "core", core_file, cwd=elsewhere)
    finally:
        core_file.unlink()
    assert out.returncode == 1, out.stdout + out.stderr
    assert f"since {name}:{line(name, 'cancel_with')} in cancel" in out.stdout, out.stdout
    assert f"since {name}:{line(name, 'reserve_with')} in reserve" in out.stdout, out.stdout
    assert "# LINE:attach_with" in out.stdout, out.stdout


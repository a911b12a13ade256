"""A second corpus of realistic programs pyhang was not developed against: tests/programs/c2_*.py.

* c2_ok_busy_*: healthy programs that keep running (servers, pools, loggers, asyncio apps, a lock
  held by a computing or sleeping thread). They are started side by side in groups of 4, each is read
  live SAMPLES times at random moments (text and --json alternately) and once from a gcore core:
  every read must say "no deadlock" (exit 0).
* c2_ok_idle_*: healthy programs in which every thread waits: for a child the report does not
  show, a signal, a timer, a FIFO, a socket, a sleep. Read live and from a core: exit 0, no
  finding, and the verdict line where it names what can still wake the program.
* c2_hang_*: real hangs. Read live and from cores (every process of the group for the
  multiprocessing ones, with --children): exit 1, the expected kinds, participants, where each
  waits in the program's own code and what it holds.

The readings reuse test_verdicts.py's machinery (programs side by side, cores in parallel). Where
pyhang is wrong today the test keeps the correct assertion and is a strict xfail with what pyhang
says instead, scoped to the interpreters and sources where it is wrong.
"""
from __future__ import annotations

import json
import os
import random
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

import pytest

from conftest import Interp, run_pyhang
from test_verdicts import Job, describe, gcore, line, program, read_all, started, thread_notes

SAMPLES = 8  # live reads of each busy program per interpreter (the programs run side by side)


def last_line(proc) -> str:
    return proc.stdout.rstrip("\n").rsplit("\n", 1)[-1]


# Cores of this corpus are read on one interpreter of each reader family (3.6 without
# _PyRuntime's thread list, 3.8 frame objects, 3.12 interpreter frames, a static stripped
# binary, 3.13 free-threading layout, a Debian .deb build): gcore is most of this file's time,
# and the 12 interpreters' cores of test_verdicts.py cover the rest. PYHANG_CORPUS2_CORES=all
# reads them on every interpreter.
CORE_INTERPRETERS = ("3.6.15", "3.8.18", "3.12.1", "deb-3.11", "3.13.0", "3.14.10")


def with_cores(python: Interp) -> bool:
    return os.environ.get("PYHANG_CORPUS2_CORES") == "all" or python.id in CORE_INTERPRETERS


def _skip_core(python: Interp, source: Optional[str]) -> None:
    if source == "core" and not with_cores(python):
        pytest.skip(f"corpus 2 is read from cores on {', '.join(CORE_INTERPRETERS)} "
                    "(PYHANG_CORPUS2_CORES=all: on every interpreter)")


def _xfail(request, table, python: Interp, script: str, source: Optional[str]) -> None:
    for (s, interps, src), reason in table.items():
        if s == script and (interps is None or python.id in interps) and src in (None, source):
            # A reason that starts with RANDOM: wrong in some runs only, so not strict.
            request.applymarker(pytest.mark.xfail(strict=not reason.startswith("RANDOM"), reason=reason))
            return


# --------------------------------------------------------------------------------------------
# Healthy, busy

BUSY = [
    "c2_ok_busy_http_threads.py",
    "c2_ok_busy_log_shipper.py",
    "c2_ok_busy_futures_wait.py",
    "c2_ok_busy_aio_crawler.py",
    "c2_ok_busy_aio_executor.py",
    "c2_ok_busy_cpu_holder.py",
    "c2_ok_busy_sleep_holder.py",
    "c2_ok_busy_condition_wait_for.py",
    "c2_ok_busy_sqlite_workers.py",
    "c2_ok_busy_timer_chain.py",
    "c2_ok_busy_native_holder.py",
    "c2_ok_busy_trylock_backoff.py",
    "c2_ok_busy_conn_pool.py",
    "c2_ok_busy_dining_ordered.py",
    "c2_ok_busy_rwlock.py",
    "c2_ok_busy_logging_queue.py",
    "c2_ok_busy_rlock_counters.py",
    "c2_ok_busy_finalize_tracker.py",
    "c2_ok_busy_simplequeue_batches.py",
    "c2_ok_busy_aio_executor_bridge.py",
    "c2_ok_busy_tcp_pingpong.py",
    "c2_ok_busy_shared_log_stream.py",
    "c2_ok_busy_threadpool_callbacks.py",
    "c2_ok_busy_queue_mutex_stats.py",
    "c2_ok_busy_rlock_condition_recursive.py",
    "c2_ok_busy_token_ring.py",
    "c2_ok_busy_zlib_stats.py",
]

# (script, interpreter ids or None for all, "live"/"core"/None) -> what pyhang says instead
BUSY_WRONG: Dict[Tuple[str, Optional[Tuple[str, ...]], Optional[str]], str] = {
}

BUSY_GROUP = 4  # busy programs read side by side (more would starve each other of the 2 CPUs)

# A reading of several programs (programs started, read, cored) happens in the first test that
# needs it and can take minutes on a loaded machine: the tests that trigger one get more time.
READING_TIMEOUT = pytest.mark.timeout(900)

_BUSY_READINGS: Dict[Tuple[str, str], Dict[str, List[Tuple[int, str, str]]]] = {}


def clip(text: str) -> str:
    return text if len(text) <= 10000 else text[:4000] + "\n[...]\n" + text[-6000:]


def json_findings_first(proc) -> str:
    """A wrong JSON read's verdict and findings, which the failure message would otherwise cut
    (they come after many threads' frames)."""
    try:
        doc = json.loads(proc.stdout)
    except ValueError:
        return ""
    return json.dumps({k: doc.get(k) for k in ("verdict", "findings")}, indent=1)[:4000] + "\n...\n"


def read_busy(python: Interp, pyhang: str, script: str, tmp_path_factory) -> Dict[str, List[Tuple[int, str, str]]]:
    """{"live": [(exit, last line, output)...], "core": [...]} of a busy program. The programs of
    its group are started side by side, each read SAMPLES times at random moments (text and
    --json alternately) and then from a gcore core; once per interpreter."""
    index = BUSY.index(script)
    group = BUSY[index - index % BUSY_GROUP:][:BUSY_GROUP]
    if (python.id, script) not in _BUSY_READINGS:
        directory = tmp_path_factory.mktemp("busy-cores")
        results: Dict[str, Dict[str, List[Tuple[int, str, str]]]] = {s: {"live": [], "core": []} for s in group}
        cores: Dict[str, object] = {}
        with ExitStack() as stack:
            starts = {s: started(python, s) for s in group}
            with ThreadPoolExecutor(max_workers=len(starts)) as pool:
                entering = {s: pool.submit(cm.__enter__) for s, cm in starts.items()}
                for s, future in entering.items():
                    if future.exception() is None:
                        stack.push(starts[s])
            progs = {s: f.result() for s, f in entering.items()}

            def sample(name: str) -> None:
                rng = random.Random(f"{python.id}/{name}")
                for i in range(SAMPLES):
                    time.sleep(rng.uniform(0.0, 0.05))
                    proc = run_pyhang(pyhang, "remote", progs[name].pid, *(["--json"] if i % 2 else []))
                    if i % 2:
                        ok = ('"verdict": "no-deadlock"' in proc.stdout and '"findings": []' in proc.stdout)
                        summary = "JSON: no-deadlock" if ok else "JSON: deadlock"
                    else:
                        summary = last_line(proc)
                    shown = describe(proc)
                    if i % 2 and not ok:
                        shown = json_findings_first(proc) + shown
                    results[name]["live"].append((proc.returncode, summary, shown))

            with ThreadPoolExecutor(max_workers=len(group)) as pool:
                list(pool.map(sample, group))
            # A healthy program must outlive its reads: one that exited says how (its status
            # and output), rather than leaving "is a zombie" reads or a failed gcore.
            dead = [s for s in group if progs[s].proc.poll() is not None]
            if dead:
                pytest.fail("\n".join(f"{s} exited during the reads\n"
                                      f"{progs[s]._describe()}" for s in dead), pytrace=False)
            if with_cores(python):
                with ThreadPoolExecutor(max_workers=len(group)) as pool:
                    made = list(pool.map(lambda s: gcore(progs[s].pid, directory), group))
                cores = dict(zip(group, made))
        try:
            for name, core in cores.items():
                proc = run_pyhang(pyhang, "core", core)
                results[name]["core"].append((proc.returncode, last_line(proc), describe(proc)))
        finally:
            for core in cores.values():
                core.unlink()
        for name in group:
            _BUSY_READINGS[(python.id, name)] = results[name]
    return _BUSY_READINGS[(python.id, script)]


@pytest.mark.parametrize("source", ["live", "core"])
@pytest.mark.parametrize("script", BUSY)
@READING_TIMEOUT
def test_busy_is_not_a_deadlock(python, pyhang, script, source, request, tmp_path_factory):
    _skip_core(python, source)
    _xfail(request, BUSY_WRONG, python, script, source)
    reads = read_busy(python, pyhang, script, tmp_path_factory)[source]
    assert reads, f"{script} was not read"
    wrong = [(rc, summary, shown) for rc, summary, shown in reads
             if rc != 0 or not (summary.startswith("Verdict: no deadlock") or summary == "JSON: no-deadlock")]
    assert not wrong, (f"{len(wrong)} of {len(reads)} {source} reads of the healthy busy program {script} "
                       f"said DEADLOCK; the first:\n{clip(wrong[0][2])}")


# --------------------------------------------------------------------------------------------
# Healthy, idle


@dataclass
class Idle:
    parent_asleep: bool = False  # a child keeps computing: wait until the READY process sleeps
    # Fragments of the verdict line, in order, when it is not "Verdict: no deadlock found."
    verdict: Sequence[str] = ()
    live_only_verdict: bool = False  # `verdict` live; from a core (no /proc) "no deadlock found."
    # thread name -> fragments of its live note; "@marker function" stands for "<script>:<line> in function"
    note: Dict[str, Sequence[str]] = field(default_factory=dict)
    min_version: Tuple[int, int] = (3, 0)  # healthy only from this version (an API it needs)
    # "Verdict: no deadlock found." will do too: a thread that wakes on a timer (3.6 and 3.7's
    # Pool checks its workers every 0.1 s) may be caught running, and then not every thread waits.
    plain_verdict_ok: bool = False
    note_from: Tuple[int, int] = (3, 0)  # `note` is checked from this version on


_CHILD = ("Verdict: no deadlock: every thread waits, and child process", "not in this report (")

IDLE: Dict[str, Idle] = {
    "c2_ok_idle_subprocess_run.py": Idle(note={"MainThread": ["waits for process sleep (pid ", "@run main"]}),
    "c2_ok_idle_waitpid.py": Idle(),
    "c2_ok_idle_sigwaitinfo_reload.py": Idle(),
    "c2_ok_idle_queue_fed_by_pipe_reader.py": Idle(),
    "c2_ok_idle_select_under_lock.py": Idle(),
    "c2_ok_idle_mp_sentinel_supervisor.py": Idle(),
    "c2_ok_idle_signal_pause.py": Idle(note={"MainThread": ["waits for a signal", "@pause main"]}),
    "c2_ok_idle_select_timer.py": Idle(),
    "c2_ok_idle_queue_polling.py": Idle(),
    "c2_ok_idle_fifo_reader.py": Idle(),
    "c2_ok_idle_itimer_event.py": Idle(verdict=("Verdict: no deadlock: every thread waits, and signal SIGALRM "
                                                "(its handler on_alarm, c2_ok_idle_itimer_event.py:",
                                                ") can still wake the program.")),
    "c2_ok_idle_daemon_stuck.py": Idle(),
    "c2_ok_idle_aio_wait_for.py": Idle(),
    # A loop waiting only on socketpairs / loopback connections, which another thread, a forked
    # worker or anyone connecting to its listening socket can still write to.
    "c2_ok_idle_aio_socketpair_thread_writer.py": Idle(),
    "c2_ok_idle_aio_socketpair_child_writer.py": Idle(),
    "c2_ok_idle_aio_local_server_idle_client.py": Idle(),
    # A token bucket: both workers hold a permit and wait for a second; a refill thread or a
    # Timer will release() more (any thread may release a semaphore).
    "c2_ok_idle_sem_token_bucket.py": Idle(verdict=(
        "Verdict: no deadlock: the threads looked stuck (self-deadlock), but thread",
        "is in refill(), which calls budget.release() at", "any thread may release a semaphore")),
    "c2_ok_idle_sem_token_bucket_timer.py": Idle(verdict=(
        "Verdict: no deadlock: the threads looked stuck (self-deadlock), but budget.release is handed to a timer",)),
    # A lock handed off with acquire(), released by a worker that first waits for an Event a
    # sleeping thread will set, or joins a helper at work.
    "c2_ok_idle_lock_cycle_baton_event.py": Idle(verdict=(
        "Verdict: no deadlock: the threads looked stuck (lock-order-cycle), but thread",
        "is in worker(), which calls busy.release() at")),
    "c2_ok_idle_lock_cycle_baton_join.py": Idle(verdict=(
        "Verdict: no deadlock: the threads looked stuck (lock-order-cycle), but thread",
        "is in worker(), which calls busy.release() at")),
    # An asyncio.Lock taken by a nested coroutine's task that finished, released later by a thread
    # through call_soon_threadsafe: the outer function never took it (its nested bodies ran
    # elsewhere).
    "c2_ok_idle_aio_lock_released_by_thread.py": Idle(verdict=(
        "Verdict: no deadlock: the tasks looked stuck (held-by-finished-task), but an asyncio lock has no owner",)),
    "c2_ok_idle_aio_nested_release_then_acquire.py": Idle(verdict=(
        "Verdict: no deadlock: the tasks looked stuck (held-by-finished-task), but an asyncio lock has no owner",)),
    # Pool starvation that a deadline watchdog ends by cancelling the queued lookups.
    "c2_ok_idle_pool_starvation_watchdog_cancel.py": Idle(verdict=(
        "Verdict: no deadlock: the threads looked stuck (join-cycle), but thread",
        "is in deadline_watchdog(), which calls f.cancel() at")),
    # Releases and cancels one call away: in a helper that a sleeping thread calls, or that a
    # Timer will call; a pool shut down with cancel_futures=True.
    "c2_ok_idle_lease_released_by_helper.py": Idle(verdict=(
        "Verdict: no deadlock: the threads looked stuck (lock-order-cycle), but thread",
        "is in maintenance(), which calls end_lease() at", "(it calls lease.release() at")),
    "c2_ok_idle_lease_timer_helper.py": Idle(verdict=(
        "Verdict: no deadlock: the threads looked stuck (lock-order-cycle), but expire_lease (which calls "
        "lease.release() at", "is handed to a timer or a scheduler at")),
    "c2_ok_idle_sem_refill_helper.py": Idle(verdict=(
        "Verdict: no deadlock: the threads looked stuck (self-deadlock), but thread",
        "is in refiller(), which calls top_up() at", "any thread may release a semaphore")),
    "c2_ok_idle_pool_starvation_cancel_helper.py": Idle(verdict=(
        "Verdict: no deadlock: the threads looked stuck (join-cycle), but thread",
        "is in deadline_watchdog(), which calls cancel_pending() at", "(it calls f.cancel() at")),
    "c2_ok_idle_pool_starvation_timer_cancel.py": Idle(verdict=(
        "Verdict: no deadlock: the threads looked stuck (join-cycle), but cancel_pending (which calls f.cancel() at",
        "is handed to a timer or a scheduler at")),
    "c2_ok_idle_pool_starvation_shutdown_cancel.py": Idle(verdict=(
        "Verdict: no deadlock: the threads looked stuck (join-cycle), but thread",
        "is in deadline_watchdog(), which calls shutdown(cancel_futures=True) at"), min_version=(3, 9)),
    # A pool worker fans out into its own pool while the pool's other worker waits for something
    # that will come (an Event a sleeping loader sets, a future another pool's worker computes,
    # through an event loop's executor): that worker then runs the queued work.
    "c2_ok_idle_pool_fanout_result.py": Idle(verdict=(
        "Verdict: no deadlock: the threads looked stuck (join-cycle), but worker", "of the same pool waits for event "
        "config_ready", "which may still end: it will then run the queued work.")),
    "c2_ok_idle_pool_waits_other_pool.py": Idle(verdict=(
        "Verdict: no deadlock: the threads looked stuck (join-cycle), but worker", "of the same pool waits for the result of",
        "which may still end")),
    "c2_ok_idle_aio_executor_bridge_full.py": Idle(verdict=(
        "Verdict: no deadlock: the threads looked stuck (join-cycle), but worker", "of the same pool waits for event "
        "released", "which may still end")),
    # A lease that an event loop's timer releases (loop.call_later(3600, busy.release)).
    "c2_ok_idle_lease_loop_call_later.py": Idle(verdict=(
        "Verdict: no deadlock: the threads looked stuck (lock-order-cycle), but busy.release is handed to a timer",)),
    # shutdown() from a handler thread of a ThreadingTCPServer: serve_forever() runs elsewhere.
    "c2_ok_idle_socketserver_shutdown_threaded.py": Idle(),
    "c2_ok_idle_mp_queue_consumer.py": Idle(parent_asleep=True, verdict=_CHILD),
    "c2_ok_idle_ppe_map.py": Idle(parent_asleep=True, verdict=_CHILD),
    "c2_ok_idle_aio_signal_shutdown.py": Idle(verdict=("Verdict: no deadlock: every thread waits, and signal SIGTERM",
                                                       "can still wake the program.")),
    "c2_ok_idle_sigwait_event.py": Idle(note={"reopener": ["waits for a signal", "@sigwait reopener"]}),
    "c2_ok_idle_lock_holder_child.py": Idle(),
    "c2_ok_idle_chain_to_socket.py": Idle(note={"acceptor": ["@accept acceptor"]}),
    # Both ends of one loopback TCP connection, each thread waiting to read first: a network read
    # is a wait on the outside world; the note names the other end's holder (live: the kernel's
    # socket diagnostics and /proc).
    "c2_ok_idle_tcp_loopback_recv.py": Idle(note={
        "MainThread": ["waits to read from TCP socket 127.0.0.1:", ", the other end held by this process (fd ",
                       "@client_recv main"],
        "line-server": ["waits to read from TCP socket 127.0.0.1:", ", the other end held by this process (fd ",
                        "@server_recv serve_one"]}),
    # A request to the server's own listening socket from its only serving thread (a handler
    # fetching another page of its own site): the same rule; the note says the connection was
    # never accepted and which listening socket holds it.
    "c2_ok_idle_http_self_request.py": Idle(note={
        "MainThread": ["waits to read from TCP socket 127.0.0.1:",
                       ", the other end not accepted yet: it waits on this process's TCP socket listening on 127.0.0.1:",
                       "@self_fetch do_GET"],
        "client": [", the other end held by this process (fd ", "@client client"]}),
    # Waits the kernel ends for someone outside the program: a FIFO's other side, a netlink
    # event, a POSIX message queue, a signalfd, inotify, a pidfd of a process that is not a
    # child, a connection to a pre-forked server, a helper program holding a socketpair's end, a
    # stopped child holding a multiprocessing lock.
    "c2_ok_idle_fifo_open_blocks.py": Idle(note={
        "collector": ["waits in open() of a FIFO (named pipe) until the other side opens it", "@fifo_open collector"]}),
    "c2_ok_idle_netlink_monitor.py": Idle(note={
        "link-monitor": ["waits to read from netlink socket NETLINK_ROUTE (fd ", "@netlink_recv monitor"]}),
    "c2_ok_idle_posix_mq_consumer.py": Idle(note={
        "consumer": ["waits on a POSIX message queue", "@mq_receive consumer"]}),
    "c2_ok_idle_signalfd_reader.py": Idle(note={
        "signals": ["waits to read from signalfd for SIGHUP, SIGUSR1 (fd ", "@signalfd_read signal_reader"]}),
    "c2_ok_idle_inotify_reload.py": Idle(note={"watcher": ["waits to read from inotify (fd ", "@inotify_read watcher"]}),
    "c2_ok_idle_pidfd_watch.py": Idle(note={"watcher": ["waits in select() for input on pidfd of pid ", "@pidfd_select watch"]}),
    "c2_ok_idle_prefork_accept.py": Idle(note={"MainThread": ["waits for a child process to exit", "@wait main"]}),
    "c2_ok_idle_socketpair_helper_process.py": Idle(note={
        "MainThread": ["waits to read from Unix socket", "@recv_reply main"]}),
    "c2_ok_idle_mp_lock_holder_stopped.py": Idle(verdict=_CHILD),
    # A full Pipe() (or os.pipe()) whose read end the writer kept, and a child not inspected
    # holds too: the child will read (live: /proc says who holds the read end).
    "c2_ok_idle_mp_pipe_slow_child_reader.py": Idle(note={"MainThread": ["waits to write to Unix socket", "@send main"]}),
    "c2_ok_idle_pipe_parent_keeps_read_end.py": Idle(note={"MainThread": ["waits to write to a pipe (pipe:[", "@write main"]}),
    # A gate or a lease: a plain Lock taken with acquire() has no owner, and something outside the
    # cycle will release it: a timer it was handed to, a thread that sleeps first, a sigwait
    # thread, a signal handler.
    "c2_ok_idle_lease_timer_main_joins.py": Idle(verdict=(
        "Verdict: no deadlock: the threads looked stuck (join-cycle), but lease.release is handed to a timer or a "
        "scheduler at c2_ok_idle_lease_timer_main_joins.py:", 'thread ', '"lease-expiry" waits with a timeout')),
    "c2_ok_idle_lease_sleeper_main_joins.py": Idle(verdict=(
        "Verdict: no deadlock: the threads looked stuck (join-cycle), but thread ",
        '"warmup" is in warmup(), which calls warm.release() at c2_ok_idle_lease_sleeper_main_joins.py:')),
    "c2_ok_idle_gate_sigwait_release.py": Idle(verdict=(
        "Verdict: no deadlock: the threads looked stuck (join-cycle), but thread ",
        '"signals" is in signals(), which calls gate.release() at c2_ok_idle_gate_sigwait_release.py:')),
    "c2_ok_idle_gate_signal_handler_joins.py": Idle(verdict=(
        "Verdict: no deadlock: the threads looked stuck (join-cycle), but signal SIGUSR1's handler on_usr1 calls "
        "serving.release() at c2_ok_idle_gate_signal_handler_joins.py:",)),
    # The thread that would write to the monitor's loopback socket sleeps with a timeout.
    # Children that are not Python, read from /proc because a pipe to them is waited on: a slow
    # reader that sleeps, a shell waiting for its sleeping job, cat reading a FIFO nobody opened
    # yet; an HTTP service in another process that takes an hour; a non-daemon thread that
    # sleeps in a loop after the script ended.
    "c2_ok_idle_slow_reader_child.py": Idle(),
    "c2_ok_idle_wait_sleeping_child.py": Idle(),
    "c2_ok_idle_fifo_child.py": Idle(),
    "c2_ok_idle_http_pool_slow_server.py": Idle(),
    "c2_ok_idle_shutdown_sleeper.py": Idle(),
    # A Python child that reads slowly, not inspected: the note names it and --children.
    "c2_ok_idle_python_child_slow_reader.py": Idle(note={"MainThread": [
        "waits to write to a pipe (pipe:[", "the other end held by pid ", "not in this report (add --children to inspect it)",
        "@write main"]}),
    "c2_ok_idle_tcp_heartbeat.py": Idle(note={"monitor": ["waits to read from TCP socket 127.0.0.1:", "@monitor_recv monitor"],
                                              "heartbeat": ["is sleeping", "@server_sleep heartbeat_server"]}),
    "c2_ok_idle_aio_thread_feeder.py": Idle(note={"feed": ["waits to read from TCP socket 127.0.0.1:", "@feed_recv run"]}),
    "c2_ok_idle_barrier_late_party.py": Idle(),
    # An asyncio.Lock or Semaphore taken by a task that finished, released later by another
    # thread (call_soon_threadsafe) or by a signal handler: held-by-finished-task was DEADLOCK.
    # A socket's own timeout (setsockopt SO_RCVTIMEO / SO_SNDTIMEO) ends a recv() or send()
    # whose system call shows none: a read cycle and a full socket were DEADLOCK.
    "c2_ok_idle_rcvtimeo_holder.py": Idle(note={"listener": ["with a 2 s receive timeout (SO_RCVTIMEO)", "@recv listener"]}),
    "c2_ok_idle_sndtimeo_full_socket.py": Idle(),
    "c2_ok_idle_aio_lock_lease_thread.py": Idle(verdict=(
        "Verdict: no deadlock: the tasks looked stuck (held-by-finished-task), but an asyncio lock has no owner",
        "(call_soon_threadsafe): Thread")),
    "c2_ok_idle_aio_semaphore_refill_thread.py": Idle(verdict=(
        "Verdict: no deadlock: the tasks looked stuck (held-by-finished-task), but an asyncio lock has no owner",
        '"quota-refill"')),
    "c2_ok_idle_aio_lock_release_on_signal.py": Idle(verdict=("Verdict: no deadlock: every thread waits, and signal SIGUSR1",
                                                              "can still wake the program.")),
    "c2_ok_idle_pipe_holder.py": Idle(),
    "c2_ok_idle_pool_nested_sleeping.py": Idle(),
    "c2_ok_idle_aio_lock_sleeping_holder.py": Idle(),
    # Live, the poller waits for a write that a thread would do after taking the lock the child
    # holds; from a core, which has no kernel state, the poller is doing I/O.
    "c2_ok_idle_poll_mp_lock_child_holder.py": Idle(verdict=_CHILD, live_only_verdict=True),
    "c2_ok_idle_selector_scheduler.py": Idle(note={"scheduler": ["is sleeping", "@sleep scheduler"]}),
    "c2_ok_idle_aio_executor_slow_worker.py": Idle(note={"render_0": ["is sleeping", "@export_sleep slow_export"]}),
    "c2_ok_idle_cycle_with_timeout.py": Idle(),
    "c2_ok_idle_gc_del_waits_other.py": Idle(),
    "c2_ok_idle_lease_timer.py": Idle(),
    "c2_ok_idle_conditional_acquire.py": Idle(),
    "c2_ok_idle_conditional_acquire_lease.py": Idle(verdict=("Verdict: no deadlock: the threads looked stuck (lock-order-cycle), but it rests on an "
                            "acquire() by ", " inferred from the source since ", "(it could hold or release that lock instead).")),
    "c2_ok_idle_release_helper.py": Idle(verdict=("Verdict: no deadlock: the threads looked stuck (lock-order-cycle), but it rests on an "
                            "acquire() by ", " inferred from the source since ", "(it could hold or release that lock instead).")),
    "c2_ok_idle_trylock_fallback.py": Idle(),
    "c2_ok_idle_condition_release.py": Idle(),
    "c2_ok_idle_aio_conditional_acquire.py": Idle(verdict=(
        "Verdict: no deadlock: the tasks looked stuck (lock-order-cycle), but it rests on an acquire() by Task ",
        " inferred from the source since ", "and its event loop still has 1 timer")),
    "c2_ok_idle_manual_future.py": Idle(),
    # Waits for other programs and the network, some holding a lock others wait for.
    "c2_ok_idle_popen_background_pipe.py": Idle(note={
        "progress": ["waits for event step_done", "@progress_wait progress"],
        "MainThread": ["waits in communicate() for the output pipes of process (pid ", "(sleep 3600) still holds them open",
                       "@run_step run_step"]}),
    # A shell pipeline following a log: the shell waits for any of its children (tail sleeps).
    "c2_ok_idle_log_follower_pipeline.py": Idle(note={
        "MainThread": ["waits to read from a pipe", "@read_match main"],
        "heartbeat": ["is sleeping", "@beat heartbeat"]}),
    "c2_ok_idle_os_wait_supervisor.py": Idle(note={"MainThread": ["waits for a child process to exit", "@reap main"]}),
    "c2_ok_idle_flock_external.py": Idle(note={"writer-0": ["waits for an exclusive flock() on ", ", held by pid ",
                                                            "[not in this report]", "@writer_flock writer"]}),
    "c2_ok_idle_connect_overloaded.py": Idle(note={"health-check": ["waits for a connection to complete on TCP socket 127.0.0.1:",
                                                                    "@connect health_check"]}),
    "c2_ok_idle_udp_metrics.py": Idle(note={"receiver": ["waits to read from UDP socket 127.0.0.1:", "@recvfrom receiver"]}),
    "c2_ok_idle_accept_holding_lock.py": Idle(note={"admin": ["waits for a connection on TCP socket listening on 127.0.0.1:",
                                                              "@accept admin"]}),
    "c2_ok_idle_aio_thread_lock_sleeping_task.py": Idle(),
    "c2_ok_idle_lease_alarm.py": Idle(verdict=("Verdict: no deadlock: every thread waits, and signal SIGALRM "
                                               "(its handler on_lease_end, c2_ok_idle_lease_alarm.py:",
                                               ") can still wake the program.")),
    # A client thread waits on a Unix socket for the process's own asyncio server, which answers
    # from a call_later timer; a reactor waits without a timeout for a byte a Timer will send.
    "c2_ok_idle_unix_server_timer_reply.py": Idle(note={"client": ["waits to read from Unix socket", "@client_recv client"]}),
    "c2_ok_idle_selector_timer_wakeup.py": Idle(note={"reactor": ["waits in epoll for input on Unix socket",
                                                                  "@reactor_select reactor"]}),
    # Many waiters: 64 workers in get() fed once a minute; 2000 tasks waiting for an Event a
    # call_later timer sets; a Pool worker computing while the parent waits for the callback's Event.
    "c2_ok_idle_many_workers_slow_producer.py": Idle(note={
        "MainThread": ["is sleeping (time.sleep or similar, ", "@scheduler_sleep <module>"]}),
    "c2_ok_idle_aio_many_tasks_event_timer.py": Idle(),
    "c2_ok_idle_pool_callback_event.py": Idle(parent_asleep=True, verdict=_CHILD, plain_verdict_ok=True),
    # Handlers await a slow token refresh through asyncio.shield().
    "c2_ok_idle_aio_shield_slow_refresh.py": Idle(),
    # One shipper blocked writing into the full pipe holds the stream's C lock; two wait for it.
    "c2_ok_idle_shippers_full_pipe.py": Idle(),
    # The queue is fed by a ctypes callback that a C library's thread calls (a POSIX timer).
    "c2_ok_idle_ctypes_timer_callback.py": Idle(verdict=(
        "Verdict: no deadlock: every thread waits, and a C thread calling the ctypes callback on_sample (",
        "which calls samples.put() at c2_ok_idle_ctypes_timer_callback.py:", "Python does not know) can still wake the program.")),
    # A thread copies a non-Python command's output from a pseudo-terminal; a thread blocks on
    # an eventfd that the SIGHUP handler bumps.
    "c2_ok_idle_pty_child_output.py": Idle(),
    "c2_ok_idle_eventfd_reload.py": Idle(min_version=(3, 10)),
    # An asyncio.Lock held across `await proc.wait()` of a long child (a waitpid thread before 3.12).
    # 3.6 and 3.7 name their SIGCHLD handler (the child watcher) as what can still wake it.
    "c2_ok_idle_aio_subprocess_under_lock.py": Idle(verdict=("Verdict: no deadlock",)),
    # multiprocessing.pool.ThreadPool workers in a slow fetch (a sleep); main in imap_unordered.
    "c2_ok_idle_threadpool_slow_fetch.py": Idle(),
    "c2_ok_idle_queue_mutex_janitor.py": Idle(),
    "c2_ok_idle_priority_scheduler.py": Idle(),
    "c2_ok_idle_sigtimedwait_supervisor.py": Idle(),
    "c2_ok_idle_aio_add_reader_pipe.py": Idle(),
    "c2_ok_idle_mp_lock_sleeper.py": Idle(),
    "c2_ok_idle_main_returned_workers.py": Idle(),
    "c2_ok_idle_cond_wait_for_timeout.py": Idle(),
    "c2_ok_idle_thread_recv_child_client.py": Idle(),
    "c2_ok_idle_aio_subprocess_communicate.py": Idle(),
    # A task follows a helper's stdout (the loop reads that one pipe, the helper's shell waits for
    # its sleep): the loop's thread reads the pipe, and the helper can still write.
    # (Not on 3.6 and 3.7: their child watcher, a SIGCHLD handler, names no child.)
    "c2_ok_idle_aio_follow_child_output.py": Idle(note={"MainThread": ["for a task that reads a pipe (fd "]},
                                                  note_from=(3, 8)),
    "c2_ok_idle_lock_holder_runs_child.py": Idle(),
    # main holds a lock and joins a reader that will need it, but only after the child writes.
    "c2_ok_idle_reader_thread_then_lock.py": Idle(),
    "c2_ok_idle_native_sleep_holder.py": Idle(),
    # A blocking queue.get() on the event loop's thread, fed by a thread that sleeps first.
    "c2_ok_idle_aio_blocking_get_in_loop.py": Idle(),
    "c2_ok_idle_mp_listener_accept.py": Idle(),
    "c2_ok_idle_lockf_child_holder.py": Idle(),
    "c2_ok_idle_waitpid_any_thread.py": Idle(),
    "c2_ok_idle_aio_timer_feeds_threads.py": Idle(),
    # A producer blocked in put() on a full queue while the uploader sleeps; a Manager's queue and
    # lock held by a sleeping worker process; a sched.scheduler sleeping until its next event; a
    # parent waiting in Connection.recv() for a slow child.
    "c2_ok_idle_bounded_queue_backpressure.py": Idle(),
    "c2_ok_idle_mp_manager_queue.py": Idle(),
    "c2_ok_idle_sched_runner.py": Idle(),
    "c2_ok_idle_mp_parent_child_chat.py": Idle(),
    # Paused inside its SIGUSR1 handler until SIGUSR2's handler sets the Event it waits for: the
    # running handler is not a way out, the other signal is.
    "c2_ok_idle_signal_handler_waits_resume.py": Idle(verdict=(
        "Verdict: no deadlock: every thread waits, and signal SIGUSR2 (its handler on_resume, "
        "c2_ok_idle_signal_handler_waits_resume.py:", ") can still wake the program.")),
    # Blocked on purpose until Ctrl-C: an Event (a Future) made on the spot that nothing can set.
    "c2_ok_idle_event_wait_forever.py": Idle(verdict=(
        "Verdict: no deadlock: every thread waits, and Ctrl-C or another signal (the main thread waits at "
        f"c2_ok_idle_event_wait_forever.py:{line('c2_ok_idle_event_wait_forever.py', 'forever')} in "
        "`threading.Event().wait()`, on an object nothing else can reach: it runs until it is interrupted)",)),
    "c2_ok_idle_aio_future_forever.py": Idle(verdict=(
        "Verdict: no deadlock: every thread waits, and Ctrl-C or another signal (the main thread's task ",
        f"waits at c2_ok_idle_aio_future_forever.py:{line('c2_ok_idle_aio_future_forever.py', 'forever')} in "
        "`await asyncio.Future()`, on an object nothing else can reach: it runs until it is interrupted)")),
}

IDLE_WRONG: Dict[Tuple[str, Optional[Tuple[str, ...]], Optional[str]], str] = {
}


@pytest.mark.parametrize("source", ["live", "core"])
@pytest.mark.parametrize("script", sorted(IDLE))
@READING_TIMEOUT
def test_idle_is_not_a_deadlock(python, pyhang, script, source, request, tmp_path_factory):
    if python.version[:2] < IDLE[script].min_version:
        pytest.skip(f"{script} needs Python {IDLE[script].min_version} to be healthy")
    _skip_core(python, source)
    _xfail(request, IDLE_WRONG, python, script, source)
    jobs = {name: Job(name, parent_asleep=spec.parent_asleep) for name, spec in IDLE.items()
            if python.version[:2] >= spec.min_version}
    text, doc, json_rc, _ = read_all(python, pyhang, jobs, tmp_path_factory, with_cores(python))[script][source]
    shown = describe(text)
    last = last_line(text)
    assert (text.returncode, json_rc) == (0, 0), shown
    want = IDLE[script].verdict
    if IDLE[script].live_only_verdict and source == "core":
        want = ()
    if IDLE[script].plain_verdict_ok and last == "Verdict: no deadlock found.":
        want = ()
    if want:
        pos = 0
        for fragment in want:
            at = last.find(fragment, pos)
            assert at >= 0, (fragment, last, shown)
            pos = at + len(fragment)
    else:
        assert last == "Verdict: no deadlock found.", shown
    assert doc["diagnosis"]["verdict"] == "no-deadlock" and doc["diagnosis"]["findings"] == [], shown
    if source == "live" and python.version[:2] >= IDLE[script].note_from:
        threads = {t["name"]: t for t in doc["processes"][0]["threads"]}
        for name, fragments in IDLE[script].note.items():
            assert name in threads, (name, sorted(threads), shown)
            notes = thread_notes(doc, name)
            assert len(notes) == 1, (name, notes, shown)
            for fragment in fragments:
                if fragment.startswith("@"):
                    marker, function = fragment[1:].split()
                    fragment = f"{script}:{line(script, marker)} in {function}"
                assert fragment in notes[0], (name, fragment, notes[0], shown)


# --------------------------------------------------------------------------------------------
# Hangs


@dataclass
class At:
    marker: Optional[str]  # the `# LINE:` marker (in the hang's own file) where the participant waits;
    # None: a library thread (an idle pool worker) whose place is not checked
    function: str
    holds: Sequence[str] = ()  # markers of the `with`/acquire() of each hold


@dataclass
class Hang:
    kinds: Sequence[str]  # the kinds of the findings, in order
    # participants of the first finding: "thread" / "task:name" / "child:thread" -> where
    participants: Dict[str, At]
    children: bool = False
    min_version: Tuple[int, int] = (3, 0)
    max_version: Tuple[int, int] = (99, 0)  # the last version on which the program hangs
    live_only: bool = False  # from a core (no /proc): "no deadlock", asserted
    fix: Sequence[str] = ()  # fragments of the first finding's fix line, in order ("@marker" = "<script>:<line>")
    fix_live_only: bool = False  # the fix needs /proc (a core's is checked for nothing)
    # A wake site's runner that a signal handler (this function) interrupted and blocks.
    interrupted_by: Optional[str] = None


HANGS: Dict[str, Hang] = {
    "c2_hang_inventory.py": Hang(["lock-order-cycle"], {
        "reservations": At("attach_with", "attach", holds=["reserve_with"]),
        "cancellations": At("release_with", "release", holds=["cancel_with"]),
    }),
    "c2_hang_rlock_bus.py": Hang(["lock-order-cycle"], {
        "ui": At("on_event_with", "on_event", holds=["publish_with"]),
        "sync": At("publish_with", "publish", holds=["update_with"]),
    }),
    "c2_hang_join_pair.py": Hang(["join-cycle"], {
        "replica-a": At("peer_join", "run"),
        "replica-b": At("peer_join", "run"),
    }),
    "c2_hang_queue_worker_died.py": Hang(["all-blocked"], {
        "MainThread": At("main_join", "main"),
    }),
    "c2_hang_condition_no_notify.py": Hang(["all-blocked"], {
        "flusher": At("flusher_wait", "flusher"),
        "writer": At("writer_join", "write_and_flush", holds=["writer_with"]),
        "MainThread": At("main_with", "main"),
    }),
    # Every thread waiting for the dead owner's lock is in the one finding.
    "c2_hang_dead_owner_rlock.py": Hang(["held-by-dead-thread"], {
        "api": At("api_with", "serve_api"),
        "MainThread": At("main_with", "main"),
    }),
    "c2_hang_dead_owner_lock.py": Hang(["held-by-dead-thread"], {
        "writer-0": At("write_with", "write"),
        "writer-1": At("write_with", "write"),
    }),
    "c2_hang_dead_owner_condition.py": Hang(["held-by-dead-thread"], {
        "dispatcher": At("dispatch_with", "dispatch"),
    }),
    "c2_hang_gc_dict_cache.py": Hang(["gc-reentrancy"], {
        "MainThread": At("evict_with", "evict", holds=["refresh_with"]),
    }),
    "c2_hang_gc_log_handler.py": Hang(["gc-reentrancy"], {
        "MainThread": At("emit_with", "emit", holds=["emit_with"]),
    }),
    "c2_hang_aio_account_locks.py": Hang(["lock-order-cycle"], {
        "task:pay-bob": At("destination_lock", "transfer", holds=["source_lock"]),
        "task:pay-alice": At("destination_lock", "transfer", holds=["source_lock"]),
    }),
    "c2_hang_aio_future_pair.py": Hang(["all-blocked"], {
        "task:Task-1": At("main_gather", "main"),
        "task:leader": At("leader_await", "leader"),
        "task:follower": At("follower_await", "follower"),
    }),
    "c2_hang_aio_event_orphan.py": Hang(["all-blocked"], {
        "task:Task-1": At("main_await", "main"),
        "task:indexer": At("indexer_wait", "indexer"),
    }),
    "c2_hang_aio_threadsafe_lock.py": Hang(["join-cycle"], {
        "exporter": At("exporter_result", "exporter", holds=["exporter_with"]),
        "task:Task-1": At("loop_with", "count_request"),  # the loop's thread, inside its task
    }),
    "c2_hang_executor_shutdown_lock.py": Hang(["join-cycle"], {
        "MainThread": At("close_shutdown", "close", holds=["close_with"]),
        "ThreadPoolExecutor-0_0": At("write_back_with", "write_back"),
    }),
    "c2_hang_semaphore_order.py": Hang(["lock-order-cycle"], {
        "trainer": At("job_license", "run_training_job", holds=["job_gpu"]),
        "auditor": At("audit_gpu", "audit_licenses", holds=["audit_license"]),
    }),
    "c2_hang_repr_lock.py": Hang(["self-deadlock"], {
        "MainThread": At("repr_with", "__repr__", holds=["add_with"]),
    }),
    "c2_hang_property_self.py": Hang(["self-deadlock"], {
        "payments": At("available_with", "available", holds=["withdraw_with"]),
    }),
    "c2_hang_signal_handler_lock.py": Hang(["signal-reentrancy"], {
        "MainThread": At("handler_with", "on_alarm", holds=["main_with"]),
    }),
    "c2_hang_aio_executor_event.py": Hang(["all-blocked"], {
        "task:Task-1": At("main_await", "main"),
        "task:fetch-profile": At("fetch_await", "fetch"),
        "executor*": At("fetch_wait", "blocking_fetch"),
    }, fix=["authenticated.set() (", "@set", " in fetch()) would end the wait, but task ", " reaches it only after line ",
            ", where it waits itself: make that call before the wait."]),
    "c2_hang_queue_put_under_lock.py": Hang(["all-blocked"], {
        "indexer": At("indexer_with", "indexer"),
        "ingest": At("ingest_put", "ingest", holds=["ingest_with"]),
        "MainThread": At("main_join", "main"),
    }),
    # Two bounded queues in opposite directions, filled at once: each stage is in put() on the
    # other's full queue, and the get() that would make room is further down the other stage.
    "c2_hang_bounded_channels.py": Hang(["all-blocked"], {
        "indexer": At("indexer_put", "indexer"),
        "enricher": At("enricher_put", "enricher"),
        "MainThread": At("main_join", "main"),
    }, fix=["is full, and", "which would take from it (", ".get() at", "is itself blocked putting into",
            "bounded queues in both directions filled up at once"]),
    "c2_hang_aio_bounded_channels.py": Hang(["all-blocked"], {
        "task:Task-1": At("main_gather", "main"),
        "task:indexer": At("stage_put", "stage"),
        "task:enricher": At("stage_put", "stage"),
    }, fix=["is full, and task ", "which would take from it (inbox.get() at", "is itself blocked putting into",
            "bounded queues in both directions filled up at once"]),
    "c2_hang_pool_task_leaks_lock.py": Hang(["all-blocked"], {
        "MainThread": At("cleanup_with", "cleanup"),
        "thumbs_0": At(None, "_worker"),  # the idle worker whose finished task leaked the lock
    }),
    # A Pool worker killed while it ran a job: the job is lost, the new worker and the other one
    # wait for work, the program for the job's result.
    "c2_hang_pool_worker_killed.py": Hang(["all-blocked"], {
        "MainThread": At("get", "main"),
        "child:MainThread": At(None, "worker"),
        "child:Thread-1*": At(None, "worker"),  # the new worker, forked by the Pool's worker handler
    }, children=True),
    "c2_hang_mp_child_died_lock.py": Hang(["held-by-dead-process"], {
        "MainThread": At("parent_with", "main"),
    }, children=True),
    "c2_hang_cycle_sigterm_handler.py": Hang(["lock-order-cycle"], {
        "config-reloader": At("reload_metrics", "reload_config", holds=["reload_config"]),
        "metrics-flusher": At("flush_config", "flush_metrics", holds=["flush_metrics"]),
    }),
    "c2_hang_atexit_stop_event.py": Hang(["all-blocked"], {
        "heartbeat": At("heartbeat_wait", "heartbeat"),
        "MainThread": At(None, "_shutdown"),  # the interpreter's exit joins the non-daemon threads
    }),
    "c2_hang_queue_protocol.py": Hang(["all-blocked"], {
        "client": At("client_get", "client"),
        "server": At("server_get", "server"),
        "MainThread": At("main_join", "main"),
    }),
    "c2_hang_listener_stop_lock.py": Hang(["join-cycle"], {
        "MainThread": At("listener_stop", "main", holds=["shutdown_with"]),
        "Thread-1*": At("emit_with", "emit"),  # the QueueListener's thread
    }),
    "c2_hang_contextmanager_order.py": Hang(["lock-order-cycle"], {
        "restocker": At("orders_acquire", "locked", holds=["restock_stock"]),
        "order-taker": At("inventory_with", "locked", holds=["take_orders"]),
    }),
    "c2_hang_generator_holds_lock.py": Hang(["self-deadlock"], {
        "MainThread": At("insert_with", "insert", holds=["main_insert"]),
    }),
    "c2_hang_timer_cancel_join.py": Hang(["join-cycle"], {
        "MainThread": At("close_join", "close", holds=["close_with"]),
        "token-refresh": At("refresh_lock", "_refresh"),
    }),
    # A blocking threading.Event.wait() inside a coroutine: the task that would set it is on the
    # same (blocked) loop.
    "c2_hang_aio_sync_event_in_loop.py": Hang(["all-blocked"], {
        "MainThread": At("sync_wait", "handle_request"),
    }),
    "c2_hang_condition_wait_holding_lock.py": Hang(["all-blocked"], {
        "matcher": At("matcher_wait", "match_forever", holds=["matcher_with"]),
        "gateway": At("gateway_lock", "submit"),
        "MainThread": At("main_join", "main"),
    }),
    "c2_hang_queue_workers_refill_full.py": Hang(["all-blocked"], {
        "crawler-0": At("put", "crawl"),
        "crawler-1": At("put", "crawl"),
        "MainThread": At("join", "main"),
    }),
    "c2_hang_aio_lock_across_get.py": Hang(["all-blocked"], {
        "task:Task-1": At("gather", "main"),
        "task:refresher": At("refresh_get", "refresh", holds=["refresh_with"]),
        "task:token-fetcher": At("fetch_lock", "fetch_token"),
    }),
    "c2_hang_semaphore_nested_checkout.py": Hang(["self-deadlock"], {
        "request-ann": At("audit_checkout", "audit", holds=["request_with"]),
        "request-bob": At("audit_checkout", "audit", holds=["request_with"]),
    }),
    # A threading lock held across an await by another task of the loop the waiter blocks.
    "c2_hang_aio_thread_lock_across_await.py": Hang(["self-deadlock"], {
        "MainThread": At("request_lock", "handle_request"),
    }),
    # A collector holds a lock while it blocks in queue.SimpleQueue.get() (C); the producer needs
    # the lock before it puts.
    "c2_hang_simplequeue_under_lock.py": Hang(["all-blocked"], {
        "collector": At("get", "collector", holds=["collector_with"]),
        "producer": At("producer_with", "producer"),
        "MainThread": At("main_join", "main"),
    }, min_version=(3, 7)),
    # Renders in a full ThreadPoolExecutor wait (run_coroutine_threadsafe) for tasks that await
    # reads queued in the same executor.
    "c2_hang_aio_executor_starvation.py": Hang(["join-cycle"], {
        "render_0": At("render_result", "render_report"),
        "render_1": At("render_result", "render_report"),
        "render_2": At("render_result", "render_report"),
    }),
    # A child forked while another thread held an RLock: the owner never existed in the child.
    # The source's `if cache._lock.acquire(False):` (a failed try) is no hold: the RLock's
    # recorded owner says who holds it (was: self-deadlock, "A threading.Lock is not re-entrant").
    "c2_hang_fork_rlock_child.py": Hang(["held-by-dead-thread"], {
        "reports_0": At("child_get", "get"),
    }, fix=["if the parent's thread held cache._lock when this process was forked: fork only before starting threads"],
        fix_live_only=True),  # a fork's copy is told by its stack, mapped where the parent's is (/proc)
    # The same starvation, the resizes waiting with concurrent.futures.wait([future]).
    "c2_hang_aio_starvation_futures_wait.py": Hang(["join-cycle"], {
        "resize_0": At("resize_wait", "resize"),
        "resize_1": At("resize_wait", "resize"),
    }),
    # A reactor holds its lock while it waits in select() (epoll, no timeout) for its wake-up
    # pipe, which the client writes only after taking that lock. The kernel's view (what the
    # epoll instance watches, who holds the pipe's write end) is live only.
    "c2_hang_selector_reactor_lock.py": Hang(["read-cycle"], {
        "reactor": At("select", "run", holds=["run_with"]),
        "client": At("call_soon_with", "call_soon"),
    }, live_only=True, fix=['"reactor" holds reactor._lock (since @run_with', "while it waits to read at @select",
                            'and "client", which would write, must take reactor._lock first (at @call_soon_with']),
    # The same with poll() and an RLock, joined by MainThread: live only.
    "c2_hang_poll_notifier_rlock.py": Hang(["read-cycle"], {
        "dispatcher": At("poll", "wait_events", holds=["hold"]),
        "publisher": At("publish_wait", "publish"),
    }, live_only=True),
    # A lock held across a barrier by one party keeps another party from reaching it.
    "c2_hang_barrier_lock_party.py": Hang(["all-blocked"], {
        "physics": At("physics_barrier", "physics", holds=["physics_with"]),
        "render": At("render_with", "render"),
        "audio": At("audio_barrier", "audio"),
        "MainThread": At("main_join", "main"),
    }, fix=["2 of 3 parties are waiting; thread \"render\" would reach step_barrier.wait() at @render_barrier, but is "
            "blocked first waiting for world_lock, which a party holds while it waits at the barrier: release world_lock "
            "before step_barrier.wait()"]),
    # The only producer of a multiprocessing.Queue died before it put anything (joined).
    "c2_hang_mp_queue_producer_crashed.py": Hang(["all-blocked"], {
        "MainThread": At("get", "main"),
    }),
    # The reader's own process keeps the pipe's write end open: live only (/proc).
    "c2_hang_pipe_own_write_end.py": Hang(["all-blocked"], {
        "MainThread": At("read_log", "read_log"),
    }, live_only=True),
    # Live only: who holds the socket's ends is read from /proc; a core says no deadlock.
    "c2_hang_mp_pipe_recv.py": Hang(["read-cycle"], {
        "MainThread": At("parent_recv", "handshake"),
        "child:MainThread": At("worker_recv", "worker"),
    }, children=True, live_only=True),
    # Locks taken with acquire() in opposite orders while a heartbeat thread sleeps in a loop: the
    # locks' release() calls are only in the cycle's own threads, after their waits.
    "c2_hang_acquire_order_heartbeat.py": Hang(["lock-order-cycle"], {
        "to-savings": At("second", "transfer", holds=["first"]),
        "to-checking": At("second", "transfer", holds=["first"]),
    }),
    # The same beside a third teller that can still run inside transfer(): it releases only the
    # locks it acquired there itself, so it is no hand-off of the cycle's locks.
    "c2_hang_acquire_order_busy_teller.py": Hang(["lock-order-cycle"], {
        "teller-1": At("second", "transfer", holds=["first"]),
        "teller-2": At("second", "transfer", holds=["first"]),
    }),
    # Tasks of one loop reading socketpairs whose other ends only they could write to (live: the
    # peers come from /proc and sock_diag; a core says "no deadlock").
    "c2_hang_aio_self_rpc_under_lock.py": Hang(["all-blocked"], {
        "task:Task-1": At("refresh_read", "refresh", holds=["refresh_with"]),
        "task:admin": At("admin_lock", "serve_admin"),
    }, live_only=True, fix=["do not hold", "while awaiting the read at @refresh_read"], fix_live_only=True),
    "c2_hang_aio_handshake_both_read.py": Hang(["all-blocked"], {
        "task:Task-1": At("gather", "main"),
        "task:node-a": At("peer_read", "peer"),
        "task:node-b": At("peer_read", "peer"),
    }, live_only=True, fix=["each of these tasks awaits a read", "let one side write before it reads"],
        fix_live_only=True),
    # select.select([fd], [], []) without a timeout is a read of fd (live: from the syscall's
    # fd_set in the target's memory).
    "c2_hang_select_wake_pipe_under_lock.py": Hang(["read-cycle"], {
        "poller": At("poll_select", "poll_loop", holds=["poll_with"]),
        "submitter": At("submit_lock", "submit"),
    }, live_only=True, fix=["while it waits to read at @poll_select", "before waiting for input"], fix_live_only=True),
    # Locks entered through a contextlib.ExitStack: held by the stack's `with`, waited for
    # inside enter_context().
    "c2_hang_exitstack_lock_order.py": Hang(["lock-order-cycle"], {
        "place-order": At("order_enter", "place_order", holds=["order_stack"]),
        "restock": At("restock_orders", "restock", holds=["restock_with"]),
    }),
    # A bounded multiprocessing.Queue filled before its consumer exists.
    "c2_hang_mp_queue_full_before_consumer.py": Hang(["all-blocked"], {
        "MainThread": At("fifth_put", "main"),
        "QueueFeederThread": At(None, "_feed"),  # the queue's own feeder, idle: nothing to send
    }, fix=["the multiprocessing queue that @fifth_put puts into is full (maxsize 4)", "start the consumer"]),
    # The lease's release is in a helper only an unused shutdown path calls.
    "c2_hang_lease_helper_only_on_shutdown.py": Hang(["lock-order-cycle"], {
        "scheduler": At("sched_db", "scheduler", holds=["sched_acquire"]),
        "reporter": At("rep_lease", "reporter", holds=["rep_db"]),
    }),
    # A sleeping thread will release another object's lock of the same attribute name.
    "c2_hang_lease_release_of_other_station.py": Hang(["lock-order-cycle"], {
        "scheduler": At("sched_db", "scheduler", holds=["sched_acquire"]),
        "reporter": At("rep_busy", "reporter", holds=["rep_db"]),
    }),
    # Two processes each hold a slot of a multiprocessing.BoundedSemaphore(2) and take a nested one.
    "c2_hang_mp_bounded_semaphore_nested.py": Hang(["self-deadlock"], {
        "child:worker-0": At("sub_with", "fetch", holds=["outer_with"]),
        "child:worker-1": At("sub_with", "fetch", holds=["outer_with"]),
    }, children=True,
        fix=["@sub_with takes slots again while @outer_with holds it: release it before acquiring it again"]),
    # asyncio.Event.set() from a thread: the wake-up is queued without waking the loop.
    "c2_hang_aio_event_set_from_thread.py": Hang(["all-blocked"], {
        "task:Task-1": At("wait", "main"),
    }, live_only=True, fix=["loop.call_soon_threadsafe(event.set), not event.set()"]),
    # The Event the workers wait for is set after the with block that joins them.
    "c2_hang_executor_exit_before_start.py": Hang(["all-blocked"], {
        "MainThread": At(None, "main"),
        "ThreadPoolExecutor-0_0": At("shard_wait", "load_shard"),
        "ThreadPoolExecutor-0_1": At("shard_wait", "load_shard"),
    }, fix=["start.set() (", "@start_set", " in main()) would end the wait, but \"MainThread\" reaches it only after line",
            "make that call before the wait"]),
    # A hand-off whose releaser waits for an Event nothing will set: nobody is left to act.
    "c2_hang_baton_releaser_waits_never_set.py": Hang(["lock-order-cycle"], {
        "scheduler": At("scheduler_db", "scheduler", holds=["scheduler_acquire"]),
        "reporter": At("reporter_busy", "reporter", holds=["reporter_db"]),
    }),
    # socketserver's shutdown() from a handler on the thread of serve_forever().
    "c2_hang_socketserver_shutdown_in_handler.py": Hang(["self-deadlock"], {
        "MainThread": At("handler_shutdown", "handle"),
    }, fix=["call shutdown() from another thread"]),
    # Both ends sending into full socket buffers, neither reading.
    # The waits are in _c2_settings.py, the module imported: their places are not checked here.
    "c2_hang_import_time_validation.py": Hang(["all-blocked"], {
        "MainThread": At("main_join", "main"),
        "plugin-loader": At(None, "<module>"),
        "settings-validator": At(None, "_validate"),
    }, fix=["\"plugin-loader\" imports _c2_settings, and the module's top-level code waits for _validated",
            "but \"settings-validator\" needs _c2_settings's import lock",
            "do not wait for other threads while a module is imported"]),
    "c2_hang_tcp_loopback_sendall.py": Hang(["full-pipe"], {
        "MainThread": At("leader_send", "main"),
        "follower": At("follower_send", "follower"),
    }, live_only=True, fix=["read the socket in another thread (or with select, or non-blocking) while sending"]),
    # The subprocess docs' deadlock, read without --children: the child that holds the pipe's
    # other end is not Python (cat), so its /proc state is read as --children would (live only).
    "c2_hang_popen_stdin_before_stdout.py": Hang(["full-pipe"], {
        "MainThread": At("write", "export"),
        "child:cat": At(None, ""),
    }, live_only=True, fix=["use communicate(input=...) instead of writing the child's stdin at @write"], fix_live_only=True),
    # The same with a Python child, read with --children (live only: the pipes come from /proc).
    "c2_hang_popen_python_child_pipes.py": Hang(["full-pipe"], {
        "MainThread": At("write", "<module>"),
        "child:MainThread": At(None, "<module>"),
    }, children=True, live_only=True, fix=["use communicate(input=...) instead of writing the child's stdin at @write"],
        fix_live_only=True),
    # Reading a child's stdout to its end while its stderr fills; the child is a shell pipeline
    # (not Python): the shell waits for any of its children, shown from /proc (live only).
    "c2_hang_popen_read_stdout_stderr_fills.py": Hang(["full-pipe"], {
        "MainThread": At("read_report", "run_checks"),
        "child:sh": At(None, ""),
        "child:seq": At(None, ""),
        "child:sed": At(None, ""),
    }, live_only=True, fix=["read the child's pipes together, with communicate()",
                            "instead of reading one to its end at @read_report"], fix_live_only=True),
    # os.wait() for any child, while every child waits to read what the parent has not written.
    # The asyncio form: the loop reads stdout only (stderr's stream paused, its buffer full).
    # 3.6 and 3.7 watch children with a SIGCHLD handler, which pyhang counts as a way out.
    "c2_hang_aio_read_stdout_stderr_fills.py": Hang(["full-pipe"], {
        "MainThread": At(None, ""),
        "child:sh": At(None, ""),
        "child:seq": At(None, ""),
    }, live_only=True, min_version=(3, 8), fix=["use `await proc.communicate()` instead of reading one of the child's "
                                                "pipes to its end at @read_stdout"], fix_live_only=True),
    # A task awaits a child's output before writing the input the child reads first.
    "c2_hang_aio_read_before_write.py": Hang(["read-cycle"], {
        "MainThread": At(None, ""),
        "child:cat": At(None, ""),
    }, live_only=True, min_version=(3, 8), fix=["write the child's input first", "before awaiting its output at "
                                                "@read_greeting, or use `await proc.communicate(input)`"],
        fix_live_only=True),
    "c2_hang_prefork_wait_before_config.py": Hang(["read-cycle"], {
        "MainThread": At("master_wait", "main"),
        "child:worker-0": At("worker_read", "worker"),
        "child:worker-1": At("worker_read", "worker"),
    }, children=True, live_only=True, fix=["write what the children read first (fd ", "before waiting for them to "
                                           "exit at @master_wait, or wait from another thread."], fix_live_only=True),
    # A forked worker waits for an event only a thread of its parent sets (threads are not
    # copied by fork); live, the fix says so (a core does not tell a fork from an exec).
    "c2_hang_fork_refresher_event.py": Hang(["all-blocked"], {
        "child:MainThread": At("wait_cache", "handle_jobs"),
    }, children=True, fix=["cache_ready.set() (", "@set in refresh_loop()) would end the wait, but no live thread or "
                           "task is running refresh_loop() in this process: it is a copy of pid ", "made by fork()"],
        fix_live_only=True),
    # A queue used as a connection pool: each thread holds one connection and asks for a second.
    "c2_hang_queue_pool_nested_checkout.py": Hang(["all-blocked"], {
        "request-ann": At("checkout", "connection"),
        "request-bob": At("checkout", "connection"),
        "MainThread": At("join", "main"),
    }, fix=["the threads that would put items back into pool._idle (", "are the ones waiting in get() for one",
            "(taken at @with_request in handle_request(), the second asked for at @with_audit in audit())"]),
    # A lock held across Queue.join() while the worker needs it to finish the item.
    "c2_hang_queue_join_under_lock.py": Hang(["all-blocked"], {
        "writer": At("writer_lock", "writer"),
        "MainThread": At("flush_join", "flush", holds=["flush_with"]),
    }, fix=["do not hold index_lock while waiting for writes"]),
    # Popen(preexec_fn=...) forked while another thread held the lock preexec_fn takes.
    "c2_hang_preexec_fn_lock.py": Hang(["all-blocked"], {
        "child:MainThread": At("child_lock", "lower_priority"),
    }, children=True, fix=["do not take locks in Popen's preexec_fn (lower_priority runs in the forked child"]),
    # The script ended; the interpreter waits in threading._shutdown() for a non-daemon worker
    # that waits for a stop sentinel nobody sends.
    "c2_hang_shutdown_no_sentinel.py": Hang(["all-blocked"], {
        "uploader": At("get", "uploader"),
        "MainThread": At(None, "_shutdown"),
    }, fix=["have the producer put a sentinel for each consumer"]),
    # The only consumer handles a checkpoint item by joining its own queue: that item is
    # unfinished until the consumer calls task_done() after the join.
    "c2_hang_worker_joins_own_queue.py": Hang(["all-blocked"], {
        "journal-writer": At("writer_join", "writer"),
        "MainThread": At("main_join", "main"),
    }, fix=['"journal-writer" waits in jobs.join() for the item it took itself',
            "a consumer must not join its own queue"]),
    # A one-worker executor: the worker runs the first future's done-callback, which needs the
    # lock the main thread holds while it waits for the second future, queued behind that worker.
    # Two tasks awaiting each other, through asyncio.shield() (its outer future is completed by
    # the inner task's callback) and through wait_for(timeout=None) and wait().
    "c2_hang_aio_shield_cycle.py": Hang(["await-cycle"], {
        "task:session": At("session_shield", "session"),
        "task:refresher": At("refresher_await", "refresher"),
    }),
    "c2_hang_aio_wait_for_cycle.py": Hang(["await-cycle"], {
        "task:producer": At("producer_wait_for", "producer"),
        "task:consumer": At("consumer_wait", "consumer"),
    }),
    "c2_hang_done_callback_lock.py": Hang(["join-cycle"], {
        "loader_0": At("callback_lock", "remember"),
        "MainThread": At("main_result", "main", holds=["main_with"]),
    }, fix=["release registry_lock before waiting"]),
    # A fork while the audit writer held the log file's BufferedWriter lock: the child's flush waits
    # for a thread of the parent, which does not exist in the child.
    "c2_hang_fork_audit_log.py": Hang(["held-by-dead-thread"], {
        "child:MainThread": At("child_flush", "export"),
    }, children=True, fix=["do not fork while other threads may write to audit: a forked child has only the thread"]),
    # A parent holding an flock() on the state file while it waits for a child that takes the same
    # flock. Who holds a file lock is known only live (/proc/locks).
    "c2_hang_flock_held_across_child.py": Hang(["join-cycle"], {
        "MainThread": At("wait", "deploy"),
        "child:MainThread": At(None, "<module>"),
    }, children=True, live_only=True, fix=["the main process (pid", "waits at @wait while it holds an exclusive flock() on",
                                           "which the child process (pid", "release the lock (fcntl.flock(f, fcntl.LOCK_UN), or close the file) before waiting."]),
    # An asyncio.Lock taken with acquire() by a coroutine that returns early without release(),
    # awaited inline by the main task: the writers waiting for it share one finding.
    "c2_hang_aio_lock_leaked_early_return.py": Hang(["held-by-finished-task"], {
        "task:writer-0": At("write_lock", "write"),
        "task:writer-1": At("write_lock", "write"),
        "task:writer-2": At("write_lock", "write"),
    }, fix=["use `async with db.lock:` so that the lock is released on every path: an early return"]),
    # A weakref callback takes the registry lock that the thread dropping the last reference holds.
    "c2_hang_weakref_callback_lock.py": Hang(["self-deadlock"], {
        "MainThread": At("forget_with", "_forget", holds=["prune_with"]),
    }),
    # A helper child asks this process's control server for data the server needs the lock for,
    # which the parent holds while it waits for the child. Who holds a socket's other end is
    # known only live (/proc).
    "c2_hang_child_calls_back_under_lock.py": Hang(["read-cycle"], {
        "MainThread": At("run", "reconfigure", holds=["reconfigure_with"]),
        "control-server": At("serve_with", "serve"),
        "child:MainThread": At(None, "<module>"),
    }, children=True, live_only=True, fix=['"MainThread" holds config_lock (since @reconfigure_with', ') while it waits at @run,',
                                           'must take config_lock first (at @serve_with', '): release config_lock before that wait.']),
    # functools.cached_property's lock (one per property, 3.8 to 3.11) held by a getter that
    # joins a thread reading the same property of another instance.
    "c2_hang_cached_property_lock.py": Hang(["join-cycle"], {
        "MainThread": At("join", "settings"),
        "replica-loader": At("replica_settings", "_load_replica"),
    }, min_version=(3, 8), max_version=(3, 11), fix=[
        "functools.cached_property (Python 3.8 to 3.11) computes Connection.settings under one lock shared by every "
        "instance: \"MainThread\" holds it while the getter waits at @join,",
        "and \"replica-loader\" needs it to read that property (of any instance) at @replica_settings:"]),
    # An RLock taken with acquire() by a worker whose release() an exception skipped: the worker
    # owns it while it waits for the next job, which the main thread queues under the lock.
    "c2_hang_rlock_leaked_by_worker.py": Hang(["all-blocked"], {
        "applier": At("get", "applier"),
        "MainThread": At("main_with", "main"),
    }, fix=['"applier" holds state_lock, taken by code that has returned without releasing it',
            'is in "MainThread", which waits for state_lock: release state_lock on every path (use `with state_lock:`).']),
    # Two one-worker pools whose tasks wait for each other's futures, queued behind the waiters.
    "c2_hang_two_pools_cross_wait.py": Hang(["join-cycle"], {
        "fetch_0": At("fetch_wait", "fetch"),
        "parse_0": At("parse_wait", "parse"),
    }, fix=['"fetch_0" at @fetch_wait and "parse_0" at @parse_wait each wait for a future still queued in the '
            "other's pool, whose workers are all among these waiting threads"]),
    # multiprocessing.pool.ThreadPool(2) whose two section tasks map their paragraphs on the same
    # pool: both workers wait for work queued behind them.
    "c2_hang_threadpool_nested_sections.py": Hang(["join-cycle"], {
        "Thread-1*": At("section_map", "build_section"),
        "Thread-2*": At("section_map", "build_section"),
    }, fix=["give the ThreadPool more workers than tasks that wait"]),
    # apply_async(callback=...) runs the callback in the pool's result-handler thread: blocked
    # there on a lock the main thread holds while it waits for the next result (a ThreadPool, and
    # a Pool of processes, whose handler is a thread of the parent).
    "c2_hang_pool_callback_lock.py": Hang(["join-cycle"], {
        "MainThread": At("main_get", "main", holds=["main_with"]),
        "Thread-5*": At("record_with", "record"),
    }, fix=['"MainThread" waits at @main_get while it holds index_lock (since ', '@main_with', '), which "Thread-5',
            'needs at @record_with: release index_lock before waiting.']),
    # The callback calls pool.apply(): the result handler waits for a result only it delivers.
    "c2_hang_pool_callback_waits_result.py": Hang(["join-cycle"], {
        "Thread-5*": At("callback_apply", "on_page"),
    }, fix=["do not wait for the pool's results inside a callback (", "@callback_apply", "): do the work in the callback itself"]),
    "c2_hang_mp_pool_callback_lock.py": Hang(["join-cycle"], {
        "MainThread": At("main_get", "main", holds=["main_with"]),
        "Thread-3*": At("store_with", "store"),
    }, fix=['"MainThread" waits at @main_get while it holds catalog_lock (since ', '@main_with', '), which "Thread-3',
            'needs at @store_with: release catalog_lock before waiting.']),
    # A fork while the warmup thread was importing a slow module: the child's import waits for
    # the module's import lock, owned by a thread that does not exist in the child.
    # The program takes the queue's own mutex and calls the queue's put(), which takes it again.
    "c2_hang_queue_mutex_put.py": Hang(["self-deadlock"], {
        "MainThread": At("put", "requeue", holds=["mutex_with"]),
    }, fix=["@put takes jobs.mutex again while ", "@mutex_with", " holds it: the methods of queue jobs (put, get, "
            "qsize...) take its mutex themselves; call them after leaving `with jobs.mutex:`"]),
    # A threading.Lock and a multiprocessing.Lock taken in opposite orders by two threads.
    "c2_hang_mixed_lock_order.py": Hang(["lock-order-cycle"], {
        "indexer": At("indexer", "indexer", holds=["indexer_with"]),
        "compactor": At("compactor", "compactor", holds=["compactor_with"]),
    }),
    # A writer-preferring readers/writer lock: a reader re-enters while a writer waits.
    "c2_hang_rwlock_writer_preference.py": Hang(["all-blocked"], {
        "reporter": At("read_wait", "acquire_read"),
        "updater": At("write_wait", "acquire_write"),
        "MainThread": At("main_join", "main"),
    }),
    # Parent and child each wait for the other's multiprocessing.Event first (cores taken one
    # process at a time cannot tell whether the other fed the shared semaphore between them).
    "c2_hang_mp_event_handshake.py": Hang(["all-blocked"], {
        "MainThread": At("parent_wait", "main"),
        "child:MainThread": At("child_wait", "child"),
    }, children=True, live_only=True, fix=[
        "child_ready.set() (c2_hang_mp_event_handshake.py:", " in child()) would end the wait, but process "
        "handshake-child (pid ", ") reaches it only after line ", ", where it waits itself (for parent_ready): make "
        "that call before the wait."]),
    # A multiprocessing.Queue's feeder thread pickles the job after put() returned; the pickling
    # (__getstate__) waits for the lock the main thread holds while it waits for the answer.
    "c2_hang_mp_feeder_pickles_under_lock.py": Hang(["all-blocked"], {
        "QueueFeederThread": At("getstate_with", "__getstate__"),
        "MainThread": At("results_get", "main", holds=["registry_with"]),
        "child:MainThread": At("jobs_get", "render"),
    }, children=True, live_only=True, fix=[
        "a multiprocessing.Queue's feeder thread pickles each item after put() has returned, and here the pickling "
        "waits for registry_lock at @getstate_with, which \"MainThread\" holds while it waits at @results_get"]),
    # A coroutine awaits an executor job that waits for a Future only the coroutine completes, later.
    "c2_hang_aio_executor_waits_own_ack.py": Hang(["all-blocked"], {
        "task:Task-1": At("await", "main"),
        "executor*": At(None, "result"),
    }, fix=["ack.set_result() (c2_hang_aio_executor_waits_own_ack.py:", " in main()) would end the wait, but task ",
            " reaches it only after line ", ", where it waits itself: make that call before the wait."]),
    # A task holding an asyncio.Lock awaits an executor job that waits for a coroutine needing it.
    "c2_hang_aio_lock_threadsafe_cycle.py": Hang(["all-blocked"], {
        "task:Task-1": At("main_await", "main", holds=["main_with"]),
        "task:Task-2": At("refresh_with", "refresh_token"),
        "executor*": At("upload_result", "blocking_upload"),
    }, fix=[" holds the Lock (since ", "@main_with", ") while it awaits a function in the executor thread ",
            "which waits at ", "@upload_result", " for task ", "that needs the Lock at ", "@refresh_with",
            ": release the Lock before awaiting the executor"]),
    # A done callback (run on the single worker that completed the future) waits for a job it
    # submitted to the same pool.
    "c2_hang_done_callback_waits_pool.py": Hang(["join-cycle"], {
        "io_0": At("chain", "on_downloaded"),
    }, fix=['"io_0" waits at ', "@chain", " inside a done callback (on_downloaded()), which runs on the pool's worker "
            "that completed the future: do not wait for the pool's futures in add_done_callback() callbacks"]),
    # A thread started under a lock needs that lock before it sets the event its starter waits for.
    "c2_hang_start_under_lock_ready_event.py": Hang(["all-blocked"], {
        "reader-1": At("run_with", "run"),
        "MainThread": At("add_wait", "add_reader", holds=["add_with"]),
    }, fix=['"MainThread" holds self.lock while it waits for r.ready, and ready.set() (',
            "in run()), which would end that wait, is in \"reader-1\", which waits for self.lock: do not hold "
            "self.lock while waiting for r.ready"]),
    # The script returned without the sentinel its non-daemon consumer waits for.
    "c2_hang_exit_waits_worker.py": Hang(["all-blocked"], {
        "consumer": At("get", "consumer"),
        "MainThread": At(None, "_shutdown"),
    }, fix=["would end the wait, but no live thread or task is running that module level code: have the producer "
            "put a sentinel for each consumer"]),
    # Three stages in a ring of maxsize=1 queues with more items in flight than the ring holds.
    "c2_hang_bounded_queue_ring.py": Hang(["all-blocked"], {
        "feeder": At("feed", "feeder"),
        "stage-0": At("put", "stage"),
        "stage-1": At("put", "stage"),
        "stage-2": At("put", "stage"),
        "MainThread": At("main_join", "main"),
    }, fix=["which is full too: the 3 bounded queues of this ring of stages all filled up"]),
    # An event bus calls a subscriber under its lock; the subscriber waits for a worker that
    # publishes on the same bus first.
    "c2_hang_observer_waits_worker.py": Hang(["all-blocked"], {
        "worker": At("publish_with", "publish"),
        "MainThread": At("wait", "on_order", holds=["publish_with"]),
    }, fix=['"MainThread" holds bus.lock while it waits for answer, and answer.set_result() (',
            '"worker", which waits for bus.lock: do not hold bus.lock while waiting for answer']),
    # Locks reached through two and three attributes (self.store.lock, app.service.store.lock):
    # named so, not "the lock" / "the Lock".
    "c2_hang_nested_attr_locks.py": Hang(["lock-order-cycle"], {
        "writer": At("write_inner", "write", holds=["write_with"]),
        "refresher": At("refresh_inner", "refresh", holds=["refresh_with"]),
    }, fix=["takes app.service.store.lock (", "@write_with", ") then app.service.cache.lock (", "@write_inner"]),
    "c2_hang_aio_nested_attr_locks.py": Hang(["lock-order-cycle"], {
        "task:promote": At("promote_inner", "promote", holds=["promote_with"]),
        "task:resync": At("resync_inner", "resync", holds=["resync_with"]),
    }, fix=["takes gw.backends.primary.lock (", "@promote_with", ") then gw.backends.replica.lock (", "@promote_inner"]),
    # A SIGUSR1 handler waits for an Event that only the main loop it interrupted sets.
    "c2_hang_signal_handler_waits_event.py": Hang(["all-blocked"], {
        "MainThread": At("handler_wait", "on_usr1"),
    }, fix=["on_usr1() is a signal handler (SIGUSR1) that interrupted main() at ", ' on "MainThread", and waits for '
            "flushed: the interrupted code cannot go on until the handler returns"], interrupted_by="on_usr1"),
    "c2_hang_fork_during_import.py": Hang(["held-by-dead-thread"], {
        "child:MainThread": At("child_import", "render"),
    }, children=True, fix=["import _c2_report_templates before starting threads that import it, or before forking"]),
}

_ALL = None
_DEBIAN_NEW = ("3.13.5", "3.14.10", "3.15.x")
HANG_WRONG: Dict[Tuple[str, Optional[Tuple[str, ...]], Optional[str]], str] = {
    ("c2_hang_simplequeue_under_lock.py", ("3.13.0", "3.13.5", "3.14.10", "3.15.x"), "core"):
        "pyhang says 'no deadlock found': from 3.13 SimpleQueue.put() hands its item straight to a parked get(), "
        "so a getter that was handed an item and is waking up also shows an empty queue; a core has no second "
        "look to tell them apart, and such a wait is left out rather than called forever (live reads find the hang)",
    ("c2_hang_contextmanager_order.py", _DEBIAN_NEW, "core"):
        "pyhang says 'DEADLOCK (all-blocked)' ('which no live thread is known to hold'): in a gcore core of the "
        "Debian 3.13/3.14/3.15 builds an entry frame on a thread's C stack reads as zeros (gdb cannot read next "
        "to glibc's MADV_GUARD_INSTALL guard pages); the frames it hides are found again in the thread's data "
        "stack elsewhere, but not here, where the chain passes through the contextlib generators' frames (not "
        "yet understood further), so the `with ...locked():` frames that hold the locks are missing",
}


def task_or_thread(p: dict, ready_pid: int) -> str:
    if p.get("task"):
        return f"task:{p['task']}"
    return p["thread"] if p["pid"] == ready_pid else f"child:{p['thread']}"


@pytest.mark.parametrize("source", ["live", "core"])
@pytest.mark.parametrize("script", sorted(HANGS))
@READING_TIMEOUT
def test_hang_is_named(python, pyhang, script, source, request, tmp_path_factory):
    spec = HANGS[script]
    if python.version[:2] < spec.min_version:
        pytest.skip(f"{script} cannot reach its hang before {spec.min_version}")
    if python.version[:2] > spec.max_version:
        pytest.skip(f"{script} does not hang after {spec.max_version}")
    _skip_core(python, source)
    _xfail(request, HANG_WRONG, python, script, source)
    jobs = {name: Job(name, children=h.children) for name, h in HANGS.items()
            if h.min_version <= python.version[:2] <= h.max_version}
    text, doc, json_rc, ready_pid = read_all(python, pyhang, jobs, tmp_path_factory, with_cores(python))[script][source]
    shown = describe(text)
    if spec.live_only and source == "core":
        assert (text.returncode, json_rc, doc["diagnosis"]["verdict"]) == (0, 0, "no-deadlock"), shown
        return
    assert (text.returncode, json_rc) == (1, 1), shown
    diag = doc["diagnosis"]
    assert diag["verdict"] == "deadlock", shown
    assert [f["kind"] for f in diag["findings"]] == list(spec.kinds), shown
    assert last_line(text).startswith(f"Verdict: DEADLOCK ({spec.kinds[0]})"), shown
    participants = diag["findings"][0]["participants"]
    named_tasks = python.version[:2] >= (3, 8)  # 3.6 and 3.7 tasks have no names
    if named_tasks:
        got = {task_or_thread(p, ready_pid): p for p in participants}
        # "Thread-1*": a library thread whose default name varies with the version ("Thread-1",
        # "Thread-1 (_monitor)" since 3.10). "executor*": asyncio's default executor's thread
        # ("asyncio_0" since 3.9, "ThreadPoolExecutor-0_0" before).
        for pattern in [k for k in spec.participants if k.endswith("*")]:
            prefixes = ("asyncio_", "ThreadPoolExecutor-") if pattern == "executor*" else (pattern[:-1],)
            names = [k for k in got if k.startswith(prefixes)]
            if len(names) == 1:
                got[pattern] = got.pop(names[0])
        assert sorted(got) == sorted(spec.participants), shown
        pairs = [(name, want, got[name]) for name, want in spec.participants.items()]
    else:
        # Unnamed tasks: match the participants by where they wait.
        assert len(participants) == len(spec.participants), shown
        pairs = []
        for name, want in spec.participants.items():
            if want.marker is None:
                continue
            where = line(script, want.marker)
            match = [p for p in participants if p["at"] and p["at"]["line"] == where]
            assert match, (name, where, shown)
            pairs.append((name, want, match[0]))
    errors = []
    for name, want, p in pairs:
        if want.marker is None:
            continue
        at = {"file": program(script), "line": line(script, want.marker), "function": want.function}
        if p["at"] != at:
            errors.append(f"{name}: waits at {p['at']}, expected {at}")
        if p["waits_for"] is None or p["waits_for"]["timeout"]:
            errors.append(f"{name}: waits for {p['waits_for']}, expected a wait without a timeout")
        since = [h["since"] for h in p["holds"]]
        for marker in want.holds:
            where = {"file": program(script), "line": line(script, marker)}
            if not any({k: s.get(k) for k in ("file", "line")} == where for s in since):
                errors.append(f"{name}: holds nothing taken at line {where['line']} ({marker}); holds {p['holds']}")
    if spec.fix and not (spec.fix_live_only and source == "core"):
        fix = diag["findings"][0]["fix"] or ""
        at = 0
        for fragment in spec.fix:
            for m in [w for w in fragment.split() if w.startswith("@")]:
                marker = m[1:].rstrip(",.:;")
                fragment = fragment.replace("@" + marker, f"{os.path.basename(program(script))}:{line(script, marker)}")
            found = fix.find(fragment, at)
            if found < 0:
                errors.append(f"fix line lacks {fragment!r}: {fix!r}")
                break
            at = found + len(fragment)
    if spec.interrupted_by:
        runners = [r for w in diag["findings"][0]["wake_sites"] for r in w["runners"]]
        if not any(r["blocked"] and r["interrupted_by"] == spec.interrupted_by for r in runners):
            errors.append(f"no wake site's runner is interrupted by {spec.interrupted_by}(): {runners}")
    assert not errors, "\n".join(errors) + "\n" + shown

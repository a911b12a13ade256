"""Tests that cannot pass on some interpreters, each with its exact reason. conftest.py marks them
xfail(strict=True) for that interpreter only: if one starts passing, the run fails and the entry
must go.

Entries: (interpreter id, "test_file.py::[Class::]test_name", parameter substring or None, reason).
"""
from typing import List, Optional, Tuple

_NAMES = ("the program names its tasks (create_task(name=...), set_name(), or the default Task-N) and "
          "the test asserts those names; tasks have names only since 3.8 (before, pyhang shows "
          "<task at 0x...>; test_lock_twice_on_every_version covers that)")
_RUN36 = "the program starts its loop with asyncio.run (3.7+) and " + _NAMES
_SUBINTERP = ("the program creates a sub-interpreter through _xxsubinterpreters / _interpreters, "
              "which exist only since 3.8")
_PARENT = "the scenario joins multiprocessing.parent_process(), which exists only since 3.8"
_INITIALIZER = "the program passes initializer= to ProcessPoolExecutor, which accepts it only since 3.7"

_ASYNCIO_37 = ["test_seed_asyncio_lock_twice", "test_seed_asyncio_await_each_other",
               "test_seed_asyncio_lock_order", "test_seed_asyncio_lock_not_released", "test_join_cycle",
               "test_queue_join_missing_task_done", "test_event_never_set", "test_three_task_await_cycle",
               "test_three_lock_order_cycle", "test_lock_order_with_explicit_acquire",
               "test_to_thread_blocked_worker", "test_loops_in_two_threads",
               "test_coroutine_blocks_loop_thread_on_threading_lock", "test_task_tree_is_not_deadlocked"]
_ASYNCIO_36_ONLY = ["test_condition_never_notified", "test_semaphore_exhausted",
                    "test_sleeping_task_is_not_deadlocked", "test_idle_server_is_not_deadlocked"]

XFAILS: List[Tuple[str, str, Optional[str], str]] = []
for _t in _ASYNCIO_37:
    XFAILS.append(("3.7.16", "test_asyncio.py::" + _t, None, _NAMES))
for _t in _ASYNCIO_37 + _ASYNCIO_36_ONLY:
    XFAILS.append(("3.6.15", "test_asyncio.py::" + _t, None, _RUN36))
for _v in ("3.6.15", "3.7.16"):
    for _t in ("test_frames_of_both_interpreters", "test_subinterpreter_thread_is_not_the_main_thread",
               "test_subinterpreter_thread_ids"):
        XFAILS.append((_v, "test_stacks.py::TestSubinterpreter::" + _t, None, _SUBINTERP))
    for _t in ("test_text_report_is_escaped", "test_native_report_is_escaped", "test_json_keeps_the_exact_strings"):
        XFAILS.append((_v, "test_terminal_safety.py::" + _t, None,
                       "the hostile program gives its functions hostile names with CodeType.replace(), which "
                       "exists only since 3.8"))
    XFAILS += [
        (_v, "test_multiprocess.py::test_mp_join_each_other", None, _PARENT),
        (_v, "test_multiprocess.py::test_missing_child_is_named", None, _PARENT),
        (_v, "test_multiprocess_more.py::test_cores_of_every_process", "mp_join_each_other.py", _PARENT),
    ]
_SAFE_WATCHER = ("asyncio's SafeChildWatcher (the default before 3.8) waits for children through a SIGCHLD "
                 "handler, which pyhang counts as a signal that can still wake the program although the only "
                 "child that could send it is the blocked writer; the loop is not yet linked to that child")
for _v in ("3.6.15", "3.7.16"):
    XFAILS.append((_v, "test_pipes.py::test_asyncio_proc_wait_with_stdout_pipe", None, _SAFE_WATCHER))
    XFAILS.append((_v, "test_pipes.py::test_wait_on_a_child_reading_the_stdin_left_open", "aio", _SAFE_WATCHER))
XFAILS += [
    ("3.6.15", "test_multiprocess_more.py::test_ppe_event_never_set", None, _INITIALIZER),
    ("3.6.15", "test_multiprocess_more.py::test_ppe_lock_held_by_parent", None, _INITIALIZER),
]


def reason_for(interp_id: str, test: str, name: str) -> Optional[str]:
    """The reason `test` ("file::[Class::]name") with item name `name` fails on `interp_id`."""
    for v, t, param, reason in XFAILS:
        if v == interp_id and t == test and (param is None or param in name):
            return reason
    return None

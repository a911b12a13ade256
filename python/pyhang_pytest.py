"""pyhang_pytest: a pytest plugin that asks pyhang why a test is taking so long.

Load it with ``pytest -p pyhang_pytest`` (the file is installed in ``<prefix>/share/pyhang/python``:
put that directory on PYTHONPATH) and give ``--pyhang-after SECONDS`` (or the ini option
``pyhang_after``). When a test's call phase has run for SECONDS, a daemon thread of the test
process runs ``pyhang remote <its own pid>`` (pyhang only reads the process's memory: nothing runs
inside it), writes the report to the terminal at once (a deadlocked test may never end), keeps it
as the test's "pyhang" report section and, with ``--pyhang-output DIR``, in a file.

pyhang alone cannot end a deadlocked test. ``--pyhang-fail`` does: on a proven deadlock it
interrupts the test's main thread (the test fails with the report) and, once the session is over,
ends the process without waiting for the deadlocked threads. Otherwise combine the plugin with
pytest-timeout (``--timeout-method=thread``) or ``pyhang run --on-hang kill -- python -m pytest ...``.

Python 3.6 or newer (tested with pytest 7.2 on 3.11); Linux, like pyhang. See pyhang's README,
"Catch a hang in CI".
"""
import ctypes
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import threading
import time

import pytest

PYHANG_TIMEOUT = 120.0  # seconds for one pyhang run (it normally takes well under a second)
FAIL_GRACE = 10.0  # seconds the interrupted test has to end before the process exits
EXIT_STATUS = 124  # the process's status when --pyhang-fail cannot end the test (as `pyhang run`)
FAIL_SIGNAL = getattr(signal, "SIGUSR2", None)


def pytest_addoption(parser):
    group = parser.getgroup("pyhang", "diagnose slow or hung tests with pyhang")
    group.addoption("--pyhang-after", dest="pyhang_after", metavar="SECONDS", default=None,
                    help="run `pyhang remote` on this process when a test's call phase has run "
                         "for SECONDS (default: off; ini option pyhang_after)")
    group.addoption("--pyhang", dest="pyhang_bin", metavar="PATH", default=None,
                    help="the pyhang binary (default: $PYHANG, else pyhang on PATH)")
    group.addoption("--pyhang-args", dest="pyhang_args", metavar="ARGS", default="",
                    help="more arguments for pyhang remote, one string (e.g. '--locals')")
    group.addoption("--pyhang-output", dest="pyhang_output", metavar="DIR", default=None,
                    help="also write each report to DIR/<test>.txt")
    group.addoption("--pyhang-fail", dest="pyhang_fail", action="store_true", default=None,
                    help="on a deadlock, fail the test; end the process (status 124) if the test "
                         "cannot be interrupted (ini option pyhang_fail)")
    parser.addini("pyhang_after", "like --pyhang-after SECONDS", default=None)
    parser.addini("pyhang_fail", "like --pyhang-fail", type="bool", default=False)


def pytest_configure(config):
    value = config.getoption("pyhang_after")
    if value is None:
        value = config.getini("pyhang_after")
    if value in (None, ""):
        return
    try:
        after = float(value)
    except ValueError:
        raise pytest.UsageError("--pyhang-after / pyhang_after: not a number of seconds: %r" % (value,))
    if after < 0:
        raise pytest.UsageError("--pyhang-after / pyhang_after: negative: %r" % (value,))
    fail = config.getoption("pyhang_fail")
    if fail is None:
        fail = config.getini("pyhang_fail")
    config.pluginmanager.register(_PyhangPlugin(config, after, bool(fail)), "pyhang-watcher")


def _allow_inspection():
    """Let any process of our user (our child pyhang) ptrace us where Yama's ptrace_scope is 1:
    prctl(PR_SET_PTRACER, PR_SET_PTRACER_ANY). Harmless where there is no Yama."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(0x59616D61, ctypes.c_ulong(-1 & 0xFFFFFFFFFFFFFFFF), 0, 0, 0)
    except (OSError, AttributeError, ValueError):
        pass


def _file_name(nodeid):
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", nodeid).strip("_")[:150] or "test"


class _Inspection(object):
    """One pyhang run for one test, started by a timer in a daemon thread."""

    def __init__(self, plugin, item):
        self.plugin = plugin
        self.item = item
        self.done = threading.Event()
        self.started = False
        self.cancelled = False
        self.lock = threading.Lock()
        self.section = None  # the text for the report section
        self.deadlock = False
        self.headline = ""

    def start(self):
        self.timer = threading.Timer(self.plugin.after, self.run)
        self.timer.daemon = True
        self.timer.name = "pyhang-inspection"
        self.timer.start()

    def cancel(self):
        """Called when the call phase ends; True if an inspection is running or done."""
        with self.lock:
            self.cancelled = True
            started = self.started
        self.timer.cancel()
        return started

    def run(self):
        with self.lock:
            if self.cancelled:
                return
            self.started = True
        try:
            self._inspect()
        finally:
            self.done.set()
        if self.deadlock and self.plugin.fail:
            self.plugin.interrupt(self)

    def _inspect(self):
        plugin, nodeid = self.plugin, self.item.nodeid
        cmd = [plugin.binary, "remote", str(os.getpid()), "--color", "never"] + plugin.extra_args
        _allow_inspection()
        try:
            proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE)
        except OSError as e:
            self._finish(None, "pyhang: %s still running after %gs; cannot run %s: %s\n"
                         % (nodeid, plugin.after, plugin.binary, e), "")
            return
        try:
            out, err = proc.communicate(timeout=PYHANG_TIMEOUT)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
            self._finish(None, "pyhang: %s still running after %gs; pyhang did not answer within %gs\n"
                         % (nodeid, plugin.after, PYHANG_TIMEOUT), out.decode("utf-8", "replace"))
            return
        out = out.decode("utf-8", "replace")
        err = err.decode("utf-8", "replace")
        if proc.returncode in (0, 1):
            verdicts = [l for l in out.splitlines() if l.startswith("Verdict: ")]
            verdict = verdicts[-1][len("Verdict: "):] if verdicts else "see the report"
            self.deadlock = proc.returncode == 1
            note = "pyhang: %s still running after %gs: %s\n" % (nodeid, plugin.after, verdict)
            self._finish(proc.returncode, note, out + err)
        else:
            note = "pyhang: %s still running after %gs; pyhang could not inspect it (exit %d): %s\n" % (
                nodeid, plugin.after, proc.returncode, err.strip() or "no message")
            self._finish(proc.returncode, note, out)

    def _finish(self, status, note, report):
        plugin = self.plugin
        self.headline = note.rstrip("\n")
        self.section = note + ("\n" + report if report else "")
        where = ""
        if plugin.output_dir and report:
            try:
                if not os.path.isdir(plugin.output_dir):
                    os.makedirs(plugin.output_dir)
                path = os.path.join(plugin.output_dir, _file_name(self.item.nodeid) + ".txt")
                with open(path, "w") as f:
                    f.write(self.section)
                where = "pyhang: report written to %s\n" % path
            except OSError as e:
                where = "pyhang: cannot write the report to %s: %s\n" % (plugin.output_dir, e)
        # The terminal gets it now: a deadlocked test may never end, and a CI job killed by its
        # timeout keeps what reached the log.
        plugin.emit("\n" + note + (report.rstrip("\n") + "\n" if report else "") + where)


class _PyhangPlugin(object):
    def __init__(self, config, after, fail):
        self.config = config
        self.after = after
        self.fail = fail
        binary = config.getoption("pyhang_bin") or os.environ.get("PYHANG") or shutil.which("pyhang")
        self.binary = binary or "pyhang"
        self.extra_args = shlex.split(config.getoption("pyhang_args") or "")
        output_dir = config.getoption("pyhang_output")
        self.output_dir = os.path.abspath(output_dir) if output_dir else None  # a test may chdir
        # The real stderr, taken while pytest's capture is suspended (as pytest's faulthandler
        # plugin does): output capture (fd 2 redirected) would otherwise swallow the report.
        self.stderr_fd = os.dup(2)
        self.emit_lock = threading.Lock()
        self.state_lock = threading.Lock()
        self.running_item = None  # the test in its call phase
        self.pending = None  # the _Inspection whose deadlock is to fail the running test
        self.deadlocks = 0
        self.session = None
        self.handler_set = False
        self.previous_handler = None
        self.install_handler()

    def emit(self, text):
        data = text.encode("utf-8", "replace")
        with self.emit_lock:
            while data:
                try:
                    n = os.write(self.stderr_fd, data)
                except OSError:
                    return
                data = data[n:]

    # --pyhang-fail: a signal to the main thread (on POSIX it interrupts a blocked lock.acquire()
    # or join()), whose handler fails the test; the handler is ours from configure to unconfigure.
    def install_handler(self):
        if not self.fail or FAIL_SIGNAL is None or not hasattr(signal, "pthread_kill"):
            return
        try:
            self.previous_handler = signal.signal(FAIL_SIGNAL, self._on_signal)
            self.handler_set = True
        except (OSError, ValueError):  # not the main thread
            pass

    def interrupt(self, inspection):
        self.deadlocks += 1
        item = inspection.item
        with self.state_lock:
            if self.running_item is not item:
                return  # the call phase is over already
            sent = False
            if self.handler_set:
                self.pending = inspection
                try:
                    signal.pthread_kill(threading.main_thread().ident, FAIL_SIGNAL)
                    sent = True
                except (OSError, ValueError):
                    self.pending = None
        if not sent:
            self.give_up(inspection, "cannot interrupt the test")
        if not item._pyhang_finished.wait(FAIL_GRACE):
            self.give_up(inspection, "the test did not end within %gs of the interruption" % FAIL_GRACE)

    def give_up(self, inspection, why):
        self.emit("pyhang: %s: deadlock; %s: exiting with status %d\n"
                  % (inspection.item.nodeid, why, EXIT_STATUS))
        os._exit(EXIT_STATUS)

    def _on_signal(self, signum, frame):
        # Runs in the main thread between two bytecodes: no lock here (the main thread may hold it).
        inspection = self.pending
        if inspection is None or self.running_item is not inspection.item:
            return
        self.pending = None
        __tracebackhide__ = True  # the traceback ends where the test was waiting
        pytest.fail(inspection.headline)

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_protocol(self, item, nextitem):
        item._pyhang_finished = threading.Event()
        try:
            yield
        finally:
            item._pyhang_finished.set()

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_call(self, item):
        inspection = _Inspection(self, item)
        with self.state_lock:
            self.running_item = item
        inspection.start()
        try:
            yield
        finally:
            with self.state_lock:
                self.running_item = None
                self.pending = None
            if inspection.cancel():
                inspection.done.wait(PYHANG_TIMEOUT + 10)
            if inspection.section:
                item.add_report_section("call", "pyhang", inspection.section)

    def pytest_sessionfinish(self, session):
        self.session = session

    @pytest.hookimpl(trylast=True)
    def pytest_unconfigure(self, config):
        if self.deadlocks and self.fail:
            # The deadlocked threads never end, and the interpreter would wait for them at exit.
            status = int(getattr(self.session, "exitstatus", 1) or 1)
            self.emit("pyhang: %d deadlocked test(s); exiting with status %d without waiting for "
                      "their threads\n" % (self.deadlocks, status))
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(status)
        if self.handler_set:
            signal.signal(FAIL_SIGNAL, self.previous_handler)
        try:
            os.close(self.stderr_fd)
        except OSError:
            pass

"""Hang (in the child): a service appends audit records to a log file from its "audit-writer"
thread, in large batches; the main thread forks an export child with os.fork() for each export.
A fork that lands while the writer is inside a batch's write copies the file's BufferedWriter with
its C lock taken by a thread that does not exist in the child: the child's first record ("export
started") blocks forever in audit.flush(). The parent waits in os.waitpid(). Earlier exports that
finish are retried until one hangs (usually the first).
Right verdict: DEADLOCK (held-by-dead-thread) in the child; read the parent with --children."""
import json
import os
import tempfile
import threading
import time

from _appkit import ready


AUDIT_PATH = os.path.join(tempfile.gettempdir(), "pyhang-audit-%d.log" % os.getpid())
audit = open(AUDIT_PATH, "a", buffering=1 << 20)
os.unlink(AUDIT_PATH)  # nothing left behind when the test kills the program


quiet = threading.Event()  # set once an export hangs: the writer then sleeps between rare batches


def audit_writer():
    batch = [json.dumps({"seq": i, "event": "heartbeat", "payload": "x" * 200}) for i in range(2000)]
    while True:
        if quiet.is_set():
            time.sleep(3600)  # LINE:writer_sleep
        audit.write("\n".join(batch) + "\n")
        audit.flush()
        audit.seek(0)
        audit.truncate()  # keep the file small: only the last batch matters here


def export(table):
    audit.write(json.dumps({"event": "export started", "table": table}) + "\n")
    audit.flush()  # LINE:child_flush
    os._exit(0)


def main():
    threading.Thread(target=audit_writer, name="audit-writer", daemon=True).start()
    time.sleep(0.2)
    for attempt in range(500):
        pid = os.fork()
        if pid == 0:
            export("orders")
        deadline = time.time() + 1.0
        while time.time() < deadline:
            done, _ = os.waitpid(pid, os.WNOHANG)
            if done:
                break
            time.sleep(0.01)
        else:
            quiet.set()
            ready()
            os.waitpid(pid, 0)  # LINE:parent_wait
            return


if __name__ == "__main__":
    main()

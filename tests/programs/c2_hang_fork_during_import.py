"""Hang (in the child): a "warmup" thread imports the report templates module, which takes a
while to import; meanwhile the main thread forks a report child with os.fork(). The child has a
copy of the half-imported module and of its import lock, owned by the warmup thread, which does
not exist in the child: the child's `import _c2_report_templates` waits for that lock forever.
The parent's warmup finishes; the parent waits in os.waitpid().
Right verdict: DEADLOCK (held-by-dead-thread) in the child; read the parent with --children."""
import os
import threading
import time

from _appkit import ready


def warmup():
    import _c2_report_templates  # noqa: F401  LINE:warmup_import


def render(name):
    import _c2_report_templates  # LINE:child_import
    print(_c2_report_templates.TEMPLATES[name])
    os._exit(0)


def main():
    threading.Thread(target=warmup, name="warmup", daemon=True).start()
    time.sleep(0.3)  # the service starts answering while the warmup goes on
    pid = os.fork()
    if pid == 0:
        render("daily")
    time.sleep(2.5)  # the warmup has finished in the parent
    ready()
    os.waitpid(pid, 0)  # LINE:parent_wait


if __name__ == "__main__":
    main()

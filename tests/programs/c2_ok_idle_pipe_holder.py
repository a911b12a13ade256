"""Healthy, idle: a report builder holds the report lock while it reads the output of an external
query tool line by line (`sleep 3600` stands for a tool that has printed nothing yet; its stdout
is a pipe); two export threads wait for the report lock. The holder waits for the child's
output, which will come (or EOF when it exits). Not a deadlock."""
import subprocess
import threading

from _appkit import ready

report_lock = threading.Lock()
rows = []


def build_report():
    with report_lock:  # LINE:build_with
        tool = subprocess.Popen(["sleep", "3600"], stdout=subprocess.PIPE)
        for row in tool.stdout:  # LINE:build_read
            rows.append(row)
        tool.wait()


def export(fmt):
    with report_lock:  # LINE:export_with
        return fmt, len(rows)


def main():
    builder = threading.Thread(target=build_report, name="builder")
    builder.start()
    while not report_lock.locked():
        pass
    exports = [threading.Thread(target=export, args=(fmt,), name="export-" + fmt) for fmt in ("csv", "pdf")]
    for e in exports:
        e.start()
    ready()
    builder.join()  # LINE:main_join


if __name__ == "__main__":
    main()

"""Hang: a report builder renders its sections on a multiprocessing.pool.ThreadPool(2), and each
section maps its paragraphs on the same pool. Both workers run a section and wait for paragraphs
that are queued behind them: thread-pool starvation."""
import threading
from multiprocessing.pool import ThreadPool

from _appkit import ready

pool = ThreadPool(2)
started = []
started_lock = threading.Lock()


def render_paragraph(n):
    return "<p>%d</p>" % n


def build_section(name):
    with started_lock:
        started.append(name)
        if len(started) == 2:
            ready()
    paragraphs = pool.map(render_paragraph, range(3))  # LINE:section_map
    return "<h1>%s</h1>%s" % (name, "".join(paragraphs))


def main():
    report = pool.map(build_section, ["summary", "results"])  # LINE:main
    print("\n".join(report))


if __name__ == "__main__":
    main()

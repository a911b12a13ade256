"""Hang: thread-pool starvation. A report service runs each report on a ThreadPoolExecutor with
a single worker; the report task splits itself into sections, submits them to the same pool and
waits for their results, but the only worker is the one waiting. The main thread waits for the
report."""
import concurrent.futures

from _appkit import ready

pool = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="reports")


def render_section(name):
    return "<h2>%s</h2>" % name


def render_report(title):
    sections = [pool.submit(render_section, s) for s in ("summary", "details")]
    ready()
    return title + "".join(f.result() for f in sections)  # LINE:task_result


def main():
    report = pool.submit(render_report, "Q3")
    print(report.result())  # LINE:main_result


if __name__ == "__main__":
    main()

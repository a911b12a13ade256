"""Healthy: a render farm keeps its ProcessPoolExecutor as an attribute of an object; two request
threads wait without a timeout (future.result(), concurrent.futures.wait) for pages the worker
processes are still rendering. Read without --children, and from a core of the parent alone: the
workers it waits for are not in the report, so the parent cannot be called deadlocked. (The
executor is reachable only through farm.pool: the children must come from multiprocessing's own
record of the processes it started.)"""
import concurrent.futures as cf
import threading
import time

from _appkit import ready


def render_page(doc, page):
    deadline = time.monotonic() + (600 if page == 0 else 300)  # rasterising a huge document
    while time.monotonic() < deadline:
        time.sleep(0.05)
    return doc, page


class RenderFarm:
    def __init__(self):
        self.pool = cf.ProcessPoolExecutor(max_workers=2)

    def cover(self, doc):
        return self.pool.submit(render_page, doc, 0).result()

    def body(self, doc, pages):
        futs = [self.pool.submit(render_page, doc, p) for p in range(1, pages + 1)]
        cf.wait(futs, return_when=cf.ALL_COMPLETED)
        return [f.result() for f in futs]


def serve(farm, kind):
    if kind == "cover":
        farm.cover("annual-report")
    else:
        farm.body("annual-report", 3)


def main():
    farm = RenderFarm()
    threads = [threading.Thread(target=serve, args=(farm, k), name="req-" + k) for k in ("cover", "body")]
    for t in threads:
        t.start()
    time.sleep(0.5)
    ready()
    for t in threads:
        t.join()


if __name__ == "__main__":
    main()

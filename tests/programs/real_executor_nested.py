"""Hang: nested waits in a ThreadPoolExecutor with 2 workers. Two outer jobs (one per order
batch) each occupy a worker and submit an inner job to the same pool, then wait for it; the
inner jobs sit in the queue because both workers are busy waiting. The main thread waits with
concurrent.futures.wait for the outer jobs."""
import concurrent.futures
import threading

from _appkit import ready

pool = concurrent.futures.ThreadPoolExecutor(max_workers=2, thread_name_prefix="orders")
both_started = threading.Barrier(2)


def price(order):
    return len(order) * 10


def process_batch(batch):
    both_started.wait()  # both workers are taken before anything is submitted
    inner = pool.submit(price, batch)
    return inner.result()  # LINE:outer_result


def main():
    outer = [pool.submit(process_batch, b) for b in ("batch-a", "batch-b")]
    ready()
    concurrent.futures.wait(outer)  # LINE:main_wait


if __name__ == "__main__":
    main()

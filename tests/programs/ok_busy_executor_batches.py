"""Healthy, busy: an image thumbnailer submits batches to a ThreadPoolExecutor, waits for each
batch with concurrent.futures.wait and starts the next one. The main thread is mostly in wait()
or result() on futures that workers are computing."""
import concurrent.futures

from _appkit import ready


def thumbnail(n):
    pixels = [(n * i) % 251 for i in range(2000)]
    return sum(pixels) // len(pixels)


def main():
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=3, thread_name_prefix="thumb")
    first = True
    while True:
        futures = [pool.submit(thumbnail, n) for n in range(12)]
        done, _ = concurrent.futures.wait(futures)  # LINE:batch_wait
        total = sum(f.result() for f in done)
        if first:
            first = False
            ready()
        assert total >= 0


if __name__ == "__main__":
    main()

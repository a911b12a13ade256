"""Healthy, busy: an image thumbnailer keeps at most 6 jobs in flight on a 3-thread pool and
refills the window as jobs finish, with concurrent.futures.wait(FIRST_COMPLETED) (no timeout)."""
import concurrent.futures
import hashlib
import time

from _appkit import ready


def thumbnail(image_id):
    data = (b"%d" % image_id) * 4000
    digest = hashlib.sha256(data).hexdigest()
    pixels = [(image_id * k) % 251 for k in range(3000)]
    if image_id % 7 == 0:
        time.sleep(0.002)  # the "disk" is slow for some images
    return image_id, digest[:8], sum(pixels)


def main():
    next_id = 0
    done_count = 0
    with concurrent.futures.ThreadPoolExecutor(max_workers=3, thread_name_prefix="thumbs") as pool:
        pending = set()
        announced = False
        while True:
            while len(pending) < 6:
                pending.add(pool.submit(thumbnail, next_id))
                next_id += 1
            done, pending = concurrent.futures.wait(pending, return_when=concurrent.futures.FIRST_COMPLETED)  # LINE:wait
            for future in done:
                future.result()
                done_count += 1
            if not announced and done_count > 20:
                announced = True
                ready()


if __name__ == "__main__":
    main()

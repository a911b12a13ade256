"""A task of the 'api' pool waits for a result from a separate 'io' pool whose worker is busy
(sleeping on a slow call); another 'api' task submits follow-up work to the api pool and waits."""
import _appkit
import concurrent.futures as cf, os, time

api = cf.ThreadPoolExecutor(max_workers=2)
io_pool = cf.ThreadPoolExecutor(max_workers=1)

def slow_io():
    time.sleep(3600)
    return b"data"

def handle_request():
    return io_pool.submit(slow_io).result()

def follow_up():
    return 1

def batch():
    return api.submit(follow_up).result()

h = api.submit(handle_request)
time.sleep(0.1)
b = api.submit(batch)
time.sleep(0.3)
_appkit.ready()
print(h.result(), b.result())

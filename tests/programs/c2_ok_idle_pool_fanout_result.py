"""A ThreadPoolExecutor task fans out sub-jobs into its own pool and waits for their results.
The pool's other worker is busy waiting for configuration that a loader thread will publish after
a slow fetch (it sleeps). When it is published that worker frees up and runs the sub-jobs."""
import _appkit
import concurrent.futures as cf, os, threading, time

pool = cf.ThreadPoolExecutor(max_workers=2)
config_ready = threading.Event()
config = {}

def load_shard(i):
    return i * 10

def apply_config():
    config_ready.wait()
    return config["version"]

def fan_out():
    subs = [pool.submit(load_shard, i) for i in range(3)]
    return [f.result() for f in subs]

def loader():
    time.sleep(3600)
    config["version"] = 7
    config_ready.set()

b = pool.submit(apply_config)
time.sleep(0.1)
a = pool.submit(fan_out)
threading.Thread(target=loader, name="config-loader", daemon=True).start()
time.sleep(0.3)
_appkit.ready()
print(a.result(), b.result())

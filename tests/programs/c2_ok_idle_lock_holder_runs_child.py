"""Healthy, idle: a deploy thread holds the deploy lock while subprocess.run() waits for a slow
child (a migration); two request threads wait for the lock; main joins everything."""
import subprocess
import sys
import threading
import time

from _appkit import ready

deploy_lock = threading.Lock()


def deploy():
    with deploy_lock:
        subprocess.run([sys.executable, "-c", "import time; time.sleep(3600)"])


def request(n):
    with deploy_lock:
        print("request", n, flush=True)


def main():
    d = threading.Thread(target=deploy, name="deploy")
    d.start()
    time.sleep(0.2)
    rs = [threading.Thread(target=request, args=(n,), name="request-%d" % n) for n in range(2)]
    for r in rs:
        r.start()
    time.sleep(0.3)
    ready()
    d.join()


main()

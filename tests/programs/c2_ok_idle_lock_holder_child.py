"""Healthy, idle: a deployment tool holds the deploy lock while it waits for the external
`rsync` (`sleep 3600` stands for it) with Popen.wait(); two request threads wait for the deploy
lock (no timeout). Read without --children the child is invisible: it will exit, the holder will
release the lock. Not a deadlock."""
import subprocess
import threading

from _appkit import ready

deploy_lock = threading.Lock()
deployed = []


def deploy(release):
    with deploy_lock:  # LINE:deploy_with
        sync = subprocess.Popen(["sleep", "3600"])
        sync.wait()  # LINE:deploy_wait
        deployed.append(release)


def status_request(worker):
    with deploy_lock:  # LINE:status_with
        return list(deployed)


def main():
    deployer = threading.Thread(target=deploy, args=("v1.4.2",), name="deployer")
    deployer.start()
    while not deploy_lock.locked():
        pass
    requests = [threading.Thread(target=status_request, args=(i,), name="status-%d" % i) for i in range(2)]
    for r in requests:
        r.start()
    ready()
    deployer.join()  # LINE:main_join


if __name__ == "__main__":
    main()

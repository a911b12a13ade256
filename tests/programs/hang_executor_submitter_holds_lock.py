"""A join cycle through a ThreadPoolExecutor: the main thread holds registry_lock and waits in
future.result() for a task that the "registrar" worker runs; the task needs registry_lock."""
import threading
from concurrent.futures import ThreadPoolExecutor

from _hangkit import ready

registry_lock = threading.Lock()
names = []


def register(name):
    with registry_lock:  # LINE:task_wait
        names.append(name)
    return len(names)


def main():
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="registrar") as executor:
        with registry_lock:  # LINE:hold
            future = executor.submit(register, "alpha")
            ready()
            future.result()  # LINE:result


if __name__ == "__main__":
    main()

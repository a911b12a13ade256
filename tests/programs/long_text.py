"""A thread with a very long name waits on an event in a very long source line (over 300
bytes), with a very long local string: the text report shortens each with a visible mark, JSON
keeps them whole."""
import os
import threading

NAME = "worker-" + "n" * 500


def wait_forever(event):
    payload = "p" * 5000  # noqa: F841 (shown by --locals)
    event.wait()  # the line the thread waits in is long, the line the thread waits in is long, the line the thread waits in is long, the line the thread waits in is long, the line the thread waits in is long, the line the thread waits in is long, the line the thread waits in is long, the line the thread waits in is long, the line the thread waits in is long, the line the thread waits in is long, the line the thread waits in is long, the line the thread waits in is long,


if __name__ == "__main__":
    threading.Thread(target=wait_forever, args=(threading.Event(),), name=NAME, daemon=True).start()
    print(f"READY {os.getpid()}", flush=True)
    threading.Event().wait()

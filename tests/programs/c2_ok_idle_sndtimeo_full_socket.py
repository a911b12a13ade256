"""Healthy (slow): the "publisher" thread holds out_lock while it writes a large message into a
socketpair whose SO_SNDTIMEO is 2 s (set with setsockopt): when the buffer is full, send()
returns EAGAIN every 2 s and the loop gives up at a deadline one hour away. The "drainer" thread,
which would read the far end, waits for out_lock; MainThread joins both.
The sendto() call shows no timeout in its arguments.
Right verdict: NO deadlock (the publisher wakes every 2 s and will give up)."""
import socket
import struct
import threading
import time

from _appkit import ready

out_lock = threading.Lock()
holding = threading.Event()
loops = []


def main():
    near, far = socket.socketpair()
    near.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, struct.pack("ll", 2, 0))
    payload = b"x" * (8 << 20)

    def publisher():
        deadline = time.time() + 3600
        view = memoryview(payload)
        with out_lock:
            holding.set()
            while view and time.time() < deadline:
                try:
                    n = near.send(view)  # LINE:send
                    view = view[n:]
                except (BlockingIOError, socket.timeout, OSError):
                    loops.append(1)

    def drainer():
        holding.wait()
        with out_lock:  # LINE:drainer_lock
            far.recv(1 << 20)

    ts = [threading.Thread(target=publisher, name="publisher"), threading.Thread(target=drainer, name="drainer")]
    for t in ts:
        t.start()
    holding.wait()
    time.sleep(0.5)
    ready()
    for t in ts:
        t.join()


if __name__ == "__main__":
    main()

"""Healthy (slow): the "listener" thread holds state_lock while it polls a socketpair with
SO_RCVTIMEO (2 s, set with setsockopt, not settimeout): each recv() returns EAGAIN after 2 s and
the loop gives up at a deadline one hour away, then releases the lock. The "sender" thread waits
for state_lock (it would then send on the far end); MainThread joins both.
The recvfrom() call shows no timeout in its arguments: the timeout lives in the socket option.
Right verdict: NO deadlock (the listener wakes every 2 s and will give up)."""
import socket
import struct
import threading
import time

from _appkit import ready

state_lock = threading.Lock()
holding = threading.Event()
loops = []


def main():
    near, far = socket.socketpair()
    near.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, struct.pack("ll", 2, 0))

    def listener():
        deadline = time.time() + 3600
        with state_lock:
            holding.set()
            while time.time() < deadline:
                try:
                    data = near.recv(16)  # LINE:recv
                    if data:
                        break
                except (BlockingIOError, socket.timeout, OSError):
                    loops.append(1)

    def sender():
        holding.wait()
        with state_lock:  # LINE:sender_lock
            far.sendall(b"ping")

    ts = [threading.Thread(target=listener, name="listener"), threading.Thread(target=sender, name="sender")]
    for t in ts:
        t.start()
    holding.wait()
    time.sleep(0.5)
    ready()
    for t in ts:
        t.join()


if __name__ == "__main__":
    main()

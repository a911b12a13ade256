"""Healthy, idle: a metrics flusher driven by an interval timer. signal.setitimer(ITIMER_REAL)
fires SIGALRM every 2 seconds; the handler sets the `tick` Event the main thread waits for (no
timeout); the main thread then hands a flush job to the uploader thread, which waits on a queue
(no timeout). Between ticks every thread waits, but the timer will wake the program."""
import queue
import signal
import threading

from _appkit import ready

tick = threading.Event()
uploads = queue.Queue()
samples = []


def on_alarm(signum, frame):
    tick.set()


def uploader():
    while True:
        batch = uploads.get()  # LINE:upload_get
        print("uploaded %d samples" % len(batch), flush=True)


def main():
    signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, 2.0, 2.0)
    threading.Thread(target=uploader, name="uploader", daemon=True).start()
    ready()
    while True:
        tick.wait()  # LINE:tick_wait
        tick.clear()
        samples.append(len(samples))
        uploads.put(list(samples[-10:]))


if __name__ == "__main__":
    main()

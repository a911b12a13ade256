"""Healthy, idle: a startup gate. main takes `gate` (a plain Lock) at startup; the "signals" thread
waits for SIGHUP or SIGTERM with sigwait and then releases the gate (any thread may release a
Lock). Workers block on `with gate:`; main joins them. Sending SIGHUP opens the gate."""
import signal, threading
from _appkit import ready
gate = threading.Lock()
done = []
def signals():
    sig = signal.sigwait({signal.SIGHUP, signal.SIGTERM})
    print("got", sig, flush=True)
    gate.release()
def worker(i):
    with gate:
        done.append(i)
def main():
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGHUP, signal.SIGTERM})
    gate.acquire()
    threading.Thread(target=signals, name="signals", daemon=True).start()
    ws = [threading.Thread(target=worker, args=(i,), name="worker-%d" % i) for i in range(3)]
    for w in ws:
        w.start()
    ready()
    for w in ws:
        w.join()
if __name__ == "__main__":
    main()

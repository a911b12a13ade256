"""Healthy, busy: a worker process serves requests from one multiprocessing.Queue and answers on
another, as fast as it goes. Each process is, most of the time, in get() on the queue the other
feeds: cores taken one process at a time often show both waiting."""
import multiprocessing
from _appkit import ready

def serve(requests, replies):
    while True:
        r = requests.get()
        replies.put(r * 2)

def main():
    requests, replies = multiprocessing.Queue(), multiprocessing.Queue()
    p = multiprocessing.Process(target=serve, args=(requests, replies), name="server", daemon=True)
    p.start()
    ready()
    n = 0
    while True:
        requests.put(n)
        replies.get()
        n += 1

if __name__ == "__main__":
    main()

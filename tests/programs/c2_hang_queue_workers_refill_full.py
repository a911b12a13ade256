"""Hang: a web crawler's two workers take pages from a bounded frontier queue and put the links
they find back into the same queue. Once it is full, both workers block in put(): the only
threads that would take from the queue are the ones waiting for room in it."""
import queue
import threading

from _appkit import ready

frontier = queue.Queue(maxsize=8)


def links_of(url):
    return ["%s/%d" % (url, i) for i in range(3)]


def crawl():
    while True:
        url = frontier.get()
        for link in links_of(url):
            frontier.put(link)  # LINE:put
        frontier.task_done()


def main():
    frontier.put("https://example.org")
    workers = [threading.Thread(target=crawl, name="crawler-%d" % i, daemon=True) for i in range(2)]
    for w in workers:
        w.start()
    while not frontier.full() or frontier.not_full._waiters.__len__() < 2:
        threading.Event().wait(0.01)
    ready()
    frontier.join()  # LINE:join


if __name__ == "__main__":
    main()

"""Healthy, idle: a concurrent.futures.Future completed by hand. The DNS cache holds its lock
while it waits for a lookup's Future (no timeout); the resolver thread completes the Future with
set_result() when the answer arrives (a long sleep stands for a slow upstream server). A second
client waits for the cache lock. The resolver will answer: not a deadlock."""
import concurrent.futures
import threading
import time

from _appkit import ready


class Resolver(threading.Thread):
    def __init__(self):
        threading.Thread.__init__(self, name="resolver", daemon=True)
        self.pending = []

    def lookup(self, name):
        future = concurrent.futures.Future()
        self.pending.append((name, future))
        return future

    def run(self):
        while True:
            time.sleep(3600)  # LINE:resolver_sleep (the upstream answers slowly)
            while self.pending:
                name, future = self.pending.pop()
                future.set_result("10.0.0.%d" % (len(name) % 250))


class DnsCache:
    def __init__(self, resolver):
        self.lock = threading.Lock()
        self.answers = {}
        self.resolver = resolver

    def get(self, name):
        with self.lock:  # LINE:get_with
            if name not in self.answers:
                self.answers[name] = self.resolver.lookup(name).result()  # LINE:get_result
            return self.answers[name]


def main():
    resolver = Resolver()
    resolver.start()
    cache = DnsCache(resolver)
    threading.Thread(target=cache.get, args=("api.internal",), name="client-1", daemon=True).start()
    time.sleep(0.05)
    client = threading.Thread(target=cache.get, args=("db.internal",), name="client-2")
    client.start()
    ready()
    client.join()  # LINE:main_join


if __name__ == "__main__":
    main()

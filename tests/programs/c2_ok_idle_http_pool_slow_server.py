"""Healthy: a report builder fetches four URLs with a thread pool from a local HTTP service
(another process, not inspected) that takes minutes to answer; main waits in as_completed()."""
import concurrent.futures
import subprocess
import sys
import threading
import urllib.request

from _appkit import ready

server = subprocess.Popen([sys.executable, "-c", """
import http.server, socketserver, time
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        time.sleep(3600)
class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
srv = Server(("127.0.0.1", 0), H)
print(srv.server_address[1], flush=True)
srv.serve_forever()
"""], stdout=subprocess.PIPE)
port = int(server.stdout.readline())
urls = [f"http://127.0.0.1:{port}/report/{i}" for i in range(4)]


def fetch(url):
    with urllib.request.urlopen(url) as r:  # LINE:fetch
        return r.read()


with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
    futures = [pool.submit(fetch, u) for u in urls]
    threading.Timer(0.5, ready).start()
    for f in concurrent.futures.as_completed(futures):  # LINE:wait
        print(len(f.result()))

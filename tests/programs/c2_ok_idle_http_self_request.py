"""Idle by pyhang's rule, though it never ends: a single-threaded HTTP server whose handler
fetches another page from the same server. The request sits in the listening socket's accept
queue; only the serving thread could accept it, and it waits for the reply. A read from the
network is a wait on the outside world, so pyhang does not call it a deadlock; its note says
the other end was never accepted and which listening socket of this very process holds it."""
import http.server
import threading
import urllib.request

from _appkit import ready


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        if self.path == "/report":
            port = self.server.server_address[1]
            ready()
            body = urllib.request.urlopen("http://127.0.0.1:%d/totals" % port).read()  # LINE:self_fetch
        else:
            body = b"42"
        self.send_response(200)
        self.end_headers()
        self.wfile.write(body)


def client(port):
    urllib.request.urlopen("http://127.0.0.1:%d/report" % port).read()  # LINE:client


def main():
    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=client, args=(server.server_address[1],), name="client",
                     daemon=True).start()
    server.serve_forever()  # LINE:serve


if __name__ == "__main__":
    main()

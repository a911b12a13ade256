"""Hang: a lock-order cycle through logging. The app's AlertHandler (a logging.Handler) takes the
app's `alerts_lock` in emit(), under logging's handler lock. Thread "api" logs an error (handler
lock, then alerts_lock); thread "notifier" holds alerts_lock while it logs (alerts_lock, then the
handler lock). The main thread joins "api"."""
import logging
import threading

from _appkit import ready

alerts_lock = threading.Lock()
pending_alerts = []
notifier_holds = threading.Event()
api_in_emit = threading.Event()


class AlertHandler(logging.Handler):
    def emit(self, record):
        api_in_emit.set()
        notifier_holds.wait()
        with alerts_lock:  # LINE:emit_with
            pending_alerts.append(self.format(record))


log = logging.getLogger("shop")
log.setLevel(logging.INFO)
log.propagate = False
log.addHandler(AlertHandler())


def api():
    log.error("payment failed for order %d", 42)  # LINE:api_log


def notifier():
    api_in_emit.wait()
    with alerts_lock:  # LINE:notifier_with
        notifier_holds.set()
        log.info("sending %d alerts", len(pending_alerts))  # LINE:notifier_log


def main():
    t_api = threading.Thread(target=api, name="api")
    t_notifier = threading.Thread(target=notifier, name="notifier")
    t_api.start()
    t_notifier.start()
    notifier_holds.wait()
    ready()
    t_api.join()  # LINE:main_join


if __name__ == "__main__":
    main()

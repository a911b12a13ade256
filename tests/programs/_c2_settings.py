"""Imported by c2_hang_import_time_validation.py: validates the defaults in a helper thread at
import time and waits for it."""
import threading

DEFAULTS = {"timeout": 5, "retries": 3}
_validated = threading.Event()


def _validate():
    from _c2_settings import DEFAULTS as defaults  # waits for the module's import lock
    assert defaults["timeout"] > 0
    _validated.set()


threading.Thread(target=_validate, name="settings-validator").start()
_validated.wait()

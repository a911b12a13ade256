"""Helper module of real_import_lock.py: its body warms the plugin catalog in a background
thread and waits for it, and that thread imports this very module (lazily, as plugins do).
The importing thread waits for the module's import lock, which the main thread holds while it
runs this body, and the main thread waits in join() for the importing thread."""
import threading

from _appkit import ready

PLUGINS = {"csv": "CsvExporter", "json": "JsonExporter"}


def _warm_up():
    import plugin_catalog  # LINE:warm_import
    plugin_catalog.PLUGINS["warm"] = "ok"


_warmer = threading.Thread(target=_warm_up, name="catalog-warmer")
_warmer.start()
ready()
_warmer.join()  # LINE:body_join

"""Hang: a plugin loader thread imports a settings module (_c2_settings.py) whose top-level code
checks the configuration in a helper thread and waits for the result. The helper imports a name
from that same module, which needs the module's import lock; the loader holds it until the
module's top-level code ends. The main thread joins the loader."""
import threading

from _appkit import ready


def load_plugins():
    import _c2_settings  # the loader holds _c2_settings's import lock from here
    return _c2_settings.DEFAULTS


def main():
    loader = threading.Thread(target=load_plugins, name="plugin-loader")
    loader.start()
    threading.Timer(0.5, ready).start()
    loader.join()  # LINE:main_join


if __name__ == "__main__":
    main()

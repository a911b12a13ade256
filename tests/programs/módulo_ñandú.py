"""A module whose file name and functions are not ASCII, imported by unicode_names.py."""
from _blocking import HELD, arrived


class Café:
    def método(self, señal):
        naïve = "ça va"
        return в_модуле(señal, naïve)  # LINE:metodo


def в_модуле(señal, naïve):
    arrived(señal)
    HELD.acquire()  # LINE:cyrillic

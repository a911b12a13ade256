"""Non-ASCII names: functions, a class, a method, arguments, locals, a thread name, and a module
in a file with a non-ASCII name (módulo_ñandú.py), imported from here.

Thread "hilo-ñ-線程" blocks in Café.método -> в_модуле (in módulo_ñandú.py); the main thread
blocks in 関数 -> función_ñ (in this file).
"""
import threading

import módulo_ñandú
from _blocking import HELD, ready, wait_for

LISTO = threading.Semaphore(0)


def función_ñ(δ):
    ready()
    HELD.acquire()  # LINE:funcion
    return δ


def 関数():
    ключ = "значение"
    return función_ñ(ключ)  # LINE:kanji


def main():
    hilo = threading.Thread(target=módulo_ñandú.Café().método, args=(LISTO,), name="hilo-ñ-線程")
    hilo.start()
    wait_for(LISTO, 1)
    関数()  # LINE:main


if __name__ == "__main__":
    main()

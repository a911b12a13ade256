"""Arguments and local variables of many types, for the rendering of values (--locals).

Thread "values" blocks in inspect_values() with every local bound except `late`. The main
thread blocks in captured(), whose argument `shared` is captured by a closure (a cell variable
that is also an argument). No other thread exists.
"""
import threading

from _blocking import HELD, arrived, ready, wait_for

STARTED = threading.Semaphore(0)


class Point:
    def __init__(self, x, y):
        self.x = x
        self.y = y


def inspect_values(pos, /, named, *rest, flag=True, **options):
    s_ascii = "hello"
    s_latin = "héllo"
    s_wide = "naïve wörld ✓ 🐍 日本"
    s_single_quote = "it's"
    s_both_quotes = "a'b\"c"
    s_control = "tab\there\nnew\\line"
    s_empty = ""
    s_long = "x" * 200
    s_long_wide = "é" * 100
    s_long_ucs2 = "日" * 100
    s_long_ucs4 = "🐍" * 100
    b_small = b"\x00ab"
    b_quote = b"it's"
    b_long = bytes(range(256))
    b_empty = b""
    i_zero = 0
    i_small = 7
    i_negative = -5
    i_two_digits = 2 ** 30
    i_big64 = 2 ** 62 + 12345
    i_min64 = -2 ** 63
    i_huge = 2 ** 300
    i_huge_negative = -2 ** 300
    i_googol = 10 ** 100
    i_u64max = 2 ** 64 - 1
    i_one_digit_max = 2 ** 30 - 1
    i_giant = 10 ** 10000  # too big to render in full (more than 1000 internal digits)
    i_giant_negative = -10 ** 10000
    f_pi = 3.14
    f_negative = -0.5
    f_sum = 0.1 + 0.2
    f_zero = 0.0
    f_negative_zero = -0.0
    f_big = 1e100
    f_tiny = 1.5e-7
    f_1e15 = 1e15
    f_1e16 = 1e16
    f_precise = 123456789.125
    f_inf = float("inf")
    f_neg_inf = float("-inf")
    f_nan = float("nan")
    f_1e22 = 1e22
    f_denormal = 5e-324
    f_max = 1.7976931348623157e308
    f_ten_thousandth = 0.0001
    f_hundred_thousandth = 0.00001
    f_2_5e_05 = 2.5e-05
    f_big17 = 123456789012345678.0
    f_almost_1e16 = 9999999999999998.0
    t_true = True
    t_false = False
    n_none = None
    tup_empty = ()
    tup_one = (1,)
    tup_mixed = (1, "two", 3.0, None)
    tup_nested_one = ((1,),)
    lst_empty = []
    lst_nested = [1, [2, [3, [4]]]]
    lst_long = list(range(20))
    d_empty = {}
    d_small = {"a": 1}
    d_mixed = {"k": [1, 2], 2: "v", None: (1,)}
    d_long = {n: -n for n in range(15)}
    set_empty = set()
    set_one = {3}
    fs_empty = frozenset()
    fs_one = frozenset({"only"})
    d_nested = {"outer": {"inner": {"deep": 1}}}
    d_deleted = {"a": 1, "b": 2, "c": 3}
    del d_deleted["b"]
    d_instance = Point(5, 6).__dict__
    set_removed = {1, 2, 3}
    set_removed.discard(2)
    point = Point(1, 2)
    points = [Point(3, 4)]
    arrived(STARTED)
    HELD.acquire()  # LINE:values
    late = "never bound"
    return late


def captured(shared, plain):
    def reader():
        return shared

    ready()
    HELD.acquire()  # LINE:captured
    return reader


def main():
    worker = threading.Thread(target=inspect_values, args=("p", "n", 1),
                              kwargs={"flag": False, "extra": b"\x00ab"}, name="values")
    worker.start()
    wait_for(STARTED, 1)
    captured("in-a-cell", "not-in-a-cell")  # LINE:main


if __name__ == "__main__":
    main()

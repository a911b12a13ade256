"""Healthy, busy: five philosophers share five forks (plain locks) and always take the lower
numbered fork first, so no cycle can form; they eat and think at full speed."""
import threading

from _appkit import ready

forks = [threading.Lock() for _ in range(5)]
meals = [0] * 5


def philosopher(i):
    left, right = i, (i + 1) % 5
    first, second = forks[min(left, right)], forks[max(left, right)]
    while True:
        with first:  # LINE:first_fork
            with second:  # LINE:second_fork
                meals[i] += 1


if __name__ == "__main__":
    for i in range(5):
        threading.Thread(target=philosopher, args=(i,), name="philosopher-%d" % i, daemon=True).start()
    ready()
    threading.Event().wait()

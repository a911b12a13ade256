"""A pytest test module that deadlocks (for `pyhang run -- python -m pytest`, which names the
running test): TestBank.test_transfer starts two threads that take two locks in opposite orders
and joins them."""
import threading


class TestBank:
    def test_transfer(self):
        checking, savings = threading.Lock(), threading.Lock()
        checking_taken, savings_taken = threading.Event(), threading.Event()

        def to_savings():
            with checking:
                checking_taken.set()
                savings_taken.wait()
                with savings:
                    pass

        def to_checking():
            with savings:
                savings_taken.set()
                checking_taken.wait()
                with checking:
                    pass

        threads = [threading.Thread(target=to_savings), threading.Thread(target=to_checking)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()

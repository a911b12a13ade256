"""Healthy, busy: a frame grabber and an encoder share one buffer slot under a Condition. The
grabber fills the slot and waits until the encoder empties it; the encoder waits until it is
full. The slot goes back and forth at full speed."""
import threading

from _appkit import ready


class Slot:
    def __init__(self):
        self.cond = threading.Condition()
        self.frame = None
        self.encoded = 0

    def put(self, frame):
        with self.cond:  # LINE:put_with
            while self.frame is not None:
                self.cond.wait()  # LINE:put_wait
            self.frame = frame
            self.cond.notify_all()

    def take(self):
        with self.cond:
            while self.frame is None:
                self.cond.wait()  # LINE:take_wait
            frame, self.frame = self.frame, None
            self.cond.notify_all()
            return frame


slot = Slot()


def grabber():
    n = 0
    while True:
        n += 1
        slot.put(bytes([n % 256]) * 64)


def encoder():
    while True:
        frame = slot.take()
        slot.encoded += len(frame)


if __name__ == "__main__":
    threading.Thread(target=grabber, name="grabber", daemon=True).start()
    threading.Thread(target=encoder, name="encoder", daemon=True).start()
    ready()
    threading.Event().wait()

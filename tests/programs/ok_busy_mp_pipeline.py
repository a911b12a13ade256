"""Healthy, busy: a metrics pipeline across processes. Process "decoder" reads raw samples from
`raw` (a multiprocessing.Queue), decodes them and puts them on `decoded`; the parent produces
samples and consumes decoded ones, in batches, at full speed."""
import multiprocessing

from _appkit import ready


def decoder(raw, decoded):
    while True:
        sample = raw.get()  # LINE:decoder_get
        decoded.put((sample[0], sum(sample[1]) / len(sample[1])))


def main():
    raw = multiprocessing.Queue(maxsize=32)
    decoded = multiprocessing.Queue(maxsize=32)
    proc = multiprocessing.Process(target=decoder, args=(raw, decoded), name="decoder", daemon=True)
    proc.start()
    seq = 0
    first = True
    while True:
        for _ in range(8):
            seq += 1
            raw.put((seq, [seq % 13, seq % 17, seq % 19]))
        for _ in range(8):
            decoded.get()  # LINE:parent_get
        if first:
            first = False
            ready()


if __name__ == "__main__":
    main()

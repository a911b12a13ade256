"""Hang: a batch exporter fills a bounded multiprocessing.Queue(maxsize=4) with its records
before it starts the writer process that would drain it: the fifth put() waits for a free slot
that nobody will ever make."""
import multiprocessing as mp

from _appkit import ready


def write_records(records):
    while True:
        record = records.get()
        if record is None:
            return


def main():
    records = mp.Queue(maxsize=4)
    for i in range(4):
        records.put("record-%d" % i)
    ready()
    records.put("record-4")  # LINE:fifth_put
    writer = mp.Process(target=write_records, args=(records,), name="writer")
    writer.start()
    records.put(None)
    writer.join()


if __name__ == "__main__":
    main()

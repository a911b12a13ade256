"""Hang: two BoundedSemaphore(1) used as mutexes, taken in opposite orders. The GPU job runner
takes the GPU slot, then the license slot; the license auditor takes the license slot, then the
GPU slot."""
import threading

from _appkit import ready

gpu_slot = threading.BoundedSemaphore(1)
license_slot = threading.BoundedSemaphore(1)
both_held = threading.Barrier(2)


def run_training_job():
    with gpu_slot:  # LINE:job_gpu
        both_held.wait()
        with license_slot:  # LINE:job_license
            return "trained"


def audit_licenses():
    with license_slot:  # LINE:audit_license
        both_held.wait()
        with gpu_slot:  # LINE:audit_gpu
            return "audited"


def main():
    threads = [threading.Thread(target=run_training_job, name="trainer"),
               threading.Thread(target=audit_licenses, name="auditor")]
    for t in threads:
        t.start()
    ready()
    for t in threads:
        t.join()  # LINE:main_join


if __name__ == "__main__":
    main()

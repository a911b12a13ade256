"""Healthy, idle (waiting for another program): a deploy helper runs a shell step with
subprocess.run(capture_output=True); the step starts a background agent (`sleep 3600 &`) that
inherits the step's stdout and stderr, so run() waits in communicate() for end-of-file that
only the agent's exit brings. A progress thread waits for the step to finish."""
import subprocess
import threading

from _appkit import ready

step_done = threading.Event()


def progress():
    step_done.wait()  # LINE:progress_wait
    print("step finished", flush=True)


def run_step():
    ready()
    step = ["sh", "-c", "echo starting agent; sleep 3600 & echo started"]
    return subprocess.run(step, stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # LINE:run_step


def main():
    threading.Thread(target=progress, name="progress", daemon=True).start()
    result = run_step()
    step_done.set()
    print(result.stdout)


if __name__ == "__main__":
    main()

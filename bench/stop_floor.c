/* The floor for pyhang's stop time: seizes, interrupts, waits for and detaches every thread of a
 * process, and does nothing else. It prints the milliseconds between listing the threads and
 * detaching the last one (the interval pyhang reports as stop_ms), one line per run.
 *
 *   cc -O2 -o stop_floor bench/stop_floor.c && ./stop_floor PID [RUNS]
 *
 * bench/bench.py builds and runs it; it only reports, like the rest of the bench. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <time.h>

#define MAX_THREADS 65536

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static int list_tasks(int pid, int *tids, int cap) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/task", pid);
  DIR *d = opendir(path);
  if (!d) return -1;
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d)) && n < cap) {
    if (e->d_name[0] >= '0' && e->d_name[0] <= '9') tids[n++] = atoi(e->d_name);
  }
  closedir(d);
  return n;
}

/* One stop of every thread; returns its length in ms, or -1. */
static double stop_once(int pid, int *tids, int *seized) {
  double t0 = now_ms();
  int n = list_tasks(pid, tids, MAX_THREADS);
  if (n <= 0) return -1;
  int m = 0;
  for (int i = 0; i < n; i++) {
    if (ptrace(PTRACE_SEIZE, tids[i], NULL, NULL) != 0) continue;
    seized[m++] = tids[i];
    ptrace(PTRACE_INTERRUPT, tids[i], NULL, NULL);
  }
  for (int i = 0; i < m; i++) {
    for (int tries = 0; tries < 1000; tries++) {
      int status = 0;
      if (waitpid(seized[i], &status, __WALL) < 0) break;
      if (!WIFSTOPPED(status)) break;
      if ((status >> 16) == PTRACE_EVENT_STOP) break;
      /* A signal came first: deliver it, and stop again. */
      ptrace(PTRACE_CONT, seized[i], NULL, (void *)(long)WSTOPSIG(status));
      ptrace(PTRACE_INTERRUPT, seized[i], NULL, NULL);
    }
  }
  for (int i = 0; i < m; i++) ptrace(PTRACE_DETACH, seized[i], NULL, NULL);
  return now_ms() - t0;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s PID [RUNS]\n", argv[0]);
    return 2;
  }
  int pid = atoi(argv[1]);
  int runs = argc > 2 ? atoi(argv[2]) : 1;
  static int tids[MAX_THREADS], seized[MAX_THREADS];
  for (int r = 0; r < runs; r++) {
    double ms = stop_once(pid, tids, seized);
    if (ms < 0) {
      fprintf(stderr, "stop_floor: cannot list the threads of %d\n", pid);
      return 1;
    }
    printf("%.3f\n", ms);
  }
  return 0;
}

// `pyhang run`'s child: the command started, its signals forwarded, its exit status reaped.
//
// Process groups: when pyhang runs in the foreground of a terminal, the command stays in pyhang's
// process group, so that Ctrl-C, Ctrl-Z and the terminal reach it as if pyhang were not there
// (a signal the terminal sent is not forwarded again). Otherwise (CI, a script, background) the
// command gets a process group of its own, and a signal sent to pyhang goes to that whole group.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

namespace pyhang {

class CommandRunner {
 public:
  // Starts argv[0] (found on PATH) with argv; errno of the failed fork/exec in `error`, the
  // child's pid otherwise.
  struct Started {
    pid_t pid = 0;
    int error = 0;
  };
  Started start(const std::vector<std::string>& argv);

  // SIGINT, SIGTERM and SIGHUP: pyhang lets go of any thread it holds stopped, forwards the
  // signal to the command (its group) and waits on for it to exit. Call after start().
  void forwardSignals();
  // The last signal forwarded (0: none): pyhang stops watching once it has one.
  static int forwardedSignal();

  // Reaps the command if it has exited: its status as a shell gives it (the exit code, or 128 +
  // the signal that killed it).
  std::optional<int> poll();
  // Waits for the command to exit.
  int wait();
  // SIGKILL to the command's group (its own) and to every process of its tree; then reaps it
  // and waits (at most 5 s) until the rest of the tree has exited.
  int killTree();

  pid_t pid() const { return pid_; }
  bool ownGroup() const { return ownGroup_; }

 private:
  std::optional<int> reap(bool block);
  pid_t pid_ = 0;
  bool ownGroup_ = true;
  std::optional<int> status_;
};

}  // namespace pyhang

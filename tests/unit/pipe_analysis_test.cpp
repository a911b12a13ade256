// The analysis of threads blocked reading a pipe, as the session leaves them: the pipe (its
// inode), the process's own write ends, and whether a process outside the report holds one.
// A read stays blocked for good only when nothing that holds a write end can still write.
#include <gtest/gtest.h>

#include <csignal>
#include <string>
#include <vector>

#include "report/fix_lines.h"
#include "snapshot_builder.h"

namespace pyhang::test {
namespace {

constexpr uint64_t kPipe = 77;

std::string kindsOf(const Diagnosis& d) {
  std::string s;
  for (const auto& f : d.findings) s += (s.empty() ? "" : ",") + f.kind;
  return s;
}

void expectNoDeadlock(const Diagnosis& d) {
  EXPECT_TRUE(d.findings.empty()) << kindsOf(d);
  EXPECT_EQ(d.verdict, "no-deadlock");
}

// A parent reading a worker's log to end-of-file (os.read at line 23) from fd 3, its own copy
// of the write end still open as fd 4.
Given parentReadingItsOwnPipe() {
  Given g;
  Thread t = thread(kPid, "MainThread", {prog("main", 33), prog("read_log", 23).source("data = os.read(fd, 4096)")});
  t.wchan = "pipe_read";
  t.kernelWaitKind = "io";
  t.kernelWait = "waits to read from a pipe (pipe:[77]) (fd 3)";
  t.readingFd = 3;
  t.readingFrom = kPipe;
  t.readingFromPipe = true;
  g.with(t);
  g.proc().writeEnds[kPipe] = 4;
  return g;
}

TEST(PipeAnalysis, AReadFromAPipeOnlyItsOwnProcessCouldWriteIsAHang) {
  Given g = parentReadingItsOwnPipe();
  const Diagnosis& d = g.analyze();
  ASSERT_EQ(d.findings.size(), 1u) << kindsOf(d);
  const Finding& f = d.findings[0];
  EXPECT_EQ(f.kind, "all-blocked");
  EXPECT_EQ(f.lines, (std::vector<std::string>{
                         "Found a hang (all threads blocked): the only thread cannot make progress.",
                         "  Thread 4242 \"MainThread\" waits to read from a pipe (pipe:[77]) (fd 3)",
                         "      at prog.py:23 in read_log (data = os.read(fd, 4096))",
                         "    whose write end only its own process holds (fd 4), and no other thread of it will write to "
                         "it: the end of the data never comes",
                         "  Each waits without a timeout for something that only another thread could do."}));
  EXPECT_EQ(fixLine(g.snap, f),
            "close this process's copy of the write end (fd 4) once the writer has its own (after fork(), or "
            "Popen(pass_fds=...)), before the read at prog.py:23: a read sees end-of-file only when every write end is "
            "closed.");
}

TEST(PipeAnalysis, AWriteEndHeldOutsideTheReportCanStillBeWritten) {
  Given g = parentReadingItsOwnPipe();
  g.proc().threads[0].readingOutsideWriter = true;
  expectNoDeadlock(g.analyze());
}

TEST(PipeAnalysis, AnotherThreadOfTheProcessCouldWrite) {
  Given g = parentReadingItsOwnPipe();
  g.with(running(kPid + 1, "logger", {prog("log_loop", 40)}));
  expectNoDeadlock(g.analyze());
}

TEST(PipeAnalysis, ASignalHandlerCanWriteTheSelfPipe) {
  // The self-pipe trick: the SIGTERM handler writes the pipe the main thread reads.
  Given g = parentReadingItsOwnPipe();
  SignalHandler h;
  h.signo = SIGTERM;
  h.name = "SIGTERM";
  h.handler = "on_term";
  h.where = SourceLocation{"/srv/app/prog.py", 4, "on_term"};
  g.proc().signalHandlers = std::vector<SignalHandler>{h};
  const Diagnosis& d = g.analyze();
  EXPECT_TRUE(d.findings.empty()) << kindsOf(d);
  EXPECT_EQ(d.verdict, "no-deadlock");
}

}  // namespace
}  // namespace pyhang::test

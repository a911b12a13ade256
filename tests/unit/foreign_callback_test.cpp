// An all-blocked program whose wait a ctypes callback would end (analysis/set_aside.h): with a C
// thread in the process the callback may still run, and the program waits for it.
#include "analysis/set_aside.h"

#include <gtest/gtest.h>

#include "analysis/deadlock_analysis.h"
#include "snapshot_builder.h"

namespace pyhang {
namespace {

using namespace pyhang::test;

constexpr uint64_t kSamples = 0x7000, kMutex = 0x7100;

// The main thread waits in samples.get(); the only samples.put() is in on_sample, which a ctypes
// callback wraps.
Given samplerScenario(int64_t osThreads) {
  Given g;
  g.object(queueObj(kSamples, "samples", kMutex)).object(lockObj(kMutex, "", false));
  g.with(thread(100, "MainThread", {prog("main", 57).waits(WaitOp::kQueueGet, kSamples, "get()")}));
  g.proc().foreignCallbacks.push_back(Process::ForeignCallback{"on_sample", SourceLocation{kProg, 18, "on_sample"}});
  g.proc().osThreadCount = osThreads;
  return g;
}

void attachPutSite(Given& g) {
  ASSERT_FALSE(g.snap.diagnosis.findings.empty());
  WakeSite site;
  site.object = kSamples;
  site.pid = kPid;
  site.call = "samples.put()";
  site.at = SourceLocation{kProg, 20, "on_sample"};
  g.snap.diagnosis.findings[0].wakeSites.push_back(site);
}

TEST(ForeignCallbacks, AWaitACtypesCallbackWouldEndIsNotADeadlockWithACThread) {
  // Given the sampler, with one OS thread Python does not know
  Given g = samplerScenario(2);
  ASSERT_EQ(g.analyze().verdict, "deadlock");
  attachPutSite(g);
  // When the callbacks are considered
  setAsideForeignCallbacks(g.snap);
  // Then the program waits for the C thread
  const Diagnosis& d = g.snap.diagnosis;
  EXPECT_TRUE(d.findings.empty());
  EXPECT_EQ(d.verdict, "no-deadlock");
  EXPECT_EQ(d.verdictLine,
            "Verdict: no deadlock: every thread waits, and a C thread calling the ctypes callback on_sample (prog.py:18, "
            "which calls samples.put() at prog.py:20; the process has 1 thread Python does not know) can still wake "
            "the program.");
}

TEST(ForeignCallbacks, WithoutACThreadTheCallbackCannotRunAndTheHangStands) {
  // Given the same, but every OS thread of the process is a Python thread
  Given g = samplerScenario(1);
  ASSERT_EQ(g.analyze().verdict, "deadlock");
  attachPutSite(g);
  setAsideForeignCallbacks(g.snap);
  EXPECT_EQ(g.snap.diagnosis.verdict, "deadlock");
  // And a callback of another name does not count either
  Given other = samplerScenario(2);
  other.proc().foreignCallbacks[0].where.function = "on_error";
  ASSERT_EQ(other.analyze().verdict, "deadlock");
  attachPutSite(other);
  setAsideForeignCallbacks(other.snap);
  EXPECT_EQ(other.snap.diagnosis.verdict, "deadlock");
}

}  // namespace
}  // namespace pyhang

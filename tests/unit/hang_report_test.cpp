// Tests for src/watch/hang_report: the headline, the running pytest test and the "hang" JSON.
#include "watch/hang_report.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace pyhang {
namespace {

Frame pythonFrame(const std::string& file, const std::string& function,
                  const std::string& qualname = "") {
  Frame f;
  f.location = {file, 1, function};
  f.qualname = qualname;
  return f;
}

Snapshot pytestSnapshot() {
  Snapshot s;
  Process p;
  p.pid = 42;
  Thread t;
  t.tid = 42;
  t.frames = {pythonFrame("/usr/lib/python3/dist-packages/pluggy/_callers.py", "_multicall"),
              pythonFrame("/usr/lib/python3/dist-packages/_pytest/python.py", "pytest_pyfunc_call"),
              pythonFrame("/src/tests/test_bank.py", "test_transfer", "TestBank.test_transfer"),
              pythonFrame("/usr/lib/python3.11/threading.py", "join")};
  p.threads.push_back(t);
  Thread idle;
  idle.tid = 43;
  idle.frames = {pythonFrame("/usr/lib/python3.11/threading.py", "wait")};
  p.threads.push_back(idle);
  s.processes.push_back(p);
  return s;
}

TEST(HangReport, NamesTheTestPytestCalled) {
  Snapshot s = pytestSnapshot();
  EXPECT_EQ(runningPytestTests(s),
            std::vector<std::string>{"/src/tests/test_bank.py::TestBank.test_transfer"});
  EXPECT_EQ(runningTestLines(s),
            "pyhang: running test /src/tests/test_bank.py::TestBank.test_transfer (process 42, "
            "thread 42)\n");
  s.processes[0].threads[0].frames[1].location.file = "/elsewhere/python.py";  // not pytest's
  EXPECT_TRUE(runningPytestTests(s).empty());
}

TEST(HangReport, HeadlineAndJsonSayWhichHang) {
  Hang hang;
  hang.kind = HangKind::kIdle;
  hang.quietFor = std::chrono::milliseconds(1500);
  hang.snapshot = pytestSnapshot();
  EXPECT_EQ(hangHeadline(hang, {}),
            "pyhang: stuck (idle): no process used CPU and no Python stack changed for 1.5 s; no "
            "deadlock found");
  nlohmann::json doc = nlohmann::json::parse(withHang("{\"schema\": \"pyhang/1\"}\n", hang));
  EXPECT_EQ(doc["hang"]["kind"], "idle");
  EXPECT_EQ(doc["hang"]["quiet_seconds"], 1.5);
  EXPECT_EQ(doc["hang"]["pytest_tests"].size(), 1u);
  EXPECT_EQ(doc["schema"], "pyhang/1");
}

}  // namespace
}  // namespace pyhang

// openAcquires: the acquire() calls of a function's own lines not released before the current
// line; the bodies of functions and classes defined inside it ran elsewhere.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "cpython/source_files.h"

namespace pyhang::cpython {
namespace {

TEST(OpenAcquires, OwnAcquireNotReleasedIsOpen) {
  std::vector<std::string> lines = {
      "def transfer(a, b):",  // 1
      "    a.lock.acquire()",  // 2
      "    b.lock.acquire()",  // 3
      "    a.lock.release()",  // 4
      "    work()",            // 5
  };
  auto open = openAcquires(lines, 1, 5);
  ASSERT_EQ(open.size(), 1u);
  EXPECT_EQ(open.at("b.lock"), 3);
}

TEST(OpenAcquires, NestedDefinitionsAreSkipped) {
  std::vector<std::string> lines = {
      "async def main():",                 // 1
      "    lock = asyncio.Lock()",          // 2
      "    def uploader():",                // 3
      "        time.sleep(3600)",           // 4
      "        loop.call_soon_threadsafe(lock.release)",  // 5
      "    async def request():",           // 6
      "",                                   // 7
      "        await lock.acquire()",       // 8
      "    class Session:",                 // 9
      "        def take(self):",            // 10
      "            lock.acquire()",         // 11
      "    await request()",                // 12
      "    async with lock:",               // 13
  };
  EXPECT_TRUE(openAcquires(lines, 1, 13).empty());
  // The nested function's own frame sees its own acquire().
  auto inner = openAcquires(lines, 6, 9);
  ASSERT_EQ(inner.size(), 1u);
  EXPECT_EQ(inner.at("lock"), 8);
}

TEST(OpenAcquires, DecoratedFunctionAndModuleBody) {
  std::vector<std::string> decorated = {
      "@app.route('/x')",      // 1
      "def handler():",        // 2
      "    gate.acquire()",    // 3
      "    serve()",           // 4
  };
  EXPECT_EQ(openAcquires(decorated, 1, 4).at("gate"), 3);
  // A module's body: the functions it defines are not its own lines.
  std::vector<std::string> module = {
      "import threading",      // 1
      "def helper():",         // 2
      "    gate.acquire()",    // 3
      "gate.acquire()",        // 4
      "main()",                // 5
  };
  auto open = openAcquires(module, 1, 5);
  ASSERT_EQ(open.size(), 1u);
  EXPECT_EQ(open.at("gate"), 4);
}

}  // namespace
}  // namespace pyhang::cpython

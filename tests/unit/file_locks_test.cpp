// parseProcLocks: the rows of /proc/locks (and of the "lock:" lines of /proc/PID/fdinfo) that
// name who holds and who waits for a file lock; anything else is skipped.
#include <gtest/gtest.h>

#include <string>

#include "process/file_locks.h"

using namespace pyhang;

TEST(ProcLocks, HoldersAndWaitersOfEachKind) {
  const std::string text =
      "1: FLOCK  ADVISORY  WRITE 19804 fe:00:10953453 0 EOF\n"
      "1: -> FLOCK  ADVISORY  WRITE 19805 fe:00:10953453 0 EOF\n"
      "2: POSIX  ADVISORY  READ 311 00:2c:77 0 9\n"
      "3: OFDLCK ADVISORY  WRITE -1 08:01:123456 0 EOF\n";
  auto rows = parseProcLocks(text);
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[0].kind, "FLOCK");
  EXPECT_FALSE(rows[0].waiting);
  EXPECT_TRUE(rows[0].write);
  EXPECT_EQ(rows[0].pid, 19804);
  EXPECT_EQ(rows[0].key, "fe:00:10953453");
  EXPECT_TRUE(rows[1].waiting);
  EXPECT_EQ(rows[1].pid, 19805);
  EXPECT_EQ(rows[1].key, "fe:00:10953453");
  EXPECT_EQ(rows[2].kind, "POSIX");
  EXPECT_FALSE(rows[2].write);
  EXPECT_EQ(rows[2].key, "00:2c:77");
  EXPECT_EQ(rows[3].pid, -1);
}

TEST(ProcLocks, MalformedRowsAreSkipped) {
  const std::string text =
      "\n"
      "garbage\n"
      "1: FLOCK ADVISORY WRITE\n"                              // too short
      "2: FLOCK ADVISORY WRITE abc fe:00:1 0 EOF\n"            // pid not a number
      "3: FLOCK ADVISORY WRITE 12 fe00:1 0 EOF\n"              // key without a minor
      "4: FLOCK ADVISORY WRITE 12 fe:00:1x 0 EOF\n"            // inode not decimal
      "5: LEASE  BREAKING  UNLCK 12 fe:00:1 0 EOF\n"           // a lease being broken
      "6: FLOCK ADVISORY WRITE -7 fe:00:1 0 EOF\n"             // pid below -1
      "7 FLOCK ADVISORY WRITE 12 fe:00:1 0 EOF\n"              // no colon after the number
      "8: -> \n"
      "9: FLOCK ADVISORY WRITE 99999999999 fe:00:1 0 EOF\n"    // pid out of range
      "10: FLOCK ADVISORY READ 12 fe:00:5 0 EOF\n";            // the one good row
  auto rows = parseProcLocks(text);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].key, "fe:00:5");
  EXPECT_FALSE(rows[0].write);
}

TEST(ProcLocks, RowsAreCapped) {
  std::string text;
  for (int i = 0; i < 100; ++i) text += std::to_string(i + 1) + ": FLOCK ADVISORY WRITE 5 00:01:" + std::to_string(i) + " 0 EOF\n";
  EXPECT_EQ(parseProcLocks(text, 10).size(), 10u);
  EXPECT_EQ(parseProcLocks(text).size(), 100u);
  EXPECT_TRUE(parseProcLocks(std::string(1 << 20, '\0')).empty());
}

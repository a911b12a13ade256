// Tests for LiveProcess's trial read (src/process/live_process.{h,cpp}): a read made while the
// target runs is confirmed only when every byte it read is unchanged. The target here is this
// test process itself (process_vm_readv on one's own pid needs no privilege).
#include "process/live_process.h"

#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <vector>

namespace pyhang {
namespace {

constexpr size_t kPage = 4096;

struct Pages {
  explicit Pages(size_t n) : size(n * kPage) {
    base = static_cast<uint8_t*>(mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    std::memset(base, 0x5a, size);
  }
  ~Pages() { munmap(base, size); }
  uint64_t at(size_t off) const { return reinterpret_cast<uint64_t>(base + off); }
  uint8_t* base;
  size_t size;
};

TEST(LiveProcessTrial, UnchangedPagesConfirm) {
  Pages mem(8);
  LiveProcess p(getpid());
  p.beginTrial();
  EXPECT_EQ(p.readValue<uint64_t>(mem.at(8)).value(), 0x5a5a5a5a5a5a5a5aULL);
  EXPECT_TRUE(p.readValue<uint32_t>(mem.at(3 * kPage + 100)).has_value());
  EXPECT_TRUE(p.readValue<uint32_t>(mem.at(5 * kPage + 100)).has_value());
  EXPECT_EQ(p.cachedPages(), 3u);
  EXPECT_TRUE(p.confirmTrial());
}

TEST(LiveProcessTrial, AChangedByteFailsAndTheCacheHoldsTheNewPage) {
  Pages mem(8);
  LiveProcess p(getpid());
  p.beginTrial();
  EXPECT_EQ(p.readValue<uint8_t>(mem.at(kPage + 7)).value(), 0x5a);
  EXPECT_EQ(p.readValue<uint64_t>(mem.at(4 * kPage + 4088)).value(), 0x5a5a5a5a5a5a5a5aULL);
  EXPECT_EQ(p.readValue<uint8_t>(mem.at(6 * kPage + 1)).value(), 0x5a);
  mem.base[4 * kPage + 4095] = 1;  // a byte the trial read
  mem.base[kPage + 2000] = 2;      // another byte of a page it read
  EXPECT_FALSE(p.confirmTrial());
  // The cache holds the pages as they are now.
  EXPECT_EQ(p.readValue<uint8_t>(mem.at(4 * kPage + 4095)).value(), 1);
  EXPECT_EQ(p.readValue<uint8_t>(mem.at(kPage + 2000)).value(), 2);
  // No longer a trial: the next check fails without reading.
  EXPECT_FALSE(p.confirmTrial());
}

TEST(LiveProcessTrial, LargeReadsAreCheckedToo) {
  Pages mem(8);
  LiveProcess p(getpid());
  p.beginTrial();
  std::vector<uint8_t> buf(3 * kPage);
  ASSERT_TRUE(p.read(mem.at(100), buf.data(), buf.size()).has_value());  // bypasses the page cache
  EXPECT_TRUE(p.confirmTrial());
  p.beginTrial();
  ASSERT_TRUE(p.read(mem.at(100), buf.data(), buf.size()).has_value());
  mem.base[2 * kPage] = 7;
  EXPECT_FALSE(p.confirmTrial());
}

TEST(LiveProcessTrial, AFailedReadMustStillFail) {
  Pages mem(4);
  LiveProcess p(getpid());
  // The last page becomes unreadable: a read there fails.
  ASSERT_EQ(munmap(mem.base + 3 * kPage, kPage), 0);
  p.beginTrial();
  EXPECT_FALSE(p.readValue<uint64_t>(mem.at(3 * kPage + 8)).has_value());
  EXPECT_TRUE(p.confirmTrial());
  p.beginTrial();
  EXPECT_FALSE(p.readValue<uint64_t>(mem.at(3 * kPage + 8)).has_value());
  // ... and readable again: the trial no longer holds.
  void* back = mmap(mem.base + 3 * kPage, kPage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
  ASSERT_NE(back, MAP_FAILED);
  EXPECT_FALSE(p.confirmTrial());
}

TEST(LiveProcessTrial, APageThatVanishesFailsAndIsDropped) {
  Pages mem(4);
  LiveProcess p(getpid());
  p.beginTrial();
  EXPECT_TRUE(p.readValue<uint64_t>(mem.at(2 * kPage)).has_value());
  EXPECT_TRUE(p.readValue<uint64_t>(mem.at(0)).has_value());
  ASSERT_EQ(munmap(mem.base + 2 * kPage, kPage), 0);
  EXPECT_FALSE(p.confirmTrial());
  EXPECT_EQ(p.cachedPages(), 1u);
  EXPECT_FALSE(p.readValue<uint64_t>(mem.at(2 * kPage)).has_value());
  void* back = mmap(mem.base + 2 * kPage, kPage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
  ASSERT_NE(back, MAP_FAILED);
}

TEST(LiveProcessTrial, TooManyReadsToReplayGiveTheTrialUp) {
  Pages mem(2);
  LiveProcess p(getpid());
  ASSERT_EQ(munmap(mem.base + kPage, kPage), 0);
  p.beginTrial();
  for (int i = 0; i < 2048; ++i) EXPECT_FALSE(p.readValue<uint8_t>(mem.at(kPage + 1)).has_value());
  EXPECT_TRUE(p.confirmTrial());  // 2,048 replayed, all still failing
  p.beginTrial();
  for (int i = 0; i < 2049; ++i) EXPECT_FALSE(p.readValue<uint8_t>(mem.at(kPage + 1)).has_value());
  EXPECT_FALSE(p.confirmTrial());  // one more: not replayed, the trial is given up
  void* back = mmap(mem.base + kPage, kPage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
  ASSERT_NE(back, MAP_FAILED);
}

TEST(LiveProcessTrial, ManyPagesInSeveralBatches) {
  Pages mem(300);  // more than one batch of 128 pages, with gaps between the runs
  LiveProcess p(getpid());
  p.beginTrial();
  for (size_t i = 0; i < 300; i += (i % 7 == 0 ? 2 : 1)) EXPECT_TRUE(p.readValue<uint8_t>(mem.at(i * kPage + 9)).has_value());
  EXPECT_TRUE(p.confirmTrial());
  p.beginTrial();
  for (size_t i = 0; i < 300; i += (i % 7 == 0 ? 2 : 1)) EXPECT_TRUE(p.readValue<uint8_t>(mem.at(i * kPage + 9)).has_value());
  mem.base[299 * kPage + 9] = 3;
  EXPECT_FALSE(p.confirmTrial());
  EXPECT_EQ(p.readValue<uint8_t>(mem.at(299 * kPage + 9)).value(), 3);
}

}  // namespace
}  // namespace pyhang

// The one interface through which pyhang reads a target: a live process, a core file, or an
// in-memory image (unit tests, fuzzing). Everything above it is the same code for all three.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <type_traits>
#include <vector>

#include "common/result.h"

namespace pyhang {

class RemoteMemory {
 public:
  virtual ~RemoteMemory() = default;

  // Copies exactly `size` bytes at `addr` into `out`, or fails without partial success.
  virtual Result<void> read(uint64_t addr, void* out, size_t size) const = 0;

  template <class T>
  Result<T> readValue(uint64_t addr) const {
    static_assert(std::is_trivially_copyable_v<T>);
    T value;
    auto r = read(addr, &value, sizeof(T));
    if (!r) return fail(r.error());
    return value;
  }
  Result<uint64_t> readPtr(uint64_t addr) const { return readValue<uint64_t>(addr); }

  // Reads `size` bytes (size must already be bounded by the caller).
  Result<std::vector<uint8_t>> readBytes(uint64_t addr, size_t size) const {
    std::vector<uint8_t> buf(size);
    if (size == 0) return buf;
    auto r = read(addr, buf.data(), size);
    if (!r) return fail(r.error());
    return buf;
  }

  // Reads a NUL-terminated string of at most maxLen bytes; cut strings are returned as read.
  Result<std::string> readCString(uint64_t addr, size_t maxLen = 256) const;
};

// A sparse image of memory segments, for unit tests and fuzzing.
class ImageMemory : public RemoteMemory {
 public:
  void add(uint64_t addr, std::vector<uint8_t> bytes) { segments_.push_back({addr, std::move(bytes)}); }
  Result<void> read(uint64_t addr, void* out, size_t size) const override;

 private:
  struct Segment {
    uint64_t addr;
    std::vector<uint8_t> bytes;
  };
  std::vector<Segment> segments_;
};

}  // namespace pyhang

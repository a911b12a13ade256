// Tests for src/cpython/object_reader.{h,cpp}: CPython objects laid out byte by byte (CPYTHON.md
// sections 4 and 4.1-4.2) in an in-memory ImageMemory for each supported version, read back and
// rendered with repr(); then hostile images (absurd sizes, bad kinds, cycles, unmapped pointers)
// that must yield marked placeholders quickly and never crash.
#include "cpython/object_reader.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <cstring>
#include <limits>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "cpython/layout.h"
#include "cpython/limits.h"
#include "memory/remote_memory.h"

namespace pyhang::cpython {
namespace {

constexpr uint64_t kBase = 0x10000000;
constexpr uint64_t kUnmapped = 0xdead0000;
constexpr uint64_t kHeapType = 1ull << 9, kManagedDict = 1ull << 4, kInlineValues = 1ull << 2;
constexpr int kTpName = 24, kTpBasicSize = 32, kTpFlags = 168, kTpBase = 256, kTpDict = 264, kTpDictOffset = 288;

using Items = std::vector<std::pair<uint64_t, uint64_t>>;

// A sparse image of a CPython heap, built with the layout of one version. Allocations are
// contiguous; hole() leaves an unmapped gap so that reads running past an object fail.
class Image {
 public:
  explicit Image(const PythonLayout& pl) : pl_(pl), o_(pl.offsets), buf_(1 << 20) {}

  int minor() const { return pl_.traits.minor; }

  uint64_t alloc(size_t n, size_t align = 16) {
    if (frozen_) throw std::logic_error("test bug: allocation after the image was mapped");
    next_ = (next_ + align - 1) & ~(align - 1);
    uint64_t a = kBase + next_;
    next_ += n;
    if (next_ > buf_.size()) throw std::runtime_error("test image full");
    return a;
  }
  // Ends the current mapped range; the next allocation starts after an unmapped page.
  void hole() {
    mapped_.push_back({segStart_, next_});
    next_ = ((next_ + 4095) & ~size_t{4095}) + 4096;
    segStart_ = next_;
  }
  template <class T>
  void put(uint64_t addr, T v) {
    static_assert(std::is_trivially_copyable_v<T>);
    std::memcpy(&buf_.at(addr - kBase), &v, sizeof v);
  }
  template <class T>
  T get(uint64_t addr) const {
    T v;
    std::memcpy(&v, &buf_.at(addr - kBase), sizeof v);
    return v;
  }
  void putBytes(uint64_t addr, const void* p, size_t n) {
    if (n) std::memcpy(&buf_.at(addr - kBase), p, n);
  }
  // A C string with at least 64 mapped bytes (RemoteMemory::readCString reads 64-byte chunks).
  uint64_t cstring(const std::string& s) { return tightCString(s, 64); }
  uint64_t tightCString(const std::string& s, size_t minSize = 0) {
    uint64_t a = alloc(std::max(s.size() + 1, minSize), 8);
    putBytes(a, s.data(), s.size());
    return a;
  }

  // ---- objects ----
  uint64_t object(uint64_t type, size_t size, size_t preHeader = 0) {
    uint64_t a = alloc(size + preHeader) + preHeader;
    put<int64_t>(a, 1);
    put<uint64_t>(a + 8, type);
    return a;
  }
  // A static (non-heap) type such as "str", "int" or "_thread.lock".
  uint64_t type(const std::string& name) {
    auto it = types_.find(name);
    if (it != types_.end()) return it->second;
    uint64_t t = alloc(1024);
    types_[name] = t;
    put<int64_t>(t, 1);
    put<uint64_t>(t + 8, name == "type" ? t : type("type"));
    put<uint64_t>(t + kTpName, cstring(name));
    put<int64_t>(t + kTpBasicSize, 16);
    return t;
  }
  // A class defined in Python: heap type whose __module__ is in tp_dict.
  uint64_t heapType(const std::string& name, const std::string& module, uint64_t flags, int64_t basicSize,
                    int64_t dictOffset, uint64_t base = 0) {
    uint64_t t = alloc(1024);
    put<int64_t>(t, 1);
    put<uint64_t>(t + 8, type("type"));
    put<uint64_t>(t + kTpName, cstring(name));
    put<int64_t>(t + kTpBasicSize, basicSize);
    put<uint64_t>(t + kTpFlags, flags | kHeapType);
    put<uint64_t>(t + kTpBase, base ? base : type("object"));
    put<uint64_t>(t + kTpDict, dict({{str("__module__"), str(module)}}));
    put<int64_t>(t + kTpDictOffset, dictOffset);
    return t;
  }

  // str: compact (ASCII or not) with the version's header sizes; kind from the widest char.
  uint64_t str(const std::u32string& s) {
    uint32_t maxc = 0;
    for (char32_t c : s) maxc = std::max<uint32_t>(maxc, c);
    const unsigned kind = maxc < 0x100 ? 1 : maxc < 0x10000 ? 2 : 4;
    const bool ascii = maxc < 0x80;
    const size_t hdr = static_cast<size_t>(ascii ? o_.str_ascii_size : o_.str_compact_size);
    uint64_t a = object(type("str"), hdr + (s.size() + 1) * kind);
    strHeader(a, static_cast<int64_t>(s.size()), kind, true, ascii);
    putChars(a + hdr, s, kind);
    return a;
  }
  uint64_t str(const std::string& ascii) { return str(std::u32string(ascii.begin(), ascii.end())); }
  // A legacy (non-compact, "ready") string whose text is in a separate buffer (data.any).
  uint64_t legacyStr(const std::u32string& s, unsigned kind) {
    uint64_t a = object(type("str"), static_cast<size_t>(o_.str_legacy_data) + 8);
    bool ascii = true;
    for (char32_t c : s) ascii &= c < 0x80;
    strHeader(a, static_cast<int64_t>(s.size()), kind, false, ascii && kind == 1);
    uint64_t data = alloc((s.size() + 1) * kind);
    putChars(data, s, kind);
    put<uint64_t>(a + static_cast<uint64_t>(o_.str_legacy_data), data);
    return a;
  }
  void strHeader(uint64_t a, int64_t length, unsigned kind, bool compact, bool ascii) {
    put<int64_t>(a + 16, length);
    put<int64_t>(a + 24, -1);
    uint32_t state = (kind << 2) | (compact ? 1u << 5 : 0) | (ascii ? 1u << 6 : 0) | (minor() <= 11 ? 1u << 7 : 0);
    put<uint32_t>(a + 32, state);
  }
  void putChars(uint64_t at, const std::u32string& s, unsigned kind) {
    for (size_t i = 0; i < s.size(); ++i) {
      if (kind == 1) put<uint8_t>(at + i, static_cast<uint8_t>(s[i]));
      if (kind == 2) put<uint16_t>(at + 2 * i, static_cast<uint16_t>(s[i]));
      if (kind == 4) put<uint32_t>(at + 4 * i, static_cast<uint32_t>(s[i]));
    }
  }

  // int: ob_size (<= 3.11) or lv_tag (3.12+), then 30-bit digits, least significant first.
  uint64_t bigInt(const std::vector<uint32_t>& digits, bool negative, const std::string& typeName = "int",
                  uint64_t extraTagBits = 0) {
    const size_t n = digits.size();
    uint64_t a = object(type(typeName), 24 + 4 * std::max<size_t>(n, 1));
    if (pl_.traits.longs == LongModel::kTag) {
      uint64_t sign = n == 0 ? 1 : negative ? 2 : 0;
      put<uint64_t>(a + 16, (uint64_t{n} << 3) | sign | extraTagBits);
    } else {
      put<int64_t>(a + 16, negative ? -static_cast<int64_t>(n) : static_cast<int64_t>(n));
    }
    for (size_t i = 0; i < n; ++i) put<uint32_t>(a + 24 + 4 * i, digits[i]);
    return a;
  }
  uint64_t integer(int64_t v) {
    std::vector<uint32_t> digits;
    uint64_t m = v < 0 ? static_cast<uint64_t>(-(v + 1)) + 1 : static_cast<uint64_t>(v);
    while (m) {
      digits.push_back(static_cast<uint32_t>(m & 0x3fffffff));
      m >>= 30;
    }
    return bigInt(digits, v < 0);
  }
  uint64_t boolean(bool v) { return bigInt(v ? std::vector<uint32_t>{1} : std::vector<uint32_t>{}, false, "bool"); }
  uint64_t none() { return object(type("NoneType"), 16); }
  uint64_t floating(double v) {
    uint64_t a = object(type("float"), 24);
    put<double>(a + 16, v);
    return a;
  }
  uint64_t bytes(const std::string& b, const std::string& typeName = "bytes") {
    uint64_t a = object(type(typeName), 33 + b.size());
    put<int64_t>(a + 16, static_cast<int64_t>(b.size()));
    put<int64_t>(a + 24, -1);
    putBytes(a + 32, b.data(), b.size());
    return a;
  }
  uint64_t tuple(const std::vector<uint64_t>& items) {
    const uint64_t off = static_cast<uint64_t>(o_.tuple_items);
    uint64_t a = object(type("tuple"), off + 8 * items.size());
    put<int64_t>(a + 16, static_cast<int64_t>(items.size()));
    for (size_t i = 0; i < items.size(); ++i) put<uint64_t>(a + off + 8 * i, items[i]);
    return a;
  }
  uint64_t list(const std::vector<uint64_t>& items) {
    uint64_t a = object(type("list"), 40);
    uint64_t arr = alloc(8 * std::max<size_t>(items.size(), 1), 8);
    for (size_t i = 0; i < items.size(); ++i) put<uint64_t>(arr + 8 * i, items[i]);
    put<int64_t>(a + 16, static_cast<int64_t>(items.size()));
    put<uint64_t>(a + 24, arr);
    put<int64_t>(a + 32, static_cast<int64_t>(items.size()));
    return a;
  }

  // Dict keys with the version's layout. kind: 0 general, 1 unicode, 2 split (values elsewhere).
  uint64_t dictKeys(const Items& items, int kind) {
    const bool split = kind == 2;
    if (pl_.traits.dicts == DictModel::kOld) {
      const int64_t size = items.size() < 5 ? 8 : 64;
      uint64_t k = alloc(40 + static_cast<size_t>(size) + 24 * items.size());
      put<int64_t>(k, 1);
      put<int64_t>(k + 8, size);
      put<int64_t>(k + 24, size * 2 / 3 - static_cast<int64_t>(items.size()));
      put<int64_t>(k + 32, static_cast<int64_t>(items.size()));
      for (size_t i = 0; i < static_cast<size_t>(size); ++i) put<int8_t>(k + 40 + i, i < items.size() ? static_cast<int8_t>(i) : -1);
      uint64_t entries = k + 40 + static_cast<uint64_t>(size);
      for (size_t i = 0; i < items.size(); ++i) {
        put<int64_t>(entries + 24 * i, 0x1234 + static_cast<int64_t>(i));
        put<uint64_t>(entries + 24 * i + 8, items[i].first);
        put<uint64_t>(entries + 24 * i + 16, split ? 0 : items[i].second);
      }
      return k;
    }
    const uint8_t log2Size = items.size() < 5 ? 3 : 6;
    const size_t indexBytes = size_t{1} << log2Size;
    const size_t entrySize = kind == 0 ? 24 : 16;
    uint64_t k = alloc(32 + indexBytes + entrySize * items.size());
    put<int64_t>(k, 1);
    put<uint8_t>(k + 8, log2Size);
    put<uint8_t>(k + 9, log2Size);  // one byte per index
    put<uint8_t>(k + 10, static_cast<uint8_t>(kind));
    put<uint32_t>(k + 12, 0);
    put<int64_t>(k + 16, (int64_t{1} << log2Size) * 2 / 3 - static_cast<int64_t>(items.size()));
    put<int64_t>(k + 24, static_cast<int64_t>(items.size()));
    for (size_t i = 0; i < indexBytes; ++i) put<int8_t>(k + 32 + i, i < items.size() ? static_cast<int8_t>(i) : -1);
    uint64_t entries = k + 32 + indexBytes;
    for (size_t i = 0; i < items.size(); ++i) {
      uint64_t e = entries + entrySize * i;
      if (kind == 0) {
        put<int64_t>(e, 0x1234 + static_cast<int64_t>(i));
        e += 8;
      }
      put<uint64_t>(e, items[i].first);
      put<uint64_t>(e + 8, split ? 0 : items[i].second);
    }
    return k;
  }
  // ma_values / inline values: 3.13+ have the PyDictValues header {capacity, size, embedded, valid}.
  uint64_t dictValues(const std::vector<uint64_t>& values, bool valid = true) {
    if (minor() >= 13) {
      uint64_t v = alloc(8 + 8 * values.size(), 8);
      put<uint8_t>(v, static_cast<uint8_t>(values.size()));
      put<uint8_t>(v + 1, static_cast<uint8_t>(values.size()));
      put<uint8_t>(v + 2, 0);
      put<uint8_t>(v + 3, valid ? 1 : 0);
      for (size_t i = 0; i < values.size(); ++i) put<uint64_t>(v + 8 + 8 * i, values[i]);
      return v;
    }
    uint64_t v = alloc(8 * std::max<size_t>(values.size(), 1), 8);
    for (size_t i = 0; i < values.size(); ++i) put<uint64_t>(v + 8 * i, values[i]);
    return v;
  }
  uint64_t dictWithKeys(uint64_t keys, uint64_t values, int64_t used) {
    uint64_t d = object(type("dict"), 48);
    put<int64_t>(d + 16, used);
    put<uint64_t>(d + 32, keys);
    put<uint64_t>(d + 40, values);
    return d;
  }
  // A combined dict; str keys get the unicode kind (3.11+), anything else the general kind.
  uint64_t dict(const Items& items, bool unicodeKeys = true) {
    return dictWithKeys(dictKeys(items, unicodeKeys ? 1 : 0), 0, static_cast<int64_t>(items.size()));
  }
  uint64_t set(const std::vector<uint64_t>& keys, const std::string& typeName = "set") {
    uint64_t s = object(type(typeName), 200);
    uint64_t table = alloc(16 * 8, 8);
    for (size_t i = 0; i < keys.size(); ++i) {
      put<uint64_t>(table + 16 * i, keys[i]);
      put<int64_t>(table + 16 * i + 8, 0x55 + static_cast<int64_t>(i));
    }
    put<int64_t>(s + 16, static_cast<int64_t>(keys.size()));
    put<int64_t>(s + 24, static_cast<int64_t>(keys.size()));
    put<int64_t>(s + 32, 7);
    put<uint64_t>(s + 40, table);
    return s;
  }

  // The image as target memory: every allocated range, holes left unmapped.
  void mapInto(ImageMemory& mem) {
    frozen_ = true;
    for (const auto& [from, to] : mapped_) mem.add(kBase + from, std::vector<uint8_t>(buf_.begin() + from, buf_.begin() + to));
    mem.add(kBase + segStart_, std::vector<uint8_t>(buf_.begin() + segStart_, buf_.begin() + next_));
  }

 private:
  const PythonLayout& pl_;
  const Layout& o_;
  std::vector<uint8_t> buf_;
  size_t next_ = 0;
  size_t segStart_ = 0;
  std::vector<std::pair<size_t, size_t>> mapped_;
  bool frozen_ = false;
  std::map<std::string, uint64_t> types_;
};

// One version's image plus the reader over it. Build objects through `img`, then call `r()`.
struct World {
  explicit World(int minor, int micro = 0) : layout(*layoutFor({3, minor, micro})), img(layout) {}
  World(const World&) = delete;
  PythonLayout layout;
  Limits limits;
  Image img;
  ImageMemory mem;
  std::unique_ptr<ObjectReader> reader;
  ObjectReader& r() {
    if (!reader) {
      img.mapInto(mem);
      reader = std::make_unique<ObjectReader>(mem, layout, limits);
    }
    return *reader;
  }
  std::string repr(uint64_t obj) { return r().repr(obj); }
};

std::string hex(uint64_t a) { return fmt::format("0x{:x}", a); }

// 2**100 in 30-bit digits.
const std::vector<uint32_t> kTwoPow100 = {0, 0, 0, 1u << 10};
constexpr const char* kTwoPow100Decimal = "1267650600228229401496703205376";

// ---- every version: the basic objects and their repr -------------------------------------------

class EveryVersion : public ::testing::TestWithParam<int> {};

TEST_P(EveryVersion, StrOfEveryKindReadsAndReprs) {
  // Given compact strings of each kind
  World w(GetParam());
  uint64_t ascii = w.img.str("abc");
  uint64_t quote = w.img.str("it's");
  uint64_t latin1 = w.img.str(U"caf\u00e9");
  uint64_t ucs2 = w.img.str(U"\u20ac100");
  uint64_t ucs4 = w.img.str(U"\U0001F600!");
  uint64_t empty = w.img.str("");
  // When read / Then the text comes back as UTF-8
  EXPECT_EQ(w.r().readStr(ascii).value_or("?"), "abc");
  EXPECT_EQ(w.r().readStr(latin1).value_or("?"), "caf\xc3\xa9");
  EXPECT_EQ(w.r().readStr(ucs2).value_or("?"), "\xe2\x82\xac" "100");
  EXPECT_EQ(w.r().readStr(ucs4).value_or("?"), "\xf0\x9f\x98\x80!");
  EXPECT_EQ(w.r().readStr(empty).value_or("?"), "");
  // And repr quotes them like Python
  EXPECT_EQ(w.repr(ascii), "'abc'");
  EXPECT_EQ(w.repr(quote), "\"it's\"");
  EXPECT_EQ(w.repr(latin1), "'caf\xc3\xa9'");
  EXPECT_EQ(w.repr(ucs4), "'\xf0\x9f\x98\x80!'");
  EXPECT_EQ(w.repr(empty), "''");
}

TEST_P(EveryVersion, IntsOfEverySizeAndSign) {
  // Given zero, small, negative, 2**30 (two digits), 2**64 and 2**100
  World w(GetParam());
  uint64_t zero = w.img.integer(0), seven = w.img.integer(7), minus = w.img.integer(-5);
  uint64_t pow30 = w.img.integer(int64_t{1} << 30);
  uint64_t pow64 = w.img.bigInt({0, 0, 16}, false);
  uint64_t big = w.img.bigInt(kTwoPow100, false), negBig = w.img.bigInt(kTwoPow100, true);
  // When rendered / Then the decimal values are exact
  EXPECT_EQ(w.repr(zero), "0");
  EXPECT_EQ(w.repr(seven), "7");
  EXPECT_EQ(w.repr(minus), "-5");
  EXPECT_EQ(w.repr(pow30), "1073741824");
  EXPECT_EQ(w.repr(pow64), "18446744073709551616");
  EXPECT_EQ(w.repr(big), kTwoPow100Decimal);
  EXPECT_EQ(w.repr(negBig), std::string("-") + kTwoPow100Decimal);
  // And small ones are available as numbers
  EXPECT_EQ(w.r().readSmallInt(minus).value_or(0), -5);
  EXPECT_EQ(w.r().readSmallInt(pow30).value_or(0), int64_t{1} << 30);
  EXPECT_EQ(w.r().readSmallInt(zero).value_or(99), 0);
  EXPECT_FALSE(w.r().readSmallInt(big).has_value());
}

TEST_P(EveryVersion, FloatsBoolsNoneAndBytes) {
  World w(GetParam());
  uint64_t f15 = w.img.floating(1.5), f2 = w.img.floating(2.0), fneg0 = w.img.floating(-0.0), fbig = w.img.floating(1e16);
  uint64_t fsmall = w.img.floating(1e-5), ftenth = w.img.floating(0.1), finf = w.img.floating(std::numeric_limits<double>::infinity());
  uint64_t t = w.img.boolean(true), f = w.img.boolean(false), none = w.img.none();
  uint64_t b = w.img.bytes(std::string("\0a", 2)), bq = w.img.bytes("it's"), bhigh = w.img.bytes("\xff\n");
  EXPECT_EQ(w.repr(f15), "1.5");
  EXPECT_EQ(w.repr(f2), "2.0");
  EXPECT_EQ(w.repr(fneg0), "-0.0");
  EXPECT_EQ(w.repr(fbig), "1e+16");
  EXPECT_EQ(w.repr(fsmall), "1e-05");
  EXPECT_EQ(w.repr(ftenth), "0.1");
  EXPECT_EQ(w.repr(finf), "inf");
  EXPECT_EQ(w.repr(t), "True");
  EXPECT_EQ(w.repr(f), "False");
  EXPECT_EQ(w.repr(none), "None");
  EXPECT_EQ(w.repr(b), "b'\\x00a'");
  EXPECT_EQ(w.repr(bq), "b\"it's\"");
  EXPECT_EQ(w.repr(bhigh), "b'\\xff\\n'");
}

TEST_P(EveryVersion, TuplesListsDictsAndSets) {
  World w(GetParam());
  auto& im = w.img;
  uint64_t one = im.integer(1), two = im.integer(2), a = im.str("a");
  uint64_t single = im.tuple({one}), emptyTuple = im.tuple({}), pair = im.tuple({one, a});
  uint64_t lst = im.list({one, two}), emptyList = im.list({});
  uint64_t d = im.dict({{a, one}}), emptyDict = im.dict({});
  uint64_t general = im.dict({{one, a}}, false);
  uint64_t nested = im.dict({{a, im.list({one, im.tuple({two})})}});  // three levels: the third is cut
  uint64_t s = im.set({one, two}), emptySet = im.set({}), fs = im.set({one}, "frozenset");
  EXPECT_EQ(w.repr(single), "(1,)");
  EXPECT_EQ(w.repr(emptyTuple), "()");
  EXPECT_EQ(w.repr(pair), "(1, 'a')");
  EXPECT_EQ(w.repr(lst), "[1, 2]");
  EXPECT_EQ(w.repr(emptyList), "[]");
  EXPECT_EQ(w.repr(d), "{'a': 1}");
  EXPECT_EQ(w.repr(emptyDict), "{}");
  EXPECT_EQ(w.repr(general), "{1: 'a'}");
  EXPECT_EQ(w.repr(nested), "{'a': [1, (...)]}");
  EXPECT_EQ(w.repr(s), "{1, 2}");
  EXPECT_EQ(w.repr(emptySet), "set()");
  EXPECT_EQ(w.repr(fs), "frozenset({1})");
  // And the item accessors agree
  auto items = w.r().tupleItems(pair, 10);
  ASSERT_TRUE(items.has_value());
  EXPECT_EQ(*items, (std::vector<uint64_t>{one, a}));
  EXPECT_EQ(w.r().listItems(lst, 1).value_or(std::vector<uint64_t>{}), (std::vector<uint64_t>{one}));
  EXPECT_EQ(w.r().dictGet(d, "a"), std::optional<uint64_t>(one));
  EXPECT_EQ(w.r().dictGet(d, "b"), std::nullopt);
  EXPECT_EQ(w.r().setItems(s, 10).value_or(std::vector<uint64_t>{}), (std::vector<uint64_t>{one, two}));
}

TEST_P(EveryVersion, InstancesOfPythonClassesReprWithTheirAddress) {
  // Given an instance of class Foo (module __main__) with no readable attributes
  World w(GetParam());
  uint64_t foo = w.img.heapType("Foo", "__main__", 0, 16, 0);
  uint64_t obj = w.img.object(foo, 16);
  uint64_t lock = w.img.object(w.img.type("_thread.lock"), 40);
  // When rendered / Then the generic form with tp_name is used
  EXPECT_EQ(w.repr(obj), "<Foo at " + hex(obj) + ">");
  EXPECT_EQ(w.repr(lock), "<_thread.lock at " + hex(lock) + ">");
  EXPECT_EQ(w.r().qualifiedTypeName(obj), "__main__.Foo");
  EXPECT_EQ(w.r().qualifiedTypeName(lock), "_thread.lock");
  EXPECT_TRUE(w.r().isInstance(obj, "__main__", "Foo"));
  EXPECT_TRUE(w.r().isInstance(lock, "_thread", "lock"));
}

INSTANTIATE_TEST_SUITE_P(Py3, EveryVersion, ::testing::Values(6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                         [](const ::testing::TestParamInfo<int>& p) { return "minor" + std::to_string(p.param); });

TEST_P(EveryVersion, SetsSkipDummyEntries) {
  // Given a set whose table has a deleted slot (the <dummy key> object) between two keys
  World w(GetParam());
  uint64_t one = w.img.integer(1), two = w.img.integer(2);
  uint64_t dummy = w.img.object(w.img.type("<dummy key> type"), 16);
  uint64_t s = w.img.set({one, dummy, two});
  w.img.put<int64_t>(s + 24, 2);
  // Then only the live keys are shown
  EXPECT_EQ(w.repr(s), "{1, 2}");
}

TEST_P(EveryVersion, StrEscapesLikePython) {
  World w(GetParam());
  uint64_t both = w.img.str("it's \"x\"");
  uint64_t controls = w.img.str("a\tb\nc\\d\x01\x7f");
  EXPECT_EQ(w.repr(both), "'it\\'s \"x\"'");
  EXPECT_EQ(w.repr(controls), "'a\\tb\\nc\\\\d\\x01\\x7f'");
}

// ---- version-specific layouts -------------------------------------------------------------------

TEST(ObjectReaderLayout, StrHeaderSizesDifferBetween311And312) {
  // Given the same strings in 3.11 (ASCII header 48, compact 72) and 3.12 (40, 56)
  for (int minor : {11, 12}) {
    SCOPED_TRACE(minor);
    World w(minor);
    uint64_t ascii = w.img.str("hello");
    uint64_t latin = w.img.str(U"\u00e9t\u00e9");
    const uint64_t asciiHdr = minor == 11 ? 48 : 40, compactHdr = minor == 11 ? 72 : 56;
    // Then the text sits where the version puts it
    uint8_t first = 0;
    ASSERT_TRUE(w.r().memory().read(ascii + asciiHdr, &first, 1));
    EXPECT_EQ(first, 'h');
    ASSERT_TRUE(w.r().memory().read(latin + compactHdr, &first, 1));
    EXPECT_EQ(first, 0xe9);
    // And the reader finds it
    EXPECT_EQ(w.repr(ascii), "'hello'");
    EXPECT_EQ(w.repr(latin), "'\xc3\xa9t\xc3\xa9'");
  }
}

TEST(ObjectReaderLayout, LegacyNonCompactStringsUseTheDataPointer) {
  for (int minor : {10, 11, 12}) {
    SCOPED_TRACE(minor);
    World w(minor);
    uint64_t s1 = w.img.legacyStr(U"legacy", 1);
    uint64_t s2 = w.img.legacyStr(U"\u0100bc", 2);
    EXPECT_EQ(w.repr(s1), "'legacy'");
    EXPECT_EQ(w.r().readStr(s2).value_or("?"), "\xc4\x80" "bc");
  }
}

TEST(ObjectReaderLayout, IntSizeModels311VersusTag312) {
  // Given -7 laid out with ob_size = -1 (3.11) and with lv_tag = 1<<3 | 2 (3.12)
  World w11(11), w12(12), w14(14);
  uint64_t a = w11.img.integer(-7);
  uint64_t b = w12.img.integer(-7);
  uint64_t z = w12.img.bigInt({}, false);
  uint64_t small14 = w14.img.bigInt({5}, false, "int", 4);
  int64_t word11 = 0, word12 = 0;
  ASSERT_TRUE(w11.r().memory().read(a + 16, &word11, 8));
  ASSERT_TRUE(w12.r().memory().read(b + 16, &word12, 8));
  EXPECT_EQ(word11, -1);
  EXPECT_EQ(word12, (1 << 3) | 2);
  // Then both read as -7
  EXPECT_EQ(w11.repr(a), "-7");
  EXPECT_EQ(w12.repr(b), "-7");
  // And 3.12's zero (tag 1) reads as 0, and the 3.14 immortal small-int bit (4) is ignored
  EXPECT_EQ(w12.repr(z), "0");
  EXPECT_EQ(w14.repr(small14), "5");
  EXPECT_EQ(w14.r().readSmallInt(small14).value_or(0), 5);
}

TEST(ObjectReaderLayout, Tuple314ItemsStartAt32) {
  // Given a 3.14 tuple (ob_hash at 24, ob_item at 32)
  World w(14);
  uint64_t one = w.img.integer(1), two = w.img.integer(2);
  uint64_t t = w.img.tuple({one, two});
  w.img.put<int64_t>(t + 24, -1);  // ob_hash: not an item
  // Then the items are read from 32
  EXPECT_EQ(w.repr(t), "(1, 2)");
  EXPECT_EQ(w.r().tupleItems(t, 10).value_or(std::vector<uint64_t>{}), (std::vector<uint64_t>{one, two}));
}

TEST(ObjectReaderLayout, OldDictKeysLayoutOf310IncludingSplitTables) {
  // Given a 3.10 combined dict and a split dict (values in a plain array)
  World w(10);
  auto& im = w.img;
  uint64_t x = im.str("x"), y = im.str("y"), one = im.integer(1), two = im.integer(2);
  uint64_t combined = im.dict({{x, one}, {y, two}});
  uint64_t keys = im.dictKeys({{x, 0}, {y, 0}}, 2);
  uint64_t split = im.dictWithKeys(keys, im.dictValues({two, one}), 2);
  // Then both read in entry order
  EXPECT_EQ(w.repr(combined), "{'x': 1, 'y': 2}");
  EXPECT_EQ(w.repr(split), "{'x': 2, 'y': 1}");
  EXPECT_EQ(w.r().dictGet(split, "y"), std::optional<uint64_t>(one));
}

TEST(ObjectReaderLayout, NewDictKeysLayoutGeneralUnicodeAndSplitFrom311) {
  for (int minor : {11, 12, 13, 14}) {
    SCOPED_TRACE(minor);
    World w(minor);
    auto& im = w.img;
    uint64_t x = im.str("x"), y = im.str("y"), one = im.integer(1), two = im.integer(2);
    uint64_t unicode = im.dict({{x, one}, {y, two}});
    uint64_t general = im.dict({{one, x}, {y, two}}, false);
    uint64_t keys = im.dictKeys({{x, 0}, {y, 0}}, 2);
    uint64_t split = im.dictWithKeys(keys, im.dictValues({two, one}), 2);
    EXPECT_EQ(w.repr(unicode), "{'x': 1, 'y': 2}");
    EXPECT_EQ(w.repr(general), "{1: 'x', 'y': 2}");
    EXPECT_EQ(w.repr(split), "{'x': 2, 'y': 1}");
    EXPECT_EQ(w.r().dictGet(split, "x"), std::optional<uint64_t>(two));
  }
}

TEST(ObjectReaderLayout, DictsWithDeletedEntriesSkipThem) {
  // Given a dict whose first entry was deleted (NULL key and value), ma_used = 1
  World w(12);
  uint64_t a = w.img.str("a"), b = w.img.str("b"), one = w.img.integer(1);
  uint64_t keys = w.img.dictKeys({{a, one}, {b, one}}, 1);
  w.img.put<uint64_t>(keys + 32 + 8, 0);
  w.img.put<uint64_t>(keys + 32 + 8 + 8, 0);
  uint64_t d = w.img.dictWithKeys(keys, 0, 1);
  EXPECT_EQ(w.repr(d), "{'b': 1}");
}

// ---- instance attributes ------------------------------------------------------------------------

TEST(ObjectReaderAttributes, TpDictOffsetIn310) {
  // Given class Foo with tp_dictoffset 16 and an instance whose __dict__ is {'x': 1, 'name': 'abc'}
  World w(10);
  auto& im = w.img;
  uint64_t foo = im.heapType("Foo", "__main__", 0, 24, 16);
  uint64_t one = im.integer(1), abc = im.str("abc");
  uint64_t obj = im.object(foo, 24);
  im.put<uint64_t>(obj + 16, im.dict({{im.str("x"), one}, {im.str("name"), abc}}));
  // Then attributes are found by name, in order
  EXPECT_EQ(w.r().attr(obj, "x"), std::optional<uint64_t>(one));
  EXPECT_EQ(w.r().attr(obj, "missing"), std::nullopt);
  auto all = w.r().attrs(obj, 10);
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].first, "x");
  EXPECT_EQ(all[1].first, "name");
  EXPECT_EQ(w.repr(all[1].second), "'abc'");
  EXPECT_EQ(w.repr(obj), "<Foo at " + hex(obj) + ">");
}

TEST(ObjectReaderAttributes, SubclassesAreInstancesOfTheirBases) {
  World w(10);
  uint64_t cond = w.img.heapType("Condition", "threading", 0, 24, 16);
  uint64_t mine = w.img.heapType("MyCondition", "__main__", 0, 24, 16, cond);
  uint64_t obj = w.img.object(mine, 24);
  EXPECT_TRUE(w.r().isInstance(obj, "threading", "Condition"));
  EXPECT_TRUE(w.r().isInstance(obj, "", "Condition"));
  EXPECT_FALSE(w.r().isInstance(obj, "queue", "Condition"));
}

// Class Foo with managed dict (3.11+) whose cached keys are ('x', 'name').
struct ManagedFoo {
  uint64_t type, x, name, one, abc;
};
ManagedFoo managedFoo(World& w, uint64_t extraFlags) {
  auto& im = w.img;
  ManagedFoo f;
  f.x = im.str("x");
  f.name = im.str("name");
  f.one = im.integer(1);
  f.abc = im.str("abc");
  f.type = im.heapType("Foo", "__main__", kManagedDict | extraFlags, 16, -1);
  im.put<uint64_t>(f.type + static_cast<uint64_t>(w.layout.offsets.ht_cached_keys), im.dictKeys({{f.x, 0}, {f.name, 0}}, 2));
  return f;
}

void expectFooAttrs(World& w, uint64_t obj, const ManagedFoo& f) {
  EXPECT_EQ(w.r().attr(obj, "x"), std::optional<uint64_t>(f.one));
  EXPECT_EQ(w.r().attr(obj, "name"), std::optional<uint64_t>(f.abc));
  auto all = w.r().attrs(obj, 10);
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].first, "x");
  EXPECT_EQ(all[1].first, "name");
}

TEST(ObjectReaderAttributes, ManagedDict311ValuesAndMaterialisedDict) {
  World w(11);
  ManagedFoo f = managedFoo(w, 0);
  // Given one instance with only values (obj-32) and one with a materialised dict (obj-24)
  uint64_t a = w.img.object(f.type, 16, 32);
  w.img.put<uint64_t>(a - 32, w.img.dictValues({f.one, f.abc}));
  uint64_t b = w.img.object(f.type, 16, 32);
  w.img.put<uint64_t>(b - 24, w.img.dict({{f.x, f.one}, {f.name, f.abc}}));
  // Then both show their attributes
  expectFooAttrs(w, a, f);
  expectFooAttrs(w, b, f);
}

TEST(ObjectReaderAttributes, ManagedDict312TaggedValuesPointer) {
  World w(12);
  ManagedFoo f = managedFoo(w, 0);
  // Given obj-24 = values - 1 (bit 0 set), and another with a plain dict pointer
  uint64_t a = w.img.object(f.type, 16, 32);
  w.img.put<uint64_t>(a - 24, w.img.dictValues({f.one, f.abc}) - 1);
  uint64_t b = w.img.object(f.type, 16, 32);
  w.img.put<uint64_t>(b - 24, w.img.dict({{f.x, f.one}, {f.name, f.abc}}));
  expectFooAttrs(w, a, f);
  expectFooAttrs(w, b, f);
}

TEST(ObjectReaderAttributes, InlineValues313And314) {
  for (int minor : {13, 14}) {
    SCOPED_TRACE(minor);
    World w(minor);
    ManagedFoo f = managedFoo(w, kInlineValues);
    // Given an instance with NULL managed dict and valid inline values at obj + tp_basicsize
    uint64_t a = w.img.alloc(32 + 16 + 8 + 16) + 32;
    w.img.put<int64_t>(a, 1);
    w.img.put<uint64_t>(a + 8, f.type);
    uint64_t inl = a + 16;
    w.img.put<uint8_t>(inl, 2);
    w.img.put<uint8_t>(inl + 1, 2);
    w.img.put<uint8_t>(inl + 2, 1);
    w.img.put<uint8_t>(inl + 3, 1);
    w.img.put<uint64_t>(inl + 8, f.one);
    w.img.put<uint64_t>(inl + 16, f.abc);
    // And one whose inline values were invalidated (valid = 0) without a dict
    uint64_t b = w.img.alloc(32 + 16 + 8 + 16) + 32;
    w.img.put<int64_t>(b, 1);
    w.img.put<uint64_t>(b + 8, f.type);
    w.img.put<uint8_t>(b + 16 + 3, 0);
    w.img.put<uint64_t>(b + 24, f.one);
    // Then the first shows its attributes, the second none
    expectFooAttrs(w, a, f);
    EXPECT_TRUE(w.r().attrs(b, 10).empty());
    EXPECT_EQ(w.r().attr(b, "x"), std::nullopt);
  }
}

// ---- limits -------------------------------------------------------------------------------------

TEST(ObjectReaderLimits, TruncationMarkers) {
  World w(12);
  w.limits.maxReprChars = 5;
  w.limits.maxContainerItems = 2;
  w.limits.maxReprDepth = 1;
  w.limits.maxIntDigits = 2;
  auto& im = w.img;
  uint64_t one = im.integer(1), two = im.integer(2), three = im.integer(3);
  uint64_t longStr = im.str("abcdefgh"), exact = im.str("abcde"), longBytes = im.bytes("abcdefgh");
  uint64_t lst = im.list({one, two, three}), tup = im.tuple({one, two, three});
  uint64_t d = im.dict({{im.str("a"), one}, {im.str("b"), two}, {im.str("c"), three}});
  uint64_t s = im.set({one, two, three});
  uint64_t nested = im.list({im.list({one}), one});
  uint64_t big = im.bigInt(kTwoPow100, false);
  EXPECT_EQ(w.repr(longStr), "'abcde'...");
  EXPECT_EQ(w.repr(exact), "'abcde'");
  EXPECT_EQ(w.repr(longBytes), "b'abcde'...");
  EXPECT_EQ(w.repr(lst), "[1, 2, ...]");
  EXPECT_EQ(w.repr(tup), "(1, 2, ...)");
  EXPECT_EQ(w.repr(d), "{'a': 1, 'b': 2, ...}");
  EXPECT_EQ(w.repr(s), "{1, 2, ...}");
  EXPECT_EQ(w.repr(nested), "[[...], 1]");
  EXPECT_EQ(w.repr(big), "<int with 31 digits>");  // 2**100 = 1267650600228229401496703205376
  bool cut = false;
  EXPECT_EQ(w.r().readStr(longStr, 3, &cut).value_or("?"), "abc");
  EXPECT_TRUE(cut);
}

TEST(ObjectReaderLimits, ReadStrHonoursMaxCharsAfterALongerReadWasCached) {
  // Given a 300-character string that was read once in full (and cached)
  World w(12);
  uint64_t s = w.img.str(std::string(300, 'q'));
  ASSERT_EQ(w.r().readStr(s).value_or("").size(), 300u);
  // When it is read again with a 256-character cap
  bool cut = false;
  auto again = w.r().readStr(s, 256, &cut);
  // Then at most 256 characters come back and the cut is reported
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->size(), 256u);
  EXPECT_TRUE(cut);
}

// Whether `s` is well-formed UTF-8 (no surrogates, no overlong forms), as the JSON writer requires.
bool isValidUtf8(const std::string& s) {
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    uint32_t cp = n == 1 ? c : n == 2 ? (c & 0x1f) : n == 3 ? (c & 0x0f) : (c & 0x07);
    for (size_t k = 1; k < n; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc >> 6) != 2) return false;
      cp = (cp << 6) | (cc & 0x3f);
    }
    if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff))) return false;
    if (cp >= 0xd800 && cp <= 0xdfff) return false;
    i += n;
  }
  return true;
}

TEST(ObjectReaderRepr, LoneSurrogatesAreEscapedNotEncoded) {
  // Given str 'a\udcff' (what os.fsdecode makes of a non-UTF-8 byte), in a UCS-2 string
  World w(12);
  uint64_t s = w.img.str(std::u32string{U'a', static_cast<char32_t>(0xdcff)});
  // When rendered
  std::string r = w.repr(s);
  // Then it is escaped like Python does, and stays valid UTF-8 (nlohmann::json refuses anything else)
  EXPECT_EQ(r, "'a\\udcff'");
  EXPECT_TRUE(isValidUtf8(r));
}

TEST(ObjectReaderRepr, NonPrintableLatin1CharactersAreEscapedLikePython) {
  // Given str '\x85\x9f' (C1 control characters, kind 1, not ASCII)
  World w(12);
  uint64_t s = w.img.str(std::u32string{static_cast<char32_t>(0x85), static_cast<char32_t>(0x9f)});
  // When rendered / Then like Python's repr(): '\x85\x9f'
  EXPECT_EQ(w.repr(s), "'\\x85\\x9f'");
}

TEST(ObjectReaderRepr, NonPrintableCharactersAreEscapedAndPrintableOnesKept) {
  // Given strs with a no-break space, a zero-width space, an unassigned plane-1 code point, a
  // private-use character, and printable non-ASCII text (accents, CJK, an emoji)
  World w(12);
  auto& im = w.img;
  uint64_t nbsp = im.str(std::u32string{U'a', U'\u00a0', U'b'});
  uint64_t zw = im.str(std::u32string{U'a', U'\u200b', U'b', U'\u2028'});
  uint64_t astral = im.str(std::u32string{static_cast<char32_t>(0x1ffff), static_cast<char32_t>(0xe000)});
  uint64_t fine = im.str(std::u32string{U'\u00e9', U'\u4e2d', static_cast<char32_t>(0x1f600), U' ', U'~'});
  // When rendered / Then like Python's repr()
  EXPECT_EQ(w.repr(nbsp), "'a\\xa0b'");
  EXPECT_EQ(w.repr(zw), "'a\\u200bb\\u2028'");
  EXPECT_EQ(w.repr(astral), "'\\U0001ffff\\ue000'");
  EXPECT_EQ(w.repr(fine), "'\u00e9\u4e2d\U0001F600 ~'");
}

TEST(ObjectReaderRepr, ReadStrKeepsSurrogatesAsPythonPrintsThemInTracebacks) {
  // Given a file name decoded with surrogateescape ('dir-\udcff')
  World w(12);
  uint64_t s = w.img.str(std::u32string{U'd', U'i', U'r', U'-', static_cast<char32_t>(0xdcff)});
  // When read as text / Then the surrogate is written as its escape, the text valid UTF-8
  EXPECT_EQ(w.r().readStr(s).value_or("?"), "dir-\\udcff");
}

// The base-2^30 digits of 10^k - sub (sub 0 or 1), least significant first.
std::vector<uint32_t> tenToThe(unsigned k, uint32_t sub) {
  std::vector<uint32_t> d{1};
  for (unsigned i = 0; i < k; ++i) {
    uint64_t carry = 0;
    for (auto& x : d) {
      uint64_t cur = uint64_t{x} * 10 + carry;
      x = static_cast<uint32_t>(cur & 0x3fffffffu);
      carry = cur >> 30;
    }
    if (carry) d.push_back(static_cast<uint32_t>(carry));
  }
  for (size_t i = 0; sub; ++i) {  // 10^k - 1: borrow through the zero digits
    if (d[i] >= sub) { d[i] -= sub; sub = 0; }
    else { d[i] = 0x3fffffffu; }
  }
  while (d.size() > 1 && d.back() == 0) d.pop_back();
  return d;
}

TEST(ObjectReaderLimits, AnIntTooBigToRenderGivesItsExactDigitCountAndSign) {
  // Given 10**10000, -10**10000, 10**10000 - 1 and 2**100 with at most 2 digits rendered in full
  World w(12);
  w.limits.maxIntDigits = 2;
  auto& im = w.img;
  uint64_t giant = im.bigInt(tenToThe(10000, 0), false), negative = im.bigInt(tenToThe(10000, 0), true);
  uint64_t nines = im.bigInt(tenToThe(10000, 1), false), ten30 = im.bigInt(tenToThe(30, 0), false);
  uint64_t ten30less = im.bigInt(tenToThe(30, 1), true);
  // When rendered / Then the number of decimal digits is exact, the sign kept
  EXPECT_EQ(w.repr(giant), "<int with 10001 digits>");
  EXPECT_EQ(w.repr(negative), "-<int with 10001 digits>");
  EXPECT_EQ(w.repr(nines), "<int with 10000 digits>");
  EXPECT_EQ(w.repr(ten30), "<int with 31 digits>");
  EXPECT_EQ(w.repr(ten30less), "-<int with 30 digits>");
}

// ---- hostile images -----------------------------------------------------------------------------

// Runs `body` and fails if it takes longer than `ms`.
template <class F>
void withinMs(int ms, F&& body) {
  auto t0 = std::chrono::steady_clock::now();
  body();
  auto took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_LT(took, ms) << "took " << took << " ms";
}

TEST(ObjectReaderHostile, UnmappedAndMisalignedPointersGiveMarkedPlaceholders) {
  World w(12);
  auto& im = w.img;
  uint64_t badType = im.object(kUnmapped, 16);         // ob_type unmapped
  uint64_t oddType = im.object(im.type("int") + 3, 16);  // misaligned type pointer
  uint64_t noName = im.object(im.alloc(1024), 16);       // type with tp_name NULL
  uint64_t unmappedName = im.alloc(1024);
  im.put<uint64_t>(unmappedName + kTpName, kUnmapped);
  uint64_t badName = im.object(unmappedName, 16);
  uint64_t lst = im.list({kUnmapped, 0});
  uint64_t strBadData = im.legacyStr(U"x", 1);
  im.put<uint64_t>(strBadData + static_cast<uint64_t>(w.layout.offsets.str_legacy_data), kUnmapped);
  uint64_t listBadArray = im.list({im.integer(1)});
  im.put<uint64_t>(listBadArray + 24, kUnmapped);
  withinMs(500, [&] {
    EXPECT_EQ(w.repr(0), "<NULL>");
    EXPECT_EQ(w.repr(kUnmapped), "<invalid object at 0xdead0000>");
    EXPECT_EQ(w.repr(badType), "<invalid object at " + hex(badType) + ">");
    EXPECT_EQ(w.repr(oddType), "<invalid object at " + hex(oddType) + ">");
    EXPECT_EQ(w.repr(noName), "<invalid object at " + hex(noName) + ">");
    EXPECT_EQ(w.repr(badName), "<invalid object at " + hex(badName) + ">");
    EXPECT_EQ(w.repr(lst), "[<invalid object at 0xdead0000>, <NULL>]");
    EXPECT_EQ(w.repr(strBadData), "<str at " + hex(strBadData) + " (unreadable)>");
    EXPECT_EQ(w.repr(listBadArray), "<list at " + hex(listBadArray) + " (unreadable)>");
    EXPECT_FALSE(w.r().readStr(kUnmapped).has_value());
    EXPECT_FALSE(w.r().dictItems(kUnmapped, 10).has_value());
    EXPECT_EQ(w.r().attr(kUnmapped, "x"), std::nullopt);
    EXPECT_TRUE(w.r().attrs(badType, 10).empty());
    EXPECT_EQ(w.r().qualifiedTypeName(kUnmapped), "?");
  });
}

TEST(ObjectReaderHostile, DictsWithHugeEntryCounts) {
  for (int minor : {10, 12}) {
    SCOPED_TRACE(minor);
    World w(minor);
    auto& im = w.img;
    uint64_t a = im.str("a"), one = im.integer(1);
    // Given a dict whose keys claim 2**30 entries (new layout) / 2**20 slots (old layout),
    // followed by unmapped memory
    uint64_t keys = im.dictKeys({{a, one}}, 1);
    if (minor >= 11) {
      im.put<uint8_t>(keys + 8, 30);
      im.put<int64_t>(keys + 24, int64_t{1} << 30);
    } else {
      im.put<int64_t>(keys + 8, int64_t{1} << 20);
      im.put<int64_t>(keys + 32, int64_t{1} << 20);
    }
    uint64_t huge = im.dictWithKeys(keys, 0, int64_t{1} << 30);
    // And keys with absurd sizes that fail the sanity checks
    uint64_t absurdKeys = im.dictKeys({{a, one}}, 1);
    if (minor >= 11) {
      im.put<uint8_t>(absurdKeys + 8, 60);
    } else {
      im.put<int64_t>(absurdKeys + 8, int64_t{1} << 40);
    }
    uint64_t absurd = im.dictWithKeys(absurdKeys, 0, 1);
    uint64_t noKeys = im.dictWithKeys(0, 0, 1);
    im.hole();
    withinMs(500, [&] {
      EXPECT_EQ(w.repr(huge), "<dict at " + hex(huge) + " (unreadable)>");
      EXPECT_EQ(w.repr(absurd), "<dict at " + hex(absurd) + " (unreadable)>");
      EXPECT_EQ(w.repr(noKeys), "<dict at " + hex(noKeys) + " (unreadable)>");
      EXPECT_EQ(w.r().dictGet(huge, "a"), std::nullopt);
    });
  }
}

TEST(ObjectReaderHostile, ADictThatLiesAboutMaUsedIsCutAtItsEntries) {
  World w(12);
  uint64_t a = w.img.str("a"), one = w.img.integer(1);
  uint64_t d = w.img.dictWithKeys(w.img.dictKeys({{a, one}}, 1), 0, int64_t{1} << 40);
  EXPECT_EQ(w.repr(d), "{'a': 1, ...}");
}

TEST(ObjectReaderHostile, ContainersWithAbsurdSizes) {
  World w(12);
  auto& im = w.img;
  std::vector<uint64_t> ten;
  for (int i = 0; i < 10; ++i) ten.push_back(im.integer(i));
  // Given a tuple claiming 2**40 items (10 real ones), one claiming more than 2**40, a negative
  // size, a list claiming 2**40 items backed by a 1-item array, bytes claiming 2**40 bytes
  uint64_t tup = im.tuple(ten);
  im.put<int64_t>(tup + 16, int64_t{1} << 40);
  uint64_t tooBig = im.tuple(ten);
  im.put<int64_t>(tooBig + 16, (int64_t{1} << 40) + 1);
  uint64_t negative = im.tuple(ten);
  im.put<int64_t>(negative + 16, -3);
  uint64_t bytesHuge = im.bytes(std::string(100, 'z'));
  im.put<int64_t>(bytesHuge + 16, int64_t{1} << 40);
  uint64_t lst = im.list({ten[0]});
  im.put<int64_t>(lst + 16, int64_t{1} << 40);
  im.hole();
  withinMs(500, [&] {
    EXPECT_EQ(w.repr(tup), "(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, ...)");
    EXPECT_EQ(w.repr(tooBig), "<tuple at " + hex(tooBig) + " (unreadable)>");
    EXPECT_EQ(w.repr(negative), "<tuple at " + hex(negative) + " (unreadable)>");
    EXPECT_EQ(w.repr(bytesHuge), "b'" + std::string(80, 'z') + "'...");
    EXPECT_EQ(w.repr(lst), "<list at " + hex(lst) + " (unreadable)>");
    EXPECT_EQ(w.r().tupleItems(tup, 3).value_or(std::vector<uint64_t>{}).size(), 3u);
  });
}

TEST(ObjectReaderHostile, StringsWithInvalidKindsOrLengths) {
  for (int minor : {11, 12}) {
    SCOPED_TRACE(minor);
    World w(minor);
    auto& im = w.img;
    uint64_t kind3 = im.str("abc");
    im.strHeader(kind3, 3, 3, true, false);
    uint64_t kind0 = im.str("abc");  // a not-ready legacy string (text only in wstr)
    im.strHeader(kind0, 3, 0, false, false);
    uint64_t negative = im.str("abc");
    im.put<int64_t>(negative + 16, -1);
    uint64_t tooLong = im.str("abc");
    im.put<int64_t>(tooLong + 16, (int64_t{1} << 40) + 1);
    uint64_t huge = im.str(std::string(100, 'x'));
    im.put<int64_t>(huge + 16, int64_t{1} << 39);
    uint64_t past = im.str("abc");  // claims 1000 chars but memory ends after 3
    im.put<int64_t>(past + 16, 1000);
    im.hole();
    withinMs(500, [&] {
      EXPECT_EQ(w.repr(kind3), "<str at " + hex(kind3) + " (unreadable)>");
      EXPECT_EQ(w.repr(kind0), "<str at " + hex(kind0) + " (unreadable)>");
      EXPECT_EQ(w.repr(negative), "<str at " + hex(negative) + " (unreadable)>");
      EXPECT_EQ(w.repr(tooLong), "<str at " + hex(tooLong) + " (unreadable)>");
      EXPECT_EQ(w.repr(huge), "'" + std::string(80, 'x') + "'...");
      EXPECT_EQ(w.repr(past), "<str at " + hex(past) + " (unreadable)>");
      EXPECT_FALSE(w.r().readStr(kind3).has_value());
      EXPECT_FALSE(w.r().readStr(past).has_value());
    });
  }
}

TEST(ObjectReaderHostile, AnIntWhoseObSizeIsInt64MinIsUnreadableWithoutUndefinedBehaviour) {
  // Given a 3.11 int whose ob_size is INT64_MIN (its magnitude cannot be negated in int64_t)
  World w11(11);
  uint64_t minSize = w11.img.integer(5);
  w11.img.put<int64_t>(minSize + 16, INT64_MIN);
  w11.img.hole();
  // When rendered / Then a placeholder (and, under -fsanitize=undefined, no signed overflow)
  EXPECT_EQ(w11.repr(minSize), "<int at " + hex(minSize) + " (unreadable)>");
}

TEST(ObjectReaderHostile, IntsWithAbsurdDigitCounts) {
  World w11(11), w12(12);
  uint64_t manyDigits = w11.img.integer(5);
  w11.img.put<int64_t>(manyDigits + 16, int64_t{1} << 20);
  w11.img.hole();
  uint64_t hugeTag = w12.img.integer(5);
  w12.img.put<uint64_t>(hugeTag + 16, ~uint64_t{0});
  uint64_t boolHuge = w12.img.boolean(true);
  w12.img.put<uint64_t>(boolHuge + 16, uint64_t{1000} << 3);
  w12.img.hole();
  withinMs(500, [&] {
    EXPECT_EQ(w11.repr(manyDigits), "<int at " + hex(manyDigits) + " (unreadable)>");
    EXPECT_EQ(w12.repr(hugeTag), "<int at " + hex(hugeTag) + " (unreadable)>");
    EXPECT_EQ(w12.repr(boolHuge), "<bool at " + hex(boolHuge) + " (unreadable)>");
  });
}

TEST(ObjectReaderHostile, TypeCyclesAndSelfReferencesTerminate) {
  World w(12);
  auto& im = w.img;
  // Given two classes whose tp_base point at each other, a type that is its own type and base,
  // a list and a dict that contain themselves
  uint64_t t1 = im.heapType("Ping", "__main__", 0, 16, 0);
  uint64_t t2 = im.heapType("Pong", "__main__", 0, 16, 0, t1);
  im.put<uint64_t>(t1 + kTpBase, t2);
  uint64_t obj = im.object(t1, 16);
  uint64_t selfType = im.alloc(1024);
  im.put<uint64_t>(selfType + 8, selfType);
  im.put<uint64_t>(selfType + kTpName, im.cstring("Ouroboros"));
  im.put<uint64_t>(selfType + kTpBase, selfType);
  uint64_t lst = im.list({0});
  im.put<uint64_t>(im.get<uint64_t>(lst + 24), lst);
  uint64_t key = im.str("self");
  uint64_t keys = im.dictKeys({{key, 0}}, 1);
  uint64_t d = im.dictWithKeys(keys, 0, 1);
  im.put<uint64_t>(keys + 32 + 8 + 8, d);
  withinMs(500, [&] {
    EXPECT_FALSE(w.r().isInstance(obj, "threading", "Condition"));
    EXPECT_TRUE(w.r().isInstance(obj, "__main__", "Pong"));
    EXPECT_FALSE(w.r().isInstance(selfType, "threading", "Thread"));
    EXPECT_EQ(w.repr(selfType), "<Ouroboros at " + hex(selfType) + ">");
    EXPECT_EQ(w.repr(obj), "<Ping at " + hex(obj) + ">");
    EXPECT_EQ(w.repr(lst), "[[[...]]]");
    EXPECT_EQ(w.repr(d), "{'self': {'self': {...}}}");
  });
}

TEST(ObjectReaderHostile, ATypeNameEndingRightBeforeUnmappedMemoryIsRead) {
  // Given an int whose type's tp_name "int" ends 4 bytes before the end of the mapped range
  // (ImageMemory, as used by the unit tests and fuzzers, need not end on a page boundary)
  World w(12);
  auto& im = w.img;
  uint64_t intType = im.alloc(1024);
  im.put<uint64_t>(intType + 8, im.type("type"));
  uint64_t seven = im.object(intType, 28);
  im.put<uint64_t>(seven + 16, uint64_t{1} << 3);
  im.put<uint32_t>(seven + 24, 7);
  im.put<uint64_t>(intType + kTpName, im.tightCString("int"));
  im.hole();
  // When it is rendered / Then the name is read although a 64-byte chunk would cross the end
  EXPECT_EQ(w.repr(seven), "7");
}

TEST(ObjectReaderHostile, AHeapTypeWhoseModuleIsNotAStrIsStillNamed) {
  // Given class Odd whose tp_dict['__module__'] is an instance of Odd itself
  World w(12);
  auto& im = w.img;
  uint64_t odd = im.heapType("Odd", "placeholder", 0, 16, 0);
  uint64_t inst = im.object(odd, 16);
  im.put<uint64_t>(odd + kTpDict, im.dict({{im.str("__module__"), inst}}));
  withinMs(500, [&] {
    EXPECT_EQ(w.repr(inst), "<Odd at " + hex(inst) + ">");
    auto t = w.r().typeOf(inst);
    ASSERT_TRUE(t.has_value());
    EXPECT_EQ((*t)->name, "Odd");
  });
}

TEST(ObjectReaderHostile, GarbageEverywhereNeverCrashes) {
  // Given an image of pseudo-random words, some of which point back into the image
  World w(13);
  auto& im = w.img;
  uint64_t start = im.alloc(64 * 1024);
  uint64_t x = 0x9e3779b97f4a7c15ull;
  for (uint64_t off = 0; off < 64 * 1024; off += 8) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    uint64_t word = (x & 3) == 0 ? start + (x >> 8) % (64 * 1024) : x;
    im.put<uint64_t>(start + off, (x & 4) ? (word & ~uint64_t{7}) : word);
  }
  im.hole();
  // When every word-aligned address is rendered / Then it finishes quickly without a crash
  withinMs(1500, [&] {
    size_t total = 0;
    for (uint64_t off = 0; off < 64 * 1024; off += 64) {
      std::string s = w.repr(start + off);
      EXPECT_FALSE(s.empty());
      total += s.size();
      (void)w.r().attrs(start + off, 10);
    }
    EXPECT_GT(total, 0u);
  });
}

}  // namespace
}  // namespace pyhang::cpython

// ObjectReader's values: str (code points, UTF-8, cached), int (small ints, decimal rendering of
// any size, or the exact number of digits of a huge one) and float.
#include "cpython/object_reader.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include <fmt/format.h>

#include "cpython/object_reader_internal.h"

namespace pyhang::cpython {

namespace object_internal {

void appendUtf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp >= 0xD800 && cp <= 0xDFFF) {
    // A lone surrogate (surrogateescape file names) is not UTF-8: write it as Python does.
    out += fmt::format("\\u{:04x}", cp);
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp <= 0x10FFFF) {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out += "\xEF\xBF\xBD";
  }
}

}  // namespace object_internal

using object_internal::appendUtf8;

namespace {

// Decimal digits of a magnitude given as base-2^30 digits, least significant first.
std::string digitsToDecimal(std::vector<uint32_t> digits) {
  while (!digits.empty() && digits.back() == 0) digits.pop_back();
  if (digits.empty()) return "0";
  std::vector<uint32_t> chunks;  // base 10^9, least significant first
  while (!digits.empty()) {
    uint64_t rem = 0;
    for (size_t i = digits.size(); i-- > 0;) {
      uint64_t cur = (rem << 30) | digits[i];
      digits[i] = static_cast<uint32_t>(cur / 1000000000u);
      rem = cur % 1000000000u;
    }
    chunks.push_back(static_cast<uint32_t>(rem));
    while (!digits.empty() && digits.back() == 0) digits.pop_back();
  }
  std::string out = fmt::format("{}", chunks.back());
  for (size_t i = chunks.size() - 1; i-- > 0;) out += fmt::format("{:09d}", chunks[i]);
  return out;
}

// a * b for magnitudes in base 2^30, least significant digit first.
std::vector<uint32_t> multiplyDigits(const std::vector<uint32_t>& a, const std::vector<uint32_t>& b) {
  std::vector<uint64_t> acc(a.size() + b.size() + 1, 0);
  for (size_t i = 0; i < a.size(); ++i) {
    uint64_t carry = 0;
    for (size_t j = 0; j < b.size(); ++j) {
      uint64_t cur = acc[i + j] + uint64_t{a[i]} * b[j] + carry;
      acc[i + j] = cur & 0x3fffffffu;
      carry = cur >> 30;
    }
    for (size_t k = i + b.size(); carry; ++k) {
      uint64_t cur = acc[k] + carry;
      acc[k] = cur & 0x3fffffffu;
      carry = cur >> 30;
    }
  }
  std::vector<uint32_t> out(acc.begin(), acc.end());
  while (!out.empty() && out.back() == 0) out.pop_back();
  return out;
}

// 10^k in base 2^30, least significant digit first.
std::vector<uint32_t> powerOfTen(uint64_t k) {
  std::vector<uint32_t> result{1}, base{10};
  for (; k; k >>= 1) {
    if (k & 1) result = multiplyDigits(result, base);
    if (k > 1) base = multiplyDigits(base, base);
  }
  return result;
}

// -1, 0, 1 as a <, ==, > b (no leading zero digits).
int compareDigits(const std::vector<uint32_t>& a, const std::vector<uint32_t>& b) {
  if (a.size() != b.size()) return a.size() < b.size() ? -1 : 1;
  for (size_t i = a.size(); i-- > 0;) {
    if (a[i] != b[i]) return a[i] < b[i] ? -1 : 1;
  }
  return 0;
}

// The number of decimal digits of the magnitude whose base-2^30 digits (least significant
// first) are `digits`, preceded by `skipped` digits not given (only allowed when the estimate
// is unambiguous). log10 of the top three digits decides, unless the value is within 1e-9 of a
// power of ten: then it is compared with that power exactly (nullopt if digits were skipped).
std::optional<uint64_t> decimalDigitCount(std::vector<uint32_t> digits, size_t skipped) {
  while (!digits.empty() && digits.back() == 0) digits.pop_back();
  if (digits.empty()) return skipped ? std::nullopt : std::optional<uint64_t>{1};
  const size_t n = digits.size();
  const size_t top = std::min<size_t>(n, 3);
  long double head = 0;
  for (size_t i = n; i-- > n - top;) head = head * 1073741824.0L + digits[i];
  constexpr long double kLog10Of2 = 0.301029995663981195213738894724493027L;
  const long double log10 = std::log10(head) + static_cast<long double>(30 * (skipped + n - top)) * kLog10Of2;
  const long double nearest = std::nearbyint(log10);
  if (std::fabs(log10 - nearest) > 1e-9L) return static_cast<uint64_t>(std::floor(log10)) + 1;
  if (skipped) return std::nullopt;
  const auto k = static_cast<uint64_t>(nearest);
  return compareDigits(digits, powerOfTen(k)) >= 0 ? k + 1 : k;
}

}  // namespace

Result<std::u32string> ObjectReader::readCodePoints(uint64_t obj, size_t maxChars, bool* cut) const {
  if (obj == 0) return fail(ErrorKind::kImplausible, "NULL str");
  uint8_t hdr[40];
  if (auto r = mem_.read(obj, hdr, sizeof(hdr)); !r) return fail(r.error());
  int64_t length;
  uint32_t state;
  std::memcpy(&length, hdr + 16, 8);
  std::memcpy(&state, hdr + 32, 4);
  if (length < 0 || length > (int64_t{1} << 40)) return fail(ErrorKind::kImplausible, "bad str length", obj);
  unsigned kind = (state >> 2) & 7;
  bool compact = (state >> 5) & 1;
  bool ascii = (state >> 6) & 1;
  if (kind != 1 && kind != 2 && kind != 4) {
    return fail(ErrorKind::kImplausible, "str without a supported kind (legacy wstr string?)", obj);
  }
  uint64_t data;
  if (compact && ascii) {
    data = obj + static_cast<uint64_t>(o_.str_ascii_size);
  } else if (compact) {
    data = obj + static_cast<uint64_t>(o_.str_compact_size);
  } else {
    PYHANG_TRY(d, mem_.readPtr(obj + static_cast<uint64_t>(o_.str_legacy_data)));
    data = d;
  }
  size_t n = static_cast<size_t>(length);
  bool wasCut = n > maxChars;
  if (wasCut) n = maxChars;
  PYHANG_TRY(bytes, mem_.readBytes(data, n * kind));
  std::u32string out(n, U'\0');
  for (size_t i = 0; i < n; ++i) {
    uint32_t cp = 0;
    if (kind == 1) cp = bytes[i];
    else if (kind == 2) { uint16_t v; std::memcpy(&v, &bytes[2 * i], 2); cp = v; }
    else std::memcpy(&cp, &bytes[4 * i], 4);
    out[i] = static_cast<char32_t>(cp);
  }
  if (cut) *cut = wasCut;
  return out;
}

Result<std::string> ObjectReader::readStr(uint64_t obj, size_t maxChars, bool* cut) const {
  if (obj == 0) return fail(ErrorKind::kImplausible, "NULL str");
  bool useCache = maxChars >= 200;
  if (useCache) {
    auto it = strCache_.find(obj);
    // A string cached whole is reused unless this read wants fewer characters than it has.
    if (it != strCache_.end() && it->second.chars <= maxChars) {
      if (cut) *cut = false;
      return it->second.text;
    }
  }
  bool wasCut = false;
  PYHANG_TRY(cps, readCodePoints(obj, maxChars, &wasCut));
  std::string out;
  out.reserve(cps.size());
  for (char32_t cp : cps) appendUtf8(out, static_cast<uint32_t>(cp));
  if (cut) *cut = wasCut;
  if (useCache && !wasCut && strCache_.size() < (1u << 20)) strCache_[obj] = CachedStr{out, cps.size()};
  return out;
}

namespace {
struct LongHeader {
  bool negative = false;
  size_t ndigits = 0;
};
}  // namespace

static Result<LongHeader> readLongHeader(const RemoteMemory& mem, uint64_t obj, LongModel model) {
  PYHANG_TRY(word, mem.readValue<int64_t>(obj + 16));
  LongHeader h;
  if (model == LongModel::kTag) {
    uint64_t tag = static_cast<uint64_t>(word);
    h.ndigits = tag >> 3;
    unsigned sign = tag & 3;
    if (sign == 1) h.ndigits = 0;
    h.negative = sign == 2;
  } else {
    h.negative = word < 0;
    uint64_t magnitude = static_cast<uint64_t>(word);
    h.ndigits = static_cast<size_t>(word < 0 ? (~magnitude + 1) : magnitude);
  }
  if (h.ndigits > (size_t{1} << 24)) return fail(ErrorKind::kImplausible, "bad int size", obj);
  return h;
}

Result<int64_t> ObjectReader::readSmallInt(uint64_t obj) const {
  PYHANG_TRY(h, readLongHeader(mem_, obj, layout_.traits.longs));
  if (h.ndigits > 3) return fail(ErrorKind::kImplausible, "int too large", obj);
  uint32_t d[3] = {};
  if (h.ndigits) {
    if (auto r = mem_.read(obj + 24, d, 4 * h.ndigits); !r) return fail(r.error());
  }
  unsigned __int128 v = 0;
  for (size_t i = h.ndigits; i-- > 0;) v = (v << 30) | (d[i] & 0x3fffffffu);
  if (v > static_cast<unsigned __int128>(INT64_MAX)) return fail(ErrorKind::kImplausible, "int too large", obj);
  int64_t s = static_cast<int64_t>(v);
  return h.negative ? -s : s;
}

Result<std::string> ObjectReader::readIntDecimal(uint64_t obj) const {
  PYHANG_TRY(h, readLongHeader(mem_, obj, layout_.traits.longs));
  if (h.ndigits > limits_.maxIntDigits) {
    // Too big to render: the exact number of its decimal digits (and its sign) instead. Up to
    // kMaxExactDigits internal digits all of them are read; beyond, only the top three.
    constexpr size_t kMaxExactDigits = size_t{1} << 14;
    const size_t n = h.ndigits;
    const size_t readFrom = n <= kMaxExactDigits ? 0 : n - 3;
    std::vector<uint32_t> digits(n - readFrom);
    if (auto r = mem_.read(obj + 24 + 4 * readFrom, digits.data(), 4 * digits.size()); !r) return fail(r.error());
    for (auto& d : digits) d &= 0x3fffffffu;
    const char* sign = h.negative ? "-" : "";
    if (auto count = decimalDigitCount(digits, readFrom)) return fmt::format("{}<int with {} digits>", sign, *count);
    // More than kMaxExactDigits internal digits and within 1e-9 of a power of ten.
    return fmt::format("{}<int with about {} digits>", sign, static_cast<uint64_t>(
        std::nearbyint(static_cast<double>(30 * n) * 0.30102999566398120)));
  }
  const size_t n = h.ndigits;
  std::vector<uint32_t> digits(n);
  if (n) {
    if (auto r = mem_.read(obj + 24, digits.data(), 4 * n); !r) return fail(r.error());
  }
  for (auto& d : digits) d &= 0x3fffffffu;
  std::string s = digitsToDecimal(std::move(digits));
  return (h.negative && s != "0") ? "-" + s : s;
}

Result<double> ObjectReader::readFloat(uint64_t obj) const { return mem_.readValue<double>(obj + 16); }

}  // namespace pyhang::cpython

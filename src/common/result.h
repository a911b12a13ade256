// Error values for everything that reads untrusted target memory or files.
#pragma once

#include <cstdint>
#include <optional>
#include <variant>
#include <string>
#include <utility>

namespace pyhang {

enum class ErrorKind {
  kUnmapped,      // address not mapped in the target (or not present in the core)
  kShortRead,     // only part of the range could be read
  kPermission,    // the kernel refused access
  kProcessGone,   // the process exited while being read
  kImplausible,   // data was read but makes no sense (bad type, absurd count)
  kUnsupported,   // a version or build we cannot read
  kNotFound,      // a symbol, file or section is missing
  kIo,            // a local file could not be read
};

const char* errorKindName(ErrorKind kind);

struct Error {
  ErrorKind kind;
  std::string message;   // what was being read, innermost first
  uint64_t address = 0;  // the remote address involved, when there is one
  std::string hint;      // what the user can do, when the failure knows better than its kind

  Error withContext(const std::string& what) const {
    Error e = *this;
    e.message = what + ": " + message;
    return e;
  }
  std::string describe() const;
};

// The error side of a Result, convertible to any Result<T>.
struct Failure {
  Error error;
};

// A small std::expected stand-in (clang 14, used for the fuzzers, lacks <expected>).
template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}
  Result(Failure f) : v_(std::move(f.error)) {}
  bool has_value() const { return v_.index() == 0; }
  explicit operator bool() const { return has_value(); }
  T& operator*() { return std::get<0>(v_); }
  const T& operator*() const { return std::get<0>(v_); }
  T* operator->() { return &std::get<0>(v_); }
  const T* operator->() const { return &std::get<0>(v_); }
  T& value() { return std::get<0>(v_); }
  const T& value() const { return std::get<0>(v_); }
  T value_or(T fallback) const { return has_value() ? std::get<0>(v_) : std::move(fallback); }
  const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Failure f) : e_(std::move(f.error)) {}
  bool has_value() const { return !e_.has_value(); }
  explicit operator bool() const { return has_value(); }
  const Error& error() const { return *e_; }

 private:
  std::optional<Error> e_;
};

inline Failure fail(ErrorKind kind, std::string message, uint64_t address = 0) {
  return Failure{Error{kind, std::move(message), address}};
}
inline Failure fail(Error e) { return Failure{std::move(e)}; }

// Propagates an error from a Result expression, or binds its value.
#define PYHANG_TRY(var, expr)                          \
  auto var##_result_ = (expr);                         \
  if (!var##_result_) return ::pyhang::fail(var##_result_.error()); \
  auto var = std::move(*var##_result_)

}  // namespace pyhang

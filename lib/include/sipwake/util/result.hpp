#pragma once
// Result<T>: a value or a one-line error message, for anything that can fail at run time.

#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace sipwake {

/// An error: one human-readable line, no trailing newline.
struct Error {
  std::string message;
};

/// Builds an Error from a message.
inline Error fail(std::string message) { return Error{std::move(message)}; }

/// A value of T or an Error; check with ok() / operator bool before value().
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : m_v(std::in_place_index<0>, std::move(value)) {}
  Result(Error error) : m_v(std::in_place_index<1>, std::move(error)) {}

  bool ok() const { return m_v.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<0>(m_v); }
  const T& value() const& { return std::get<0>(m_v); }
  T&& value() && { return std::get<0>(std::move(m_v)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const { return std::get<1>(m_v); }
  const std::string& message() const { return error().message; }

 private:
  std::variant<T, Error> m_v;
};

/// Result of an operation without a value.
template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : m_error(std::move(error)) {}

  bool ok() const { return !m_error.has_value(); }
  explicit operator bool() const { return ok(); }
  const Error& error() const { return *m_error; }
  const std::string& message() const { return m_error->message; }

 private:
  std::optional<Error> m_error;
};

}  // namespace sipwake

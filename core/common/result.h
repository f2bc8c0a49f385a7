// SPDX-License-Identifier: MIT
#pragma once

#include <QString>

#include <optional>
#include <utility>
#include <variant>

namespace trackwatch::core {

// What went wrong, as a machine-readable code. Core never builds user-facing sentences from
// these; the message carries the technical detail (never a password).
enum class ErrorCode {
    InvalidArgument, // the caller passed something malformed (DSN, flag value, path)
    NotFound,
    ParseError,    // malformed input data (a message, an mbox, a body)
    DatabaseError, // the database refused or failed a statement
    Unavailable,   // the database or a file could not be reached/opened
    SchemaTooNew,  // the database was migrated by a newer binary
    Conflict,
};

struct Error {
    ErrorCode code = ErrorCode::InvalidArgument;
    QString message;
};

// A value or an error, in the manner of LevelDB's Status. Cheap to move; not thread-safe.
template <typename T> class [[nodiscard]] Result {
public:
    Result(T value)
        : m_data(std::move(value)) {}
    Result(Error error)
        : m_data(std::move(error)) {}

    static Result failure(ErrorCode code, QString message) {
        return Result(Error{code, std::move(message)});
    }

    bool ok() const { return std::holds_alternative<T>(m_data); }
    explicit operator bool() const { return ok(); }

    const T& value() const& { return std::get<T>(m_data); }
    T& value() & { return std::get<T>(m_data); }
    // By value: `for (auto& x : f().value())` must not refer into a destroyed temporary.
    T value() && { return std::get<T>(std::move(m_data)); }
    const T& operator*() const& { return value(); }
    const T* operator->() const { return &value(); }
    T* operator->() { return &value(); }

    const Error& error() const { return std::get<Error>(m_data); }

private:
    std::variant<T, Error> m_data;
};

// Result for operations that return nothing on success.
class [[nodiscard]] Status {
public:
    Status() = default;
    Status(Error error)
        : m_error(std::move(error)) {}
    static Status failure(ErrorCode code, QString message) {
        return Status(Error{code, std::move(message)});
    }
    template <typename T> static Status from(const Result<T>& result) {
        return result.ok() ? Status() : Status(result.error());
    }

    bool ok() const { return !m_error.has_value(); }
    explicit operator bool() const { return ok(); }
    const Error& error() const { return *m_error; }

private:
    std::optional<Error> m_error;
};

} // namespace trackwatch::core

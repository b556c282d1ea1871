// Result<T> and Status: error handling for every library boundary, shaped like std::expected
// (g++ 12 has no <expected>). An Error carries a code, a human message and where it happened.
// Check macros turn failed calls (SQLite, CUDA, POSIX) into errors; LWB_TRY propagates them.
#pragma once

#include <cassert>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>

namespace lwb {

/// What kind of failure happened; stable across releases (stored in study files and JSON).
enum class ErrorCode {
    InvalidArgument, ///< a value out of range, a malformed spec, an unknown name
    NotFound, ///< a file, study, trial or name that does not exist
    Io, ///< a read/write/syscall failed (disk full, permission)
    Corrupt, ///< a file exists but its contents are damaged or truncated
    NotAStudyFile, ///< an SQLite (or other) file that is not a Lepton Workbench study
    VersionTooNew, ///< written by a newer version of the workbench
    Sqlite, ///< any other SQLite failure
    Cuda, ///< a CUDA runtime/driver/library call failed
    Unavailable, ///< a capability is missing here (no GPU, no driver, no CPU feature)
    Unsupported, ///< a combination the component does not implement (e.g. a precision)
    OutOfMemory, ///< a device memory budget or allocation was exceeded
    NumericalError, ///< NaN/Inf, a failed factorisation
    Cancelled, ///< stopped on request
    Timeout, ///< ran past its time limit
    Internal, ///< a bug: an invariant did not hold
};

/// Stable lower-case name of an error code ("invalid_argument", "out_of_memory", ...).
std::string_view errorCodeName(ErrorCode code);

/// A failure: code, message for humans, and the source location that detected it.
struct Error {
    ErrorCode code = ErrorCode::Internal;
    std::string message;
    std::string where;

    /// "message (code at where)" for logs and CLI output.
    std::string describe() const;
};

/// Wrapper that marks an Error as the unexpected branch, like std::unexpected.
struct Unexpected {
    Error error;
};

/// Builds an Unexpected from its parts; `where` defaults to the caller's LWB_WHERE.
inline Unexpected fail(ErrorCode code, std::string message, std::string where = {})
{
    return Unexpected {Error {code, std::move(message), std::move(where)}};
}
inline Unexpected fail(Error error) { return Unexpected {std::move(error)}; }

/// Value or error. `has_value()`, `value()`, `error()`, `*`, `->` as in std::expected.
template <typename T>
class [[nodiscard]] Result {
public:
    using value_type = T;

    Result(const T& value) : m_data(std::in_place_index<0>, value) { }
    Result(T&& value) : m_data(std::in_place_index<0>, std::move(value)) { }
    template <typename U>
        requires(std::is_constructible_v<T, U&&> && !std::is_same_v<std::remove_cvref_t<U>, T>
                 && !std::is_same_v<std::remove_cvref_t<U>, Unexpected> && !std::is_same_v<std::remove_cvref_t<U>, Result>)
    Result(U&& value) : m_data(std::in_place_index<0>, std::forward<U>(value))
    {
    }
    Result(Unexpected unexpected) : m_data(std::in_place_index<1>, std::move(unexpected.error)) { }

    bool has_value() const { return m_data.index() == 0; }
    explicit operator bool() const { return has_value(); }

    T& value() &
    {
        assert(has_value());
        return std::get<0>(m_data);
    }
    const T& value() const&
    {
        assert(has_value());
        return std::get<0>(m_data);
    }
    T&& value() &&
    {
        assert(has_value());
        return std::get<0>(std::move(m_data));
    }
    template <typename U>
    T value_or(U&& fallback) const&
    {
        return has_value() ? std::get<0>(m_data) : static_cast<T>(std::forward<U>(fallback));
    }

    const Error& error() const&
    {
        assert(!has_value());
        return std::get<1>(m_data);
    }
    Error&& error() &&
    {
        assert(!has_value());
        return std::get<1>(std::move(m_data));
    }

    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }
    T&& operator*() && { return std::move(*this).value(); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }

private:
    std::variant<T, Error> m_data;
};

/// Success or error, like std::expected<void, Error>.
class [[nodiscard]] Status {
public:
    Status() = default;
    Status(Unexpected unexpected) : m_error(std::move(unexpected.error)), m_failed(true) { }

    static Status ok() { return {}; }
    bool has_value() const { return !m_failed; }
    bool isOk() const { return !m_failed; }
    explicit operator bool() const { return !m_failed; }
    const Error& error() const&
    {
        assert(m_failed);
        return m_error;
    }
    Error&& error() &&
    {
        assert(m_failed);
        return std::move(m_error);
    }

private:
    Error m_error;
    bool m_failed = false;
};

namespace detail {
    inline Error&& takeError(Status&& s) { return std::move(s).error(); }
    template <typename T>
    Error&& takeError(Result<T>&& r)
    {
        return std::move(r).error();
    }
    inline void discardValue(Status&&) { }
    template <typename T>
    T discardValue(Result<T>&& r)
    {
        return std::move(r).value();
    }
} // namespace detail

} // namespace lwb

#define LWB_STRINGIFY_DETAIL(x) #x
#define LWB_STRINGIFY(x) LWB_STRINGIFY_DETAIL(x)
/// "file.cpp:123" of the expansion site, for Error::where.
#define LWB_WHERE (std::string(__FILE__).substr(std::string(__FILE__).find_last_of('/') + 1) + ":" LWB_STRINGIFY(__LINE__))

/// Returns the error of a Status/Result expression from the enclosing function.
#define LWB_RETURN_IF_ERROR(expr)                                                                                      \
    do {                                                                                                               \
        auto lwbStatus_ = (expr);                                                                                      \
        if (!lwbStatus_.has_value())                                                                                   \
            return ::lwb::Unexpected {::lwb::detail::takeError(std::move(lwbStatus_))};                               \
    } while (0)

#define LWB_CONCAT_DETAIL(a, b) a##b
#define LWB_CONCAT(a, b) LWB_CONCAT_DETAIL(a, b)
/// `LWB_ASSIGN_OR_RETURN(auto x, makeX());` declares x from a Result or returns its error.
#define LWB_ASSIGN_OR_RETURN(lhs, expr) LWB_ASSIGN_OR_RETURN_IMPL(LWB_CONCAT(lwbResult_, __LINE__), lhs, expr)
#define LWB_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr)                                                                      \
    auto tmp = (expr);                                                                                                 \
    if (!tmp.has_value())                                                                                              \
        return ::lwb::Unexpected {std::move(tmp).error()};                                                            \
    lhs = std::move(tmp).value()

/// Fails with ErrorCode::Io and errno's text when a POSIX call returns a negative value.
#define LWB_CHECK_SYS(expr)                                                                                            \
    do {                                                                                                               \
        if ((expr) < 0)                                                                                                \
            return ::lwb::fail(::lwb::ErrorCode::Io, std::string(#expr) + ": " + ::lwb::detail::errnoText(), LWB_WHERE); \
    } while (0)

/// Fails with ErrorCode::Cuda when a CUDA runtime call does not return cudaSuccess. Expand only in
/// files that include the CUDA runtime header (no public header does).
#define LWB_CHECK_CUDA(expr)                                                                                           \
    do {                                                                                                               \
        auto lwbCudaErr_ = (expr);                                                                                     \
        if (lwbCudaErr_ != 0)                                                                                          \
            return ::lwb::fail(::lwb::ErrorCode::Cuda,                                                                 \
                std::string(#expr) + ": " + cudaGetErrorName(lwbCudaErr_) + " (" + cudaGetErrorString(lwbCudaErr_)    \
                    + ")",                                                                                             \
                LWB_WHERE);                                                                                            \
    } while (0)

namespace lwb::detail {
/// strerror(errno) in a thread-safe way.
std::string errnoText();
} // namespace lwb::detail

// Names and descriptions of error codes (see result.h).
#include "lwb/core/result.h"

#include <cerrno>
#include <cstring>

namespace lwb {

std::string_view errorCodeName(ErrorCode code)
{
    switch (code) {
    case ErrorCode::InvalidArgument: return "invalid_argument";
    case ErrorCode::NotFound: return "not_found";
    case ErrorCode::Io: return "io";
    case ErrorCode::Corrupt: return "corrupt";
    case ErrorCode::NotAStudyFile: return "not_a_study_file";
    case ErrorCode::VersionTooNew: return "version_too_new";
    case ErrorCode::Sqlite: return "sqlite";
    case ErrorCode::Cuda: return "cuda";
    case ErrorCode::Unavailable: return "unavailable";
    case ErrorCode::Unsupported: return "unsupported";
    case ErrorCode::OutOfMemory: return "out_of_memory";
    case ErrorCode::NumericalError: return "numerical_error";
    case ErrorCode::Cancelled: return "cancelled";
    case ErrorCode::Timeout: return "timeout";
    case ErrorCode::Internal: return "internal";
    }
    return "unknown";
}

std::string Error::describe() const
{
    std::string out = message;
    out += " (";
    out += errorCodeName(code);
    if (!where.empty()) {
        out += " at ";
        out += where;
    }
    out += ")";
    return out;
}

namespace detail {
    std::string errnoText()
    {
        int err = errno;
        char buf[256];
        // GNU strerror_r returns a char* that may or may not point into buf.
        const char* text = strerror_r(err, buf, sizeof buf);
        return std::string(text) + " (errno " + std::to_string(err) + ")";
    }
} // namespace detail

} // namespace lwb

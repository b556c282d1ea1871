// Runs an external program as a child process without a shell (argv is passed to execvp as is,
// so placeholders substituted into it can never inject shell syntax), with a timeout,
// cancellation, environment additions and a working directory; stdout and stderr are captured.
#pragma once

#include "lwb/core/result.h"

#include <functional>
#include <map>
#include <string>
#include <vector>

namespace lwb {

struct SubprocessOptions {
    std::map<std::string, std::string> environment; ///< added to (or replacing in) the parent's environment
    std::string workingDirectory; ///< empty: the parent's
    double timeoutSeconds = 0; ///< 0: no timeout
    /// Polled every ~50 ms; returning true kills the child (its process group).
    std::function<bool()> cancelled;
    /// Called with each complete stdout line as it arrives (optional).
    std::function<void(const std::string&)> onStdoutLine;
};

struct SubprocessResult {
    int exitCode = -1; ///< exit status when the program exited normally
    int signal = 0; ///< terminating signal, 0 when it exited normally
    bool timedOut = false;
    bool cancelled = false;
    std::string out;
    std::string err;
    double seconds = 0;

    bool succeeded() const { return signal == 0 && exitCode == 0 && !timedOut && !cancelled; }
    /// "exited with code 3", "killed by SIGSEGV", "timed out after 10 s", ...
    std::string describe() const;
};

/// Runs argv[0] (looked up in PATH when it has no '/'). Fails only when the process cannot be
/// started (program not found, not executable, fork failure); a crash, non-zero exit or timeout is
/// reported in the result.
Result<SubprocessResult> runSubprocess(const std::vector<std::string>& argv, const SubprocessOptions& options = {});

} // namespace lwb

// Exit codes of every `lwb` command (documented in the README and docs/cli.md).
#pragma once

namespace lwb::workbench {

enum class ExitCode : int {
    Ok = 0,
    CheckFailed = 1, ///< a regression or a failed check
    Interrupted = 2, ///< Ctrl-C / SIGTERM; everything so far is kept
    InternalError = 3,
    UsageError = 4, ///< bad flags, malformed spec or profile
    NothingFeasible = 5, ///< no trial succeeded or met the constraints
    Inconclusive = 6, ///< measurements too noisy to decide
    EnvironmentMismatch = 7, ///< the hardware/software fingerprint differs from the profile's
};

inline int toInt(ExitCode code)
{
    return static_cast<int>(code);
}

} // namespace lwb::workbench

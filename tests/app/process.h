// Runs an executable as a child process (no shell), capturing stdout/stderr and the exit code.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace lwb::test {

struct ProcessResult {
    int exitCode = -1; ///< exit status, or 128 + signal when killed
    std::string out;
    std::string err;
};

/// Runs argv[0] with the arguments; `env` entries are added to the current environment.
ProcessResult runProcess(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env = {},
    int timeoutSeconds = 120);

} // namespace lwb::test

// Child-process runner (see subprocess.h): fork + execvp in its own process group, pipes drained
// with poll, a CLOEXEC status pipe to tell "could not exec" from "ran and failed".
#include "lwb/core/subprocess.h"

#include "lwb/core/clock.h"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

namespace lwb {

std::string SubprocessResult::describe() const
{
    if (timedOut)
        return "timed out after " + std::to_string(static_cast<long long>(seconds)) + " s and was killed";
    if (cancelled)
        return "was cancelled and killed";
    if (signal != 0) {
        const char* name = sigabbrev_np(signal);
        return std::string("was killed by SIG") + (name ? name : std::to_string(signal).c_str());
    }
    return "exited with code " + std::to_string(exitCode);
}

Result<SubprocessResult> runSubprocess(const std::vector<std::string>& argv, const SubprocessOptions& options)
{
    if (argv.empty() || argv[0].empty())
        return fail(ErrorCode::InvalidArgument, "no program to run", LWB_WHERE);
    int outPipe[2], errPipe[2], statusPipe[2];
    if (pipe2(outPipe, O_CLOEXEC) != 0 || pipe2(errPipe, O_CLOEXEC) != 0 || pipe2(statusPipe, O_CLOEXEC) != 0)
        return fail(ErrorCode::Io, "pipe: " + detail::errnoText(), LWB_WHERE);

    std::vector<char*> args;
    for (const auto& a : argv)
        args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);

    Stopwatch clock;
    pid_t pid = fork();
    if (pid < 0)
        return fail(ErrorCode::Io, "fork: " + detail::errnoText(), LWB_WHERE);
    if (pid == 0) {
        setpgid(0, 0);
        dup2(outPipe[1], STDOUT_FILENO);
        dup2(errPipe[1], STDERR_FILENO);
        int devNull = open("/dev/null", O_RDONLY);
        if (devNull >= 0)
            dup2(devNull, STDIN_FILENO);
        for (const auto& [k, v] : options.environment)
            setenv(k.c_str(), v.c_str(), 1);
        if (!options.workingDirectory.empty() && chdir(options.workingDirectory.c_str()) != 0) {
            int err = errno;
            (void)!write(statusPipe[1], &err, sizeof err);
            _exit(127);
        }
        execvp(args[0], args.data());
        int err = errno;
        (void)!write(statusPipe[1], &err, sizeof err);
        _exit(127);
    }
    close(outPipe[1]);
    close(errPipe[1]);
    close(statusPipe[1]);
    int execErrno = 0;
    ssize_t got = read(statusPipe[0], &execErrno, sizeof execErrno);
    close(statusPipe[0]);
    if (got == static_cast<ssize_t>(sizeof execErrno)) {
        waitpid(pid, nullptr, 0);
        close(outPipe[0]);
        close(errPipe[0]);
        std::string what = !options.workingDirectory.empty() && execErrno == ENOENT
            ? "cannot start " + argv[0] + " (in " + options.workingDirectory + ")"
            : "cannot start " + argv[0];
        return fail(execErrno == ENOENT ? ErrorCode::NotFound : ErrorCode::Io, what + ": " + std::strerror(execErrno),
            LWB_WHERE);
    }

    SubprocessResult result;
    pollfd fds[2] = {{outPipe[0], POLLIN, 0}, {errPipe[0], POLLIN, 0}};
    std::string* sinks[2] = {&result.out, &result.err};
    std::size_t lineStart = 0;
    int open = 2;
    bool killed = false;
    while (open > 0) {
        int n = poll(fds, 2, 50);
        if (!killed) {
            if (options.timeoutSeconds > 0 && clock.elapsedSeconds() > options.timeoutSeconds) {
                result.timedOut = true;
                kill(-pid, SIGKILL);
                killed = true;
            } else if (options.cancelled && options.cancelled()) {
                result.cancelled = true;
                kill(-pid, SIGKILL);
                killed = true;
            }
        }
        if (n <= 0)
            continue;
        for (int i = 0; i < 2; ++i) {
            if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            char buf[65536];
            ssize_t r = read(fds[i].fd, buf, sizeof buf);
            if (r > 0) {
                sinks[i]->append(buf, static_cast<std::size_t>(r));
                if (i == 0 && options.onStdoutLine) {
                    std::size_t nl;
                    while ((nl = result.out.find('\n', lineStart)) != std::string::npos) {
                        options.onStdoutLine(result.out.substr(lineStart, nl - lineStart));
                        lineStart = nl + 1;
                    }
                }
            } else if (r == 0 || (errno != EINTR && errno != EAGAIN)) {
                close(fds[i].fd);
                fds[i].fd = -1;
                --open;
            }
        }
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) { }
    if (WIFEXITED(status))
        result.exitCode = WEXITSTATUS(status);
    else if (WIFSIGNALED(status))
        result.signal = WTERMSIG(status);
    if (options.onStdoutLine && lineStart < result.out.size())
        options.onStdoutLine(result.out.substr(lineStart));
    result.seconds = clock.elapsedSeconds();
    return result;
}

} // namespace lwb

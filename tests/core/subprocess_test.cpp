// Subprocess runner: output capture, exit codes, signals, timeouts, cancellation, missing
// programs, and that arguments are never interpreted by a shell.
#include "lwb/core/subprocess.h"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>

using namespace lwb;

TEST(Subprocess, CapturesOutputAndExitCode)
{
    auto r = runSubprocess({"sh", "-c", "echo out; echo err >&2; exit 3"});
    ASSERT_TRUE(r) << r.error().describe();
    EXPECT_EQ(r->exitCode, 3);
    EXPECT_EQ(r->out, "out\n");
    EXPECT_EQ(r->err, "err\n");
    EXPECT_FALSE(r->succeeded());
    EXPECT_EQ(r->describe(), "exited with code 3");
}

TEST(Subprocess, ArgumentsAreNotShellInterpreted)
{
    const auto marker = std::filesystem::temp_directory_path() / "lwb-injected-marker";
    std::filesystem::remove(marker);
    std::string evil = "x; touch " + marker.string() + "; echo $(id)";
    auto r = runSubprocess({"printf", "%s", evil});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->out, evil);
    EXPECT_FALSE(std::filesystem::exists(marker));
}

TEST(Subprocess, CrashIsReportedBySignal)
{
    auto r = runSubprocess({"sh", "-c", "kill -SEGV $$"});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->signal, SIGSEGV);
    EXPECT_EQ(r->describe(), "was killed by SIGSEGV");
}

TEST(Subprocess, TimeoutKillsTheProcessGroup)
{
    SubprocessOptions o;
    o.timeoutSeconds = 0.3;
    auto r = runSubprocess({"sh", "-c", "sleep 30 & sleep 30"}, o);
    ASSERT_TRUE(r);
    EXPECT_TRUE(r->timedOut);
    EXPECT_LT(r->seconds, 5.0);
}

TEST(Subprocess, CancellationKills)
{
    std::atomic<int> polls {0};
    SubprocessOptions o;
    o.cancelled = [&] { return ++polls > 3; };
    auto r = runSubprocess({"sleep", "30"}, o);
    ASSERT_TRUE(r);
    EXPECT_TRUE(r->cancelled);
}

TEST(Subprocess, MissingProgramIsNotFound)
{
    auto r = runSubprocess({"/no/such/program-xyz"});
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::NotFound);
    EXPECT_NE(r.error().message.find("program-xyz"), std::string::npos);
}

TEST(Subprocess, EnvironmentWorkingDirectoryAndLines)
{
    SubprocessOptions o;
    o.environment["LWB_TEST_VALUE"] = "42";
    o.workingDirectory = "/tmp";
    std::vector<std::string> lines;
    o.onStdoutLine = [&](const std::string& l) { lines.push_back(l); };
    auto r = runSubprocess({"sh", "-c", "echo $LWB_TEST_VALUE; pwd; printf tail"}, o);
    ASSERT_TRUE(r);
    ASSERT_EQ(lines.size(), 3u);
    EXPECT_EQ(lines[0], "42");
    EXPECT_EQ(lines[1], "/tmp");
    EXPECT_EQ(lines[2], "tail");
}

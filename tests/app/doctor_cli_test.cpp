// The walking skeleton through real processes: `lwb --version/--help/doctor`, usage errors, and
// the GUI executable starting offscreen.
#include "lwb/core/hardware.h"
#include "lwb/core/json_yaml.h"
#include "lwb/core/subprocess.h"

#include <gtest/gtest.h>

namespace {
struct Run {
    int exitCode = -1;
    std::string out, err;
};
Run runProcess(
    const std::vector<std::string>& argv, const std::map<std::string, std::string>& env = {}, double timeout = 120)
{
    lwb::SubprocessOptions options;
    options.environment = env;
    options.timeoutSeconds = timeout;
    auto r = lwb::runSubprocess(argv, options);
    if (!r)
        return {-1, "", r.error().describe()};
    return {r->signal ? 128 + r->signal : r->exitCode, r->out, r->err};
}
} // namespace

TEST(LwbCli, VersionAndHelp)
{
    auto version = runProcess({LWB_CLI_PATH, "--version"});
    EXPECT_EQ(version.exitCode, 0);
    EXPECT_NE(version.out.find("lwb 0."), std::string::npos) << version.out;

    auto help = runProcess({LWB_CLI_PATH, "--help"});
    EXPECT_EQ(help.exitCode, 0);
    EXPECT_NE(help.out.find("doctor"), std::string::npos) << help.out;
    EXPECT_NE(help.out.find("Exit codes"), std::string::npos);
}

TEST(LwbCli, UsageErrorsExitWith4)
{
    auto bad = runProcess({LWB_CLI_PATH, "doctor", "--format", "xml"});
    EXPECT_EQ(bad.exitCode, 4) << bad.err;
    auto unknown = runProcess({LWB_CLI_PATH, "--no-such-flag"});
    EXPECT_EQ(unknown.exitCode, 4) << unknown.err;
}

TEST(LwbCli, DoctorJsonDescribesThisMachine)
{
    auto r = runProcess({LWB_CLI_PATH, "doctor", "--format", "json"});
    ASSERT_EQ(r.exitCode, 0) << r.err;
    auto json = lwb::parseJson(r.out, "doctor output");
    ASSERT_TRUE(json) << json.error().describe() << "\n" << r.out;
    const auto& fp = (*json)["fingerprint"];
    lwb::CpuInfo cpu = lwb::detectCpu();
    EXPECT_EQ(fp["cpu"]["model"], cpu.model);
    EXPECT_EQ(fp["cpu"]["features"].get<std::vector<std::string>>(), cpu.features);
    EXPECT_FALSE(fp["libraries"]["onednn"].get<std::string>().empty());

    bool cpuUsable = false;
    for (const auto& b : (*json)["backends"])
        if (b["name"] == "cpu")
            cpuUsable = b["usable"].get<bool>();
    EXPECT_TRUE(cpuUsable);

    auto gpus = lwb::makeDriverCudaProbe()->probe();
    if (gpus.gpus.empty()) {
        std::string reason = fp["cuda"]["unavailable_reason"];
        EXPECT_FALSE(reason.empty());
        for (const auto& s : (*json)["capture_sources"]) {
            if (s["name"] == "cupti") {
                EXPECT_FALSE(s["usable"].get<bool>());
            }
        }
    }
}

TEST(LwbCli, DoctorTextIsReadable)
{
    auto r = runProcess({LWB_CLI_PATH, "doctor"});
    ASSERT_EQ(r.exitCode, 0) << r.err;
    EXPECT_NE(r.out.find("CPU "), std::string::npos);
    EXPECT_NE(r.out.find("Backends"), std::string::npos);
    EXPECT_NE(r.out.find("Capture sources"), std::string::npos);
}

TEST(LeptonWorkbenchGui, StartsOffscreenAndExitsCleanly)
{
    std::string gui = LWB_GUI_PATH;
    if (gui.empty())
        GTEST_SKIP() << "built with LWB_BUILD_UI=OFF";
    auto r = runProcess({gui, "--smoke-test"}, {{"QT_QPA_PLATFORM", "offscreen"}}, 60);
    EXPECT_EQ(r.exitCode, 0) << r.err;
}

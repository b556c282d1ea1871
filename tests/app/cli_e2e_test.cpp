// End-to-end tests through the real `lwb` executable on small external-command workloads: tune →
// export-profile → check (passing, then failing when the environment is made slower), --resume
// after SIGKILL, Ctrl-C, and malformed inputs giving exit 4 with a message naming the problem.
#include "lwb/core/json_yaml.h"
#include "lwb/core/subprocess.h"

#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <fmt/core.h>
#include <fstream>
#include <sched.h>
#include <set>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace {

struct Run {
    int exitCode = -1;
    std::string out, err;
};

Run runLwb(std::vector<std::string> args, const std::map<std::string, std::string>& env = {},
    const std::filesystem::path& cwd = {})
{
    args.insert(args.begin(), LWB_CLI_PATH);
    lwb::SubprocessOptions o;
    o.environment = env;
    o.timeoutSeconds = 300;
    o.workingDirectory = cwd.string();
    auto r = lwb::runSubprocess(args, o);
    if (!r)
        return {-1, "", r.error().describe()};
    return {r->signal ? 128 + r->signal : r->exitCode, r->out, r->err};
}

/// CPU cores left idle by everything else on the machine, sampled from /proc/stat over `seconds`.
double idleCores(double seconds)
{
    auto sample = [] {
        std::ifstream in("/proc/stat");
        std::string cpu;
        long long v[8] = {};
        in >> cpu >> v[0] >> v[1] >> v[2] >> v[3] >> v[4] >> v[5] >> v[6] >> v[7];
        long long total = 0;
        for (long long x : v)
            total += x;
        return std::pair<long long, long long> {v[3] + v[4], total}; // idle + iowait
    };
    auto [idle0, total0] = sample();
    std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
    auto [idle1, total1] = sample();
    if (total1 <= total0)
        return 0;
    return static_cast<double>(idle1 - idle0) / static_cast<double>(total1 - total0)
        * static_cast<double>(sysconf(_SC_NPROCESSORS_ONLN));
}

/// A process busy-looping on one CPU core until destroyed (a noisy neighbour).
class BusyNeighbour {
public:
    explicit BusyNeighbour(int core)
    {
        m_pid = ::fork();
        if (m_pid == 0) {
            cpu_set_t set;
            CPU_ZERO(&set);
            CPU_SET(core, &set);
            ::sched_setaffinity(0, sizeof set, &set);
            volatile unsigned long spin = 0;
            for (;;)
                spin = spin + 1u;
        }
    }
    ~BusyNeighbour()
    {
        if (m_pid > 0) {
            ::kill(m_pid, SIGKILL);
            ::waitpid(m_pid, nullptr, 0);
        }
    }
    BusyNeighbour(const BusyNeighbour&) = delete;
    BusyNeighbour& operator=(const BusyNeighbour&) = delete;
    bool running() const { return m_pid > 0; }

private:
    pid_t m_pid = -1;
};

class CliE2e : public ::testing::Test {
protected:
    void SetUp() override
    {
        const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
        m_dir = std::filesystem::temp_directory_path() / fmt::format("lwb-e2e-{}-{}", info->name(), ::getpid());
        std::filesystem::remove_all(m_dir);
        std::filesystem::create_directories(m_dir);
    }
    void TearDown() override { std::filesystem::remove_all(m_dir); }

    /// A study whose program gets slower when LWB_TEST_SLOWDOWN is set (the "environment").
    std::filesystem::path writeSpec(int trials, double sleepSeconds = 0)
    {
        std::string script = fmt::format(
            "sleep {}; b=$1; base=$((2000 - (b-16)*(b-16))); awk -v b=$base -v s=${{LWB_TEST_SLOWDOWN:-1}} "
            "'BEGIN {{ srand(); for (i = 0; i < 8; i++) printf \"{{\\\"tokens_per_s\\\": %.2f}}\\n\", b / s * (1 + "
            "0.004 * (rand() - 0.5)) }}'",
            sleepSeconds);
        std::string yaml = fmt::format(R"YAML(name: e2e
workload: command
search_space:
  batch_size: [2, 4, 8, 16, 32]
objectives: [tokens_per_s:max]
budget: {{trials: {}}}
sampler: random
seed: 1
measurement: {{warmup: 1, min_samples: 5, max_samples: 5, max_noise: 0.2}}
storage: {}
command:
  argv: [sh, -c, {}, sh, "{{batch_size}}"]
  timeout: 30s
)YAML",
            trials, (m_dir / "e2e.lwb").string(), Json(script).dump());
        auto path = m_dir / "study.yaml";
        EXPECT_TRUE(lwb::writeFileAtomic(path, yaml));
        return path;
    }

    using Json = lwb::Json;
    std::filesystem::path m_dir;
};

} // namespace

TEST_F(CliE2e, TuneExportCheckPassesThenFailsWhenSlower)
{
    auto spec = writeSpec(6);
    auto tune = runLwb({"tune", spec.string()});
    ASSERT_EQ(tune.exitCode, 0) << tune.out << tune.err;
    EXPECT_NE(tune.out.find("best trial"), std::string::npos) << tune.out;
    EXPECT_NE(tune.out.find("e2e.lwb"), std::string::npos) << tune.out;

    auto best = runLwb({"best", (m_dir / "e2e.lwb").string(), "--format", "json"});
    ASSERT_EQ(best.exitCode, 0) << best.err;
    auto bestJson = lwb::parseJson(best.out);
    ASSERT_TRUE(bestJson) << best.out;
    // The tuner found something better than the defaults (batch_size 2, trial 0).
    EXPECT_NE((*bestJson)[0]["params"]["batch_size"], 2);

    auto profile = m_dir / "tuned.json";
    auto exp = runLwb({"export-profile", (m_dir / "e2e.lwb").string(), "-o", profile.string()});
    ASSERT_EQ(exp.exitCode, 0) << exp.err;

    auto same = runLwb({"check", profile.string(), "--junit", (m_dir / "same.xml").string()});
    EXPECT_EQ(same.exitCode, 0) << same.out << same.err;

    auto slower = runLwb({"check", profile.string(), "--fail-on", "tokens_per_s:-3%", "--junit",
                             (m_dir / "slow.xml").string(), "--json", (m_dir / "slow.json").string()},
        {{"LWB_TEST_SLOWDOWN", "1.25"}});
    EXPECT_EQ(slower.exitCode, 1) << slower.out << slower.err;
    auto junit = lwb::readTextFile(m_dir / "slow.xml");
    ASSERT_TRUE(junit);
    EXPECT_NE(junit->find("<failure message=\"tokens_per_s regressed"), std::string::npos) << *junit;
    auto verdict = lwb::readJsonFile(m_dir / "slow.json");
    ASSERT_TRUE(verdict);
    EXPECT_EQ((*verdict)["metrics"][0]["verdict"], "SLOWER");
}

TEST_F(CliE2e, ResumeAfterSigkillLosesNoCompletedTrial)
{
    auto spec = writeSpec(8, 0.8);
    // Killed mid-study (SIGKILL: no chance to clean up).
    lwb::SubprocessOptions o;
    o.timeoutSeconds = 300;
    auto killed = lwb::runSubprocess({"timeout", "-s", "KILL", "3", LWB_CLI_PATH, "tune", spec.string()}, o);
    ASSERT_TRUE(killed);
    // timeout(1) signals its whole process group, itself included.
    ASSERT_TRUE(killed->signal == SIGKILL || killed->exitCode == 137)
        << killed->describe() << killed->out << killed->err;
    auto before = runLwb({"trials", (m_dir / "e2e.lwb").string(), "--format", "json"});
    ASSERT_EQ(before.exitCode, 0) << before.err;
    auto beforeJson = *lwb::parseJson(before.out);
    std::map<int, double> completed;
    for (const auto& t : beforeJson)
        if (t["state"] == "COMPLETE")
            completed[t["number"].get<int>()] = t["values"][0].get<double>();
    ASSERT_GE(completed.size(), 1u) << before.out;

    auto resumed = runLwb({"tune", spec.string(), "--resume"});
    ASSERT_EQ(resumed.exitCode, 0) << resumed.out << resumed.err;
    auto after = *lwb::parseJson(runLwb({"trials", (m_dir / "e2e.lwb").string(), "--format", "json"}).out);
    int finished = 0;
    for (const auto& t : after) {
        int n = t["number"].get<int>();
        if (completed.count(n)) {
            EXPECT_EQ(t["state"], "COMPLETE");
            EXPECT_DOUBLE_EQ(t["values"][0].get<double>(), completed[n]);
        }
        if (t["state"] == "COMPLETE"
            || (t["state"] == "FAILED" && t.value("fail_reason", "").rfind("interrupted", 0) != 0))
            ++finished;
    }
    EXPECT_EQ(finished, 8);
}

TEST_F(CliE2e, CtrlCExitsWith2AndKeepsTrials)
{
    auto spec = writeSpec(50, 0.3);
    lwb::SubprocessOptions o;
    o.timeoutSeconds = 300;
    auto r = lwb::runSubprocess(
        {"timeout", "--preserve-status", "-s", "INT", "2.5", LWB_CLI_PATH, "tune", spec.string()}, o);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->exitCode, 2) << r->out << r->err;
    EXPECT_NE(r->out.find("--resume"), std::string::npos) << r->out;
    auto trials = runLwb({"trials", (m_dir / "e2e.lwb").string(), "--format", "json"});
    ASSERT_EQ(trials.exitCode, 0);
    auto json = *lwb::parseJson(trials.out);
    ASSERT_FALSE(json.empty());
    for (const auto& t : json)
        EXPECT_NE(t["state"], "RUNNING") << "a trial was left running after Ctrl-C";
}

TEST_F(CliE2e, MalformedInputsExitWith4AndNameTheProblem)
{
    auto write = [&](const std::string& name, const std::string& text) {
        auto p = m_dir / name;
        EXPECT_TRUE(lwb::writeFileAtomic(p, text));
        return p.string();
    };
    auto truncated = runLwb({"tune", write("t.yaml", "name: x\nworkload: [command\n")});
    EXPECT_EQ(truncated.exitCode, 4);
    EXPECT_NE(truncated.err.find("t.yaml:"), std::string::npos) << truncated.err;

    auto wrongType = runLwb({"tune",
        write("w.yaml",
            "name: x\nworkload: command\nobjectives: [a:max]\nbudget: {trials: lots}\n"
            "command: {argv: [true]}\n")});
    EXPECT_EQ(wrongType.exitCode, 4);
    EXPECT_NE(wrongType.err.find("budget.trials"), std::string::npos) << wrongType.err;
    EXPECT_NE(wrongType.err.find("w.yaml:4"), std::string::npos) << wrongType.err;

    auto unknown = runLwb({"tune", write("u.yaml", "name: x\nworkload: bert-train\nobjectives: [a:max]\n")});
    EXPECT_EQ(unknown.exitCode, 4);
    EXPECT_NE(unknown.err.find("bert-train"), std::string::npos) << unknown.err;

    auto future = runLwb({"check",
        write("future.json", R"({"format": "lepton-workbench-tuned-profile", "version": 7, "workload": "command"})")});
    EXPECT_EQ(future.exitCode, 4);
    EXPECT_NE(future.err.find("newer"), std::string::npos) << future.err;

    auto garbage = runLwb({"check", write("garbage.json", "{\"format\": \"lepton-workbench-tu")});
    EXPECT_EQ(garbage.exitCode, 4);
    EXPECT_NE(garbage.err.find("invalid JSON"), std::string::npos) << garbage.err;

    auto notStudy = runLwb({"trials", write("notes.lwb", "hello")});
    EXPECT_EQ(notStudy.exitCode, 4);
    EXPECT_NE(notStudy.err.find("not a Lepton Workbench study file"), std::string::npos) << notStudy.err;
}

TEST_F(CliE2e, FailingCommandTrialsDoNotStopTheStudy)
{
    std::string yaml = fmt::format(R"YAML(name: failing
workload: command
search_space:
  mode: [ok, crash, hang, silent]
objectives: [tokens_per_s:max]
budget: {{trials: 6}}
sampler: grid
measurement: {{warmup: 0, min_samples: 1, max_samples: 1}}
storage: {}
command:
  argv: [sh, -c, 'case $1 in crash) kill -SEGV $$;; hang) sleep 60;; silent) echo nothing;; *) echo "{{\"tokens_per_s\": 5}}";; esac', sh, "{{mode}}"]
  timeout: 1s
)YAML",
        (m_dir / "f.lwb").string());
    auto spec = m_dir / "f.yaml";
    ASSERT_TRUE(lwb::writeFileAtomic(spec, yaml));
    auto r = runLwb({"tune", spec.string()});
    EXPECT_EQ(r.exitCode, 0) << r.out << r.err;
    auto trials = *lwb::parseJson(runLwb({"trials", (m_dir / "f.lwb").string(), "--format", "json"}).out);
    std::set<std::string> reasons;
    for (const auto& t : trials)
        if (t["state"] == "FAILED")
            reasons.insert(t.value("fail_reason", ""));
    std::string all;
    for (const auto& s : reasons)
        all += s + "\n";
    EXPECT_NE(all.find("SIGSEGV"), std::string::npos) << all;
    EXPECT_NE(all.find("timed out"), std::string::npos) << all;
    EXPECT_NE(all.find("printed no metric"), std::string::npos) << all;
}

TEST_F(CliE2e, EngineCheckFailsWhenTheMachineGetsSlower)
{
    // A small single-threaded GPT training study; the "slower environment" pins the same
    // configuration to one CPU core (taskset) shared with three busy-looping neighbours, a quarter
    // of a core, as on an oversubscribed VM (about -75% here). The same configuration measured in
    // two processes agrees within 2% here (a configuration whose threads fill both cores of this
    // VM varied by up to 40% between processes, so the study keeps one thread). Threshold 40%.
    if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
        GTEST_SKIP() << "needs two CPU cores";
    // The baseline and the same-machine check need a core of their own.
    if (double idle = idleCores(1.0); idle < 1.0)
        GTEST_SKIP() << "the machine is busy (" << idle
                     << " of its cores idle): the same-machine measurement would not be comparable";
    std::string yaml = fmt::format(R"YAML(name: engine-gate
workload: gpt-train
settings: {{n_layer: 2, n_embd: 256, n_head: 4, seq_len: 128, threads: 1, replicas: 1, steps_per_window: 1}}
search_space:
  batch_size: [8, 16]
objectives: [tokens_per_s:max]
budget: {{trials: 2}}
sampler: grid
measurement: {{warmup: 1, min_samples: 12, max_samples: 12}}
storage: {}
)YAML",
        (m_dir / "g.lwb").string());
    auto spec = m_dir / "g.yaml";
    ASSERT_TRUE(lwb::writeFileAtomic(spec, yaml));
    auto tune = runLwb({"tune", spec.string()});
    ASSERT_EQ(tune.exitCode, 0) << tune.out << tune.err;
    auto profile = m_dir / "g.json";
    ASSERT_EQ(runLwb({"export-profile", (m_dir / "g.lwb").string(), "-o", profile.string()}).exitCode, 0);

    // The same environment must never be reported as a regression. On a shared CI machine the
    // throughput can drift between the tuning run and the check, so "inconclusive (too noisy)" is
    // an honest answer there too; a failure (exit 1) is not.
    auto same = runLwb({"check", profile.string(), "--fail-on", "tokens_per_s:-40%"});
    EXPECT_TRUE(same.exitCode == 0 || same.exitCode == 6) << same.out << same.err;
    if (same.exitCode == 6) {
        EXPECT_NE(same.out.find("INCONCLUSIVE"), std::string::npos) << same.out;
    }

    BusyNeighbour neighbours[] = {BusyNeighbour(0), BusyNeighbour(0), BusyNeighbour(0)};
    for (const auto& n : neighbours)
        ASSERT_TRUE(n.running());
    lwb::SubprocessOptions o;
    o.timeoutSeconds = 300;
    auto pinned = lwb::runSubprocess({"taskset", "-c", "0", LWB_CLI_PATH, "check", profile.string(), "--fail-on",
                                         "tokens_per_s:-40%", "--junit", (m_dir / "g.xml").string()},
        o);
    ASSERT_TRUE(pinned) << pinned.error().describe();
    EXPECT_EQ(pinned->exitCode, 1) << pinned->out << pinned->err;
    auto junit = lwb::readTextFile(m_dir / "g.xml");
    ASSERT_TRUE(junit);
    EXPECT_NE(junit->find("tokens_per_s regressed"), std::string::npos) << *junit;
}

// tuner_vs_peers: our GP-BO, random search and Optuna's TPE on Branin, Hartmann-6 and a mixed
// GPU-config-like problem, in one run. Every method starts from the same uniform-random initial
// points of each seed (10), then makes its own proposals (40); printed per problem: median and
// quartiles of log10 simple regret after 20 and 50 evaluations, and median milliseconds to propose
// a point with 10, 25 and 50 observations (thread CPU time, one thread; wall time at 50 too). TPE runs in
// /usr/bin/python3 through optuna_tpe_driver.py, which asks this program for every objective value over a pipe.
//   tuner_vs_peers [--seeds N] [--problems branin,hartmann6,mixed] [--methods gp,gp-default,random,tpe]
//                  [--gp-options JSON] [--transform auto|log|none] [--markdown FILE] [--python PATH]
#include "bench_problems.h"

#include "lwb/core/clock.h"

#include <algorithm>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <sys/wait.h>
#include <unistd.h>

using namespace lwb;

namespace {

constexpr int kInitial = 10;
constexpr int kEvaluations = 50;
const std::vector<int> kTimeAt = {10, 25, 50};
tuner::ValueTransform g_transform = tuner::ValueTransform::Auto;

struct RunResult {
    std::vector<double> bestSoFar; ///< after each evaluation
    std::map<int, double> msAt; ///< observations -> ms (thread CPU time) to propose
    std::map<int, double> wallMsAt; ///< observations -> ms (wall clock) to propose
};

std::int64_t threadCpuNs()
{
    timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

double logRegret(double best, double optimum)
{
    return std::log10(std::max(best - optimum, 1e-12));
}

/// Runs one of our samplers through the public Study API (in-memory storage).
RunResult runOurs(const bench::Problem& problem, const std::string& sampler, const Json& options, int seed,
    const std::vector<tuner::Params>& init)
{
    auto storage = std::make_shared<tuner::InMemoryStorage>();
    tuner::StudyOptions so;
    so.name = problem.name;
    so.space = problem.space;
    so.objectives = {{"f", tuner::Direction::Minimize, g_transform}};
    so.sampler = {sampler, options};
    so.seed = static_cast<std::uint64_t>(seed);
    auto study = tuner::Study::create(storage, so);
    if (!study) {
        std::cerr << "study: " << study.error().describe() << "\n";
        std::exit(1);
    }
    for (const auto& p : init) {
        if (auto queued = study->enqueue(p); !queued) {
            std::cerr << "enqueue: " << queued.error().describe() << "\n";
            std::exit(1);
        }
    }
    RunResult result;
    double best = 1e300;
    for (int i = 0; i <= kEvaluations; ++i) {
        Stopwatch watch;
        std::int64_t cpuStart = threadCpuNs();
        auto trial = study->ask();
        double ms = static_cast<double>(watch.elapsedNs()) * 1e-6;
        double cpuMs = static_cast<double>(threadCpuNs() - cpuStart) * 1e-6;
        if (!trial) {
            std::cerr << "ask: " << trial.error().describe() << "\n";
            std::exit(1);
        }
        if (std::find(kTimeAt.begin(), kTimeAt.end(), i) != kTimeAt.end()) {
            result.msAt[i] = cpuMs;
            result.wallMsAt[i] = ms;
        }
        if (i == kEvaluations)
            break;
        double value = problem.objective(trial->params);
        best = std::min(best, value);
        result.bestSoFar.push_back(best);
        if (auto told = study->tell(trial->id, {value}); !told) {
            std::cerr << "tell: " << told.error().describe() << "\n";
            std::exit(1);
        }
    }
    return result;
}

/// The Optuna TPE driver process, spoken to over two pipes.
class TpeDriver {
public:
    bool start(const std::string& python, const std::string& script)
    {
        int toChild[2], fromChild[2];
        if (pipe(toChild) != 0 || pipe(fromChild) != 0)
            return false;
        m_pid = fork();
        if (m_pid == 0) {
            dup2(toChild[0], 0);
            dup2(fromChild[1], 1);
            close(toChild[1]);
            close(fromChild[0]);
            execl(python.c_str(), python.c_str(), script.c_str(), static_cast<char*>(nullptr));
            _exit(127);
        }
        close(toChild[0]);
        close(fromChild[1]);
        m_in = fdopen(toChild[1], "w");
        m_out = fdopen(fromChild[0], "r");
        return m_pid > 0;
    }
    ~TpeDriver()
    {
        if (m_in)
            fclose(m_in);
        if (m_out)
            fclose(m_out);
        if (m_pid > 0)
            waitpid(m_pid, nullptr, 0);
    }
    void send(const Json& j)
    {
        std::string line = j.dump() + "\n";
        fputs(line.c_str(), m_in);
        fflush(m_in);
    }
    Json receive()
    {
        std::string line;
        int c;
        while ((c = fgetc(m_out)) != EOF && c != '\n')
            line += static_cast<char>(c);
        if (line.empty()) {
            std::cerr << "the Optuna driver stopped (is python3-optuna installed?)\n";
            std::exit(1);
        }
        return Json::parse(line);
    }

private:
    pid_t m_pid = -1;
    FILE* m_in = nullptr;
    FILE* m_out = nullptr;
};

RunResult runTpe(TpeDriver& driver, const bench::Problem& problem, int seed, const std::vector<tuner::Params>& init)
{
    Json config;
    config["params"] = problem.optunaParams;
    config["seed"] = seed;
    config["init"] = Json::array();
    for (const auto& p : init)
        config["init"].push_back(problem.toOptuna(p));
    config["evaluations"] = kEvaluations;
    config["time_at"] = kTimeAt;
    driver.send(config);
    RunResult result;
    double best = 1e300;
    for (int i = 0; i < kEvaluations; ++i) {
        Json message = driver.receive();
        double value = problem.objective(problem.fromOptuna(message["params"]));
        best = std::min(best, value);
        result.bestSoFar.push_back(best);
        driver.send({{"value", value}});
    }
    Json timing = driver.receive()["timing"];
    for (int at : kTimeAt) {
        const Json& t = timing[std::to_string(at)];
        result.msAt[at] = t.value("cpu", std::nan(""));
        result.wallMsAt[at] = t.value("wall", std::nan(""));
    }
    return result;
}

double quantile(std::vector<double> v, double q)
{
    v.erase(std::remove_if(v.begin(), v.end(), [](double x) { return std::isnan(x); }), v.end());
    if (v.empty())
        return std::nan("");
    std::sort(v.begin(), v.end());
    double pos = q * static_cast<double>(v.size() - 1);
    auto lo = static_cast<std::size_t>(std::floor(pos));
    std::size_t hi = std::min(lo + 1, v.size() - 1);
    return v[lo] + (pos - static_cast<double>(lo)) * (v[hi] - v[lo]);
}

std::string fixed(double v, int digits)
{
    std::ostringstream out;
    out.setf(std::ios::fixed);
    out.precision(digits);
    out << v;
    return out.str();
}

std::vector<std::string> split(const std::string& s)
{
    std::vector<std::string> out;
    std::stringstream in(s);
    std::string item;
    while (std::getline(in, item, ','))
        out.push_back(item);
    return out;
}

} // namespace

int main(int argc, char** argv)
{
    int seeds = 20;
    std::vector<std::string> problems = {"branin", "hartmann6", "mixed"};
    std::vector<std::string> methods = {"gp", "gp-default", "random", "tpe"};
    // The benchmark functions are noise-free: say so (a GP that fits noise on them blurs the optimum).
    Json gpOptions = {{"noise", "deterministic"}};
    std::string markdown, python = "/usr/bin/python3";
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        auto next = [&]() -> std::string {
            if (i + 1 >= argc) {
                std::cerr << arg << " needs a value\n";
                std::exit(2);
            }
            return argv[++i];
        };
        if (arg == "--seeds")
            seeds = std::stoi(next());
        else if (arg == "--problems")
            problems = split(next());
        else if (arg == "--methods")
            methods = split(next());
        else if (arg == "--gp-options")
            gpOptions = Json::parse(next());
        else if (arg == "--transform") {
            std::string t = next();
            g_transform = t == "log" ? tuner::ValueTransform::Log
                : t == "none"        ? tuner::ValueTransform::None
                                     : tuner::ValueTransform::Auto;
        } else if (arg == "--markdown")
            markdown = next();
        else if (arg == "--python")
            python = next();
        else {
            std::cerr << "usage: tuner_vs_peers [--seeds N] [--problems branin,hartmann6,mixed] "
                         "[--methods gp,gp-default,random,tpe] [--gp-options JSON] [--transform auto|log|none] "
                         "[--markdown FILE] "
                         "[--python PATH]\n";
            return 2;
        }
    }
    std::signal(SIGPIPE, SIG_IGN);
    std::ostringstream table;
    table << "Protocol: " << seeds << " seeds, " << kInitial << " shared uniform-random initial points, then "
          << (kEvaluations - kInitial)
          << " proposals; log10 simple regret median [25%, 75%]; ms to propose at 10 / 25 / 50 observations: median "
             "thread CPU time (one thread; not inflated by other load on the machine), and median wall time at 50.\n";
    for (const std::string& key : problems) {
        bench::Problem problem = key == "branin" ? bench::branin()
            : key == "hartmann6"                 ? bench::hartmann6()
                                                 : bench::mixedGpuConfig();
        table << "\n**" << problem.name << "** (optimum " << problem.optimum << ")\n\n"
              << "| method | regret @20 | regret @50 | ms @10 | ms @25 | ms @50 | wall ms @50 "
                 "|\n|---|---|---|---|---|---|---|\n";
        for (const std::string& method : methods) {
            std::vector<double> at20, at50;
            std::map<int, std::vector<double>> ms, wallMs;
            TpeDriver driver;
            if (method == "tpe" && !driver.start(python, std::string(LWB_TUNER_BENCH_DIR) + "/optuna_tpe_driver.py")) {
                std::cerr << "cannot start " << python << "\n";
                return 1;
            }
            for (int seed = 0; seed < seeds; ++seed) {
                std::mt19937_64 rng(static_cast<std::uint64_t>(seed) * 7919 + 17);
                std::vector<tuner::Params> init;
                for (int i = 0; i < kInitial; ++i)
                    init.push_back(problem.randomConfig(rng));
                RunResult r = method == "tpe" ? runTpe(driver, problem, seed, init)
                    : method == "gp-default"
                    ? runOurs(problem, "gp", Json::object(), seed, init)
                    : runOurs(problem, method, method == "gp" ? gpOptions : Json::object(), seed, init);
                at20.push_back(logRegret(r.bestSoFar[19], problem.optimum));
                at50.push_back(logRegret(r.bestSoFar[kEvaluations - 1], problem.optimum));
                for (const auto& [obs, t] : r.msAt)
                    ms[obs].push_back(t);
                for (const auto& [obs, t] : r.wallMsAt)
                    wallMs[obs].push_back(t);
                std::cerr << problem.name << " " << method << " seed " << seed << ": " << fixed(at20.back(), 2) << " "
                          << fixed(at50.back(), 2) << "\n";
            }
            auto cell = [](const std::vector<double>& v) {
                return fixed(quantile(v, 0.5), 2) + " [" + fixed(quantile(v, 0.25), 2) + ", "
                    + fixed(quantile(v, 0.75), 2) + "]";
            };
            std::string name = method == "gp" ? "GP-BO (lwb) " + gpOptions.dump()
                : method == "gp-default"      ? "GP-BO (lwb), default options"
                : method == "random"          ? "random search (lwb)"
                                              : "Optuna 3.1 TPE";
            table << "| " << name << " | " << cell(at20) << " | " << cell(at50) << " | "
                  << fixed(quantile(ms[10], 0.5), 2) << " | " << fixed(quantile(ms[25], 0.5), 2) << " | "
                  << fixed(quantile(ms[50], 0.5), 2) << " | " << fixed(quantile(wallMs[50], 0.5), 2) << " |\n";
            std::cout << table.str() << std::flush;
            table.str("");
            table.clear();
        }
    }
    std::string text = table.str();
    std::cout << text;
    if (!markdown.empty())
        std::ofstream(markdown, std::ios::app) << text;
    return 0;
}

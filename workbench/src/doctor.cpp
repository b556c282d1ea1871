// `lwb doctor` report assembly (see doctor.h): the only place that asks engine and profiler
// together what this machine can do.
#include "lwb/workbench/doctor.h"

#include "lwb/core/version.h"
#include "lwb/engine/backend_status.h"
#include "lwb/profiler/capture_sources.h"

#include <fmt/core.h>

namespace lwb::workbench {

Json doctorReport(const CudaProbe& probe)
{
    engine::registerEngineLibraryVersions();
    HardwareFingerprint fp = collectFingerprint(probe);
    Json backends = Json::array();
    for (const auto& b : engine::backendStatus(fp.cuda.driverAvailable))
        backends.push_back({{"name", b.name}, {"compiled", b.compiled}, {"usable", b.usable}, {"detail", b.detail}});
    Json sources = Json::array();
    for (const auto& s : profiler::captureSourceStatus(fp.cuda.driverAvailable, static_cast<int>(fp.cuda.gpus.size())))
        sources.push_back({{"name", s.name}, {"compiled", s.compiled}, {"usable", s.usable}, {"detail", s.detail}});
    return Json {{"workbench", std::string(workbenchBuildDescription())}, {"fingerprint", fp.toJson()},
        {"backends", backends}, {"capture_sources", sources}};
}

Json doctorReport()
{
    auto probe = makeDriverCudaProbe();
    return doctorReport(*probe);
}

std::string formatDoctorText(const Json& report)
{
    const Json& fp = report.at("fingerprint");
    const Json& cpu = fp.at("cpu");
    std::string out;
    out += fmt::format("Lepton Workbench {}\n\n", report.at("workbench").get<std::string>());
    out += fmt::format("CPU      {} ({} logical / {} physical cores, {:.0f} MHz)\n", cpu.at("model").get<std::string>(),
        cpu.at("logical_cores").get<int>(), cpu.at("physical_cores").get<int>(), cpu.at("max_mhz").get<double>());
    std::string features;
    for (const auto& f : cpu.at("features"))
        features += f.get<std::string>() + " ";
    out += fmt::format("ISA      {}\n", features);
    out += fmt::format("Memory   {:.1f} GiB\n", fp.at("memory_bytes").get<double>() / (1024.0 * 1024 * 1024));
    out += fmt::format("OS       {} (kernel {})\n", fp.at("os").get<std::string>(), fp.at("kernel").get<std::string>());
    out += fmt::format("Compiler {}\n", fp.at("compiler").get<std::string>());
    std::string libs;
    for (const auto& [name, version] : fp.at("libraries").items())
        libs += name + " " + version.get<std::string>() + ", ";
    if (!libs.empty())
        libs.resize(libs.size() - 2);
    out += fmt::format("Libraries {}\n", libs);
    const Json& cuda = fp.at("cuda");
    if (cuda.at("gpus").empty()) {
        out += fmt::format("GPUs     none: {}\n", cuda.at("unavailable_reason").get<std::string>());
    } else {
        for (const auto& g : cuda.at("gpus"))
            out += fmt::format("GPU {}    {} (sm_{}, {} SMs, {:.1f} GiB, {} MHz, MIG {})\n", g.at("index").get<int>(),
                g.at("name").get<std::string>(), g.at("compute_capability").get<std::string>(),
                g.at("sm_count").get<int>(), g.at("memory_bytes").get<double>() / (1024.0 * 1024 * 1024),
                g.at("sm_clock_mhz").get<int>(), g.at("mig_mode").get<std::string>());
    }
    auto section = [&](const char* title, const Json& rows) {
        out += fmt::format("\n{}\n", title);
        for (const auto& r : rows)
            out += fmt::format("  {:<16} {:<10} {}\n", r.at("name").get<std::string>(),
                r.at("usable").get<bool>() ? "usable" : (r.at("compiled").get<bool>() ? "unusable" : "absent"),
                r.at("detail").get<std::string>());
    };
    section("Backends", report.at("backends"));
    section("Capture sources", report.at("capture_sources"));
    return out;
}

} // namespace lwb::workbench

// Every study shipped in examples/ is valid: it parses, names a workload, knobs and metrics that
// exist, and its settings resolve on this machine, except GPU studies on a machine where the
// cuda backend cannot run (they must then fail naming that reason, not an unknown key).
#include "lwb/engine/backend.h"
#include "lwb/engine/workload.h"
#include "lwb/workbench/spec.h"
#include "lwb/workbench/study_setup.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

namespace lwb::workbench {
namespace {

std::vector<std::filesystem::path> exampleSpecs()
{
    std::vector<std::filesystem::path> out;
    for (const auto& entry : std::filesystem::directory_iterator(std::filesystem::path(LWB_SOURCE_DIR) / "examples"))
        if (entry.path().extension() == ".yaml")
            out.push_back(entry.path());
    std::sort(out.begin(), out.end());
    return out;
}

bool wantsCuda(const StudySpec& spec)
{
    return spec.rawSettings.is_object() && spec.rawSettings.value("backend", Json()) == "cuda";
}

TEST(Examples, EveryShippedStudyIsValid)
{
    auto specs = exampleSpecs();
    ASSERT_GE(specs.size(), 9u) << "examples/ should ship a study per built-in workload, plus GPU ones";
    // The cuda factory is registered only where a usable GPU exists; its knobs in every CUDA build.
    const engine::BackendFactory* cuda = engine::findBackend("cuda");
    const bool cudaUsable = cuda && (!cuda->unavailableReason || cuda->unavailableReason().empty());
    int gpuStudies = 0;
    for (const auto& path : specs) {
        SCOPED_TRACE(path.filename().string());
        auto spec = loadSpec(path, {}, {});
        ASSERT_TRUE(spec) << spec.error().describe();
        auto workload = makeWorkload(*spec);
        ASSERT_TRUE(workload) << workload.error().describe();
        EXPECT_TRUE(checkMetrics(*spec, **workload));
        if (wantsCuda(*spec)) {
            ++gpuStudies;
            const auto knobs = (*workload)->knobs();
            if (!engine::findKnob(knobs, "cuda_graphs"))
                continue; // a build without CUDA does not declare the GPU knobs at all
        }
        if (wantsCuda(*spec) && !cudaUsable) {
            // Stops before any trial, saying why the GPU backend cannot run here.
            auto settings = fixedSettings(*spec, **workload);
            ASSERT_FALSE(settings) << "a cuda study was accepted on a machine where cuda cannot run";
            EXPECT_EQ(settings.error().code, ErrorCode::Unavailable);
            EXPECT_NE(settings.error().message.find("backend 'cuda' cannot run on this machine"), std::string::npos)
                << settings.error().message;
            continue;
        }
        auto space = buildSearchSpace(*spec, **workload);
        EXPECT_TRUE(space) << space.error().describe();
        auto settings = fixedSettings(*spec, **workload);
        ASSERT_TRUE(settings) << settings.error().describe();
        auto resolved = (*workload)->resolve(*settings);
        EXPECT_TRUE(resolved) << resolved.error().describe();
    }
    EXPECT_GE(gpuStudies, 2);
}

} // namespace
} // namespace lwb::workbench

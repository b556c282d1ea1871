// The study loop end to end on a real external program (sh): trials are asked, measured, told;
// a crashing configuration is FAILED and the study goes on; the best beats the baseline; a second
// run refuses to overwrite the study without --resume and continues it with it.
#include "lwb/tuner/sqlite_storage.h"
#include "lwb/tuner/study.h"
#include "lwb/workbench/tuning.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fmt/core.h>
#include <unistd.h>

using namespace lwb;
using namespace lwb::workbench;

namespace {

/// tokens_per_s peaks at batch_size 16 and mode "fast"; mode "crash" kills the program.
std::string specText(const std::filesystem::path& storage, int trials)
{
    return fmt::format(R"YAML(name: sh-study
workload: command
search_space:
  batch_size: [2, 4, 8, 16, 32]
  mode: [slow, fast, crash]
objectives: [tokens_per_s:max]
budget: {{trials: {}}}
sampler: random
seed: 3
measurement: {{warmup: 0, min_samples: 2, max_samples: 3, max_noise: 0.5}}
storage: {}
command:
  argv: [sh, -c, 'if [ "$2" = crash ]; then kill -SEGV $$; fi; b=$1; s=$((1000 - (b-16)*(b-16))); if [ "$2" = fast ]; then s=$((s*2)); fi; echo "{{\"tokens_per_s\": $s}}"; echo "{{\"tokens_per_s\": $s}}"', sh, "{{batch_size}}", "{{mode}}"]
  timeout: 20s
)YAML",
        trials, storage.string());
}

} // namespace

TEST(Tuning, RunsAStudyOnACommandWorkload)
{
    auto dir = std::filesystem::temp_directory_path() / ("lwb-tuning-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    auto storage = dir / "study.lwb";
    auto spec = parseSpec(specText(storage, 12), "sh.yaml");
    ASSERT_TRUE(spec) << spec.error().describe();

    std::vector<TuneEvent> events;
    TuneOptions options;
    options.onEvent = [&](const TuneEvent& e) { events.push_back(e); };
    auto summary = runStudy(*spec, options);
    ASSERT_TRUE(summary) << summary.error().describe();
    EXPECT_EQ(summary->complete + summary->failed + summary->pruned, 12);
    EXPECT_GT(summary->failed, 0) << "random search over 3 modes should hit 'crash' in 12 trials";
    ASSERT_TRUE(summary->best);
    // Trial 0 is the baseline (first choices: batch 2, slow): 1000 - 196 = 804.
    EXPECT_GT(summary->best->values[0], 804);
    EXPECT_EQ(summary->stopReason, "trial budget of 12 reached");
    int finishedEvents = 0;
    for (const auto& e : events)
        finishedEvents += e.kind == TuneEventKind::TrialFinished;
    EXPECT_EQ(finishedEvents, 12);

    // The failures carry the reason; the baseline ran first.
    auto db = tuner::SqliteStorage::open(storage, tuner::StorageAccess::ReadOnly);
    ASSERT_TRUE(db) << db.error().describe();
    auto study = tuner::Study::load(*db, "sh-study");
    ASSERT_TRUE(study);
    auto trials = study->trials();
    ASSERT_TRUE(trials);
    EXPECT_EQ(tuner::formatParams((*trials)[0].params), "batch_size=2 mode=slow");
    bool sawCrash = false;
    for (const auto& t : *trials)
        if (t.state == tuner::TrialState::Failed) {
            EXPECT_NE(t.failReason.find("SIGSEGV"), std::string::npos) << t.failReason;
            sawCrash = true;
        }
    EXPECT_TRUE(sawCrash);

    // Running it again without --resume is refused; with --resume it continues to a larger budget.
    auto again = runStudy(*spec, {});
    ASSERT_FALSE(again);
    EXPECT_NE(again.error().message.find("--resume"), std::string::npos);
    auto more = parseSpec(specText(storage, 15), "sh.yaml");
    TuneOptions resume;
    resume.resume = TuneOptions::Resume::Yes;
    auto resumed = runStudy(*more, resume);
    ASSERT_TRUE(resumed) << resumed.error().describe();
    EXPECT_EQ(resumed->complete + resumed->failed + resumed->pruned, 15);
    std::filesystem::remove_all(dir);
}

TEST(Tuning, InterruptFinishesTheRunningTrialAndStops)
{
    auto dir = std::filesystem::temp_directory_path() / ("lwb-tuning-int-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    auto spec = parseSpec(specText(dir / "s.lwb", 50), "sh.yaml");
    ASSERT_TRUE(spec);
    InterruptLevel interrupt {0};
    TuneOptions options;
    options.interrupt = &interrupt;
    options.onEvent = [&](const TuneEvent& e) {
        if (e.kind == TuneEventKind::TrialFinished && e.trialNumber == 2)
            interrupt = 1;
    };
    auto summary = runStudy(*spec, options);
    ASSERT_TRUE(summary) << summary.error().describe();
    EXPECT_TRUE(summary->interrupted);
    EXPECT_EQ(summary->complete + summary->failed, 3);
    std::filesystem::remove_all(dir);
}

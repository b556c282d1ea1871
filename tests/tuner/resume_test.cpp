// Resume after a kill: a child process writes trials to a study file and is SIGKILLed while a trial
// runs; the parent reopens the file, finds every completed trial intact, and recovers the running one
// (failed or re-queued).
#include "lwb/tuner/sqlite_storage.h"
#include "lwb/tuner/study.h"
#include "test_dir.h"

#include <gtest/gtest.h>

#include <csignal>
#include <sys/wait.h>
#include <unistd.h>

using namespace lwb;
using namespace lwb::tuner;

namespace {

StudyOptions options()
{
    StudyOptions o;
    o.name = "killed";
    o.space.addFloat("x", 0.0, 1.0).addInt("n", 1, 8);
    o.objectives = {{"loss", Direction::Minimize}};
    o.sampler = {"gp", Json {{"n_initial", 4}}};
    o.seed = 5;
    return o;
}

/// Forks a child that completes `completed` trials, asks one more, tells the parent, and waits to be
/// killed. Returns the child's pid after it reported.
pid_t runChildUntilKilled(const std::filesystem::path& file, int completed)
{
    int ready[2];
    if (pipe(ready) != 0)
        return -1;
    pid_t pid = fork();
    if (pid == 0) {
        close(ready[0]);
        auto storage = SqliteStorage::open(file);
        if (!storage)
            _exit(2);
        auto study = Study::loadOrCreate(*storage, options());
        if (!study)
            _exit(3);
        for (int i = 0; i < completed; ++i) {
            auto t = study->ask();
            if (!t || !study->tell(t->id, {std::get<double>(t->params.at("x"))}))
                _exit(4);
        }
        auto running = study->ask();
        if (!running)
            _exit(5);
        char byte = 1;
        if (write(ready[1], &byte, 1) != 1)
            _exit(6);
        for (;;)
            pause();
    }
    close(ready[1]);
    char byte = 0;
    ssize_t got = read(ready[0], &byte, 1);
    close(ready[0]);
    if (got != 1) {
        waitpid(pid, nullptr, 0);
        return -1;
    }
    return pid;
}

} // namespace

TEST(Resume, KilledWorkerLeavesCompletedTrialsIntactAndRunningOnesRecoverable)
{
    test::TempDir dir;
    auto file = dir / "study.lwb";
    pid_t child = runChildUntilKilled(file, 6);
    ASSERT_GT(child, 0);
    ASSERT_EQ(kill(child, SIGKILL), 0);
    int status = 0;
    ASSERT_EQ(waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFSIGNALED(status));

    auto storage = SqliteStorage::open(file);
    ASSERT_TRUE(storage) << storage.error().describe();
    auto study = Study::load(*storage, "killed");
    ASSERT_TRUE(study) << study.error().describe();
    auto trials = study->trials();
    ASSERT_TRUE(trials);
    ASSERT_EQ(trials->size(), 7u);
    for (int i = 0; i < 6; ++i) {
        EXPECT_EQ((*trials)[static_cast<std::size_t>(i)].state, TrialState::Complete);
        EXPECT_EQ((*trials)[static_cast<std::size_t>(i)].values.size(), 1u);
    }
    const Trial interrupted = (*trials)[6];
    EXPECT_EQ(interrupted.state, TrialState::Running);

    // Our own running trials are not touched by a recovery of dead workers.
    auto mine = study->ask();
    ASSERT_TRUE(mine);
    auto recovered = study->recoverInterruptedTrials(RecoveryAction::Requeue);
    ASSERT_TRUE(recovered);
    EXPECT_EQ(*recovered, 1);
    EXPECT_EQ(study->trial(mine->id)->state, TrialState::Running);
    auto after = study->trial(interrupted.id);
    EXPECT_EQ(after->state, TrialState::Failed);
    EXPECT_EQ(after->failReason, kInterruptedReason);
    // The re-queued configuration runs next, and the interruption is not held against it.
    auto rerun = study->ask();
    ASSERT_TRUE(rerun);
    EXPECT_EQ(rerun->origin, TrialOrigin::Requeued);
    EXPECT_EQ(rerun->params, interrupted.params);
    ASSERT_TRUE(study->tell(rerun->id, {0.5}));
    ASSERT_TRUE(study->tell(mine->id, {0.25}));
    auto next = study->ask();
    ASSERT_TRUE(next) << next.error().describe();
    EXPECT_EQ(
        study->best()->values[0], (*trials)[0].values[0] < 0.25 ? (*trials)[0].values[0] : study->best()->values[0]);
}

TEST(Resume, MarkFailedAndAllRunningScope)
{
    test::TempDir dir;
    auto file = dir / "study.lwb";
    pid_t child = runChildUntilKilled(file, 2);
    ASSERT_GT(child, 0);
    kill(child, SIGKILL);
    waitpid(child, nullptr, 0);
    auto storage = SqliteStorage::open(file);
    ASSERT_TRUE(storage);
    auto study = Study::load(*storage, "killed");
    ASSERT_TRUE(study);
    auto mine = study->ask();
    ASSERT_TRUE(mine);
    auto recovered = study->recoverInterruptedTrials(RecoveryAction::MarkFailed, RecoveryScope::AllRunning);
    ASSERT_TRUE(recovered);
    EXPECT_EQ(*recovered, 2); // the killed worker's trial and ours
    auto trials = study->trials();
    for (const auto& t : *trials)
        EXPECT_NE(t.state, TrialState::Running);
    auto next = study->ask();
    ASSERT_TRUE(next);
    EXPECT_EQ(next->origin, TrialOrigin::Sampler); // nothing was re-queued
}

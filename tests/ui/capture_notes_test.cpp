// A trial's capture notes (e.g. "GPU activity not captured: CUPTI unavailable because ...") reach
// the Timeline page from the study file: written by the tuner as the trial's `capture_notes`
// attribute, read by loadTrialTimeline, shown next to the timeline's title.
#include "lwb/core/study_file.h"
#include "lwb/profiler/trace_store.h"
#include "lwb/tuner/sqlite_storage.h"
#include "lwb/tuner/study.h"
#include "lwb/ui/demo_controller.h"
#include "lwb/ui/study_loader.h"
#include "lwb/ui/timeline_page.h"

#include <QLabel>
#include <QTemporaryDir>
#include <gtest/gtest.h>

using namespace lwb;

namespace {

/// A study with one complete trial whose trace holds one CPU op.
std::int64_t writeTracedTrial(const std::filesystem::path& path, const Json& notes)
{
    auto storage = tuner::SqliteStorage::open(path);
    EXPECT_TRUE(storage) << storage.error().describe();
    tuner::StudyOptions o;
    o.name = "notes";
    o.space.addInt("batch_size", 1, 8);
    o.objectives = {{"tokens_per_s", tuner::Direction::Maximize}};
    o.sampler = {"random", Json::object()};
    auto study = tuner::Study::create(*storage, o);
    EXPECT_TRUE(study) << study.error().describe();
    auto trial = study->ask();
    EXPECT_TRUE(trial);
    EXPECT_TRUE(study->tell(trial->id, {100.0}));

    auto db = study_file::open(path, sql::OpenMode::ReadWrite);
    EXPECT_TRUE(db) << db.error().describe();
    auto store = profiler::TraceStore::open(*db);
    EXPECT_TRUE(store);
    profiler::Trace trace;
    profiler::ActivityRecord op;
    op.flags = profiler::kHostOp;
    op.start = 0;
    op.end = 1000;
    op.name = op.shortName = trace.strings.intern("matmul_fwd");
    trace.records.push_back(op);
    auto id = store->write(trace, {"trial 0", trial->id, ""});
    EXPECT_TRUE(id);
    EXPECT_TRUE(study->setTrialAttr(trial->id, "trace_id", *id));
    if (!notes.is_null()) {
        EXPECT_TRUE(study->setTrialAttr(trial->id, "capture_notes", notes));
    }
    return trial->number;
}

} // namespace

TEST(CaptureNotes, ReachTheTimelineTitle)
{
    QTemporaryDir dir;
    std::filesystem::path path = dir.filePath(QStringLiteral("notes.lwb")).toStdString();
    const std::string note = "GPU activity not captured: CUPTI unavailable because no CUDA driver is installed";
    int trial = writeTracedTrial(path, Json::array({note}));

    auto snap = ui::loadTrialTimeline(path, trial, nullptr);
    ASSERT_TRUE(snap) << snap.error().describe();
    ASSERT_EQ(snap->captureNotes, std::vector<std::string> {note});

    ui::DemoController controller;
    ui::TimelinePage page(&controller);
    page.setTimeline(std::make_shared<const ui::TimelineSnapshot>(*snap));
    auto* title = page.findChild<QLabel*>(QStringLiteral("timelineTitle"));
    ASSERT_NE(title, nullptr);
    EXPECT_TRUE(title->text().contains(QString::fromStdString(note))) << title->text().toStdString();
}

TEST(CaptureNotes, AbsentNotesShowNothingExtra)
{
    QTemporaryDir dir;
    std::filesystem::path path = dir.filePath(QStringLiteral("plain.lwb")).toStdString();
    int trial = writeTracedTrial(path, Json());
    auto snap = ui::loadTrialTimeline(path, trial, nullptr);
    ASSERT_TRUE(snap) << snap.error().describe();
    EXPECT_TRUE(snap->captureNotes.empty());
}

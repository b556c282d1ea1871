// Every model under QAbstractItemModelTester, through resets, appends and in-place updates:
// the trial table (and its sorting/filtering proxy) with 10,000 trials, the kernel summary, the
// search-space editor and the compare tables.
#include "lwb/ui/demo_controller.h"
#include "lwb/ui/table_models.h"
#include "lwb/ui/timeline_source.h"
#include "lwb/ui/trial_table_model.h"
#include "model_tester.h"

#include <QSignalSpy>
#include <gtest/gtest.h>

using namespace lwb::ui;
using lwb::ui::test::ModelCheck;

namespace {

StudySnapshotPtr withTrials(const StudySnapshotPtr& base, std::size_t n)
{
    auto s = std::make_shared<StudySnapshot>(*base);
    s->trials.resize(std::min(n, s->trials.size()));
    return s;
}

int numberAt(const QAbstractItemModel& m, int row)
{
    return m.index(row, 0).data(TrialTableModel::TrialNumberRole).toInt();
}

} // namespace

TEST(TrialTableModel, PassesTheModelTesterThroughUpdates)
{
    const auto full = DemoController::makeStudy(300, 1, 3);
    TrialTableModel model;
    TrialFilterProxy proxy;
    proxy.setSourceModel(&model);
    proxy.sort(2, Qt::DescendingOrder);
    ModelCheck checkModel(&model);
    ModelCheck checkProxy(&proxy);
    model.setStudy(withTrials(full, 10)); // first study: reset
    EXPECT_EQ(model.rowCount(), 10);
    // 2 + objectives + params + duration + note
    EXPECT_EQ(model.columnCount(), 2 + 1 + static_cast<int>(full->params.size()) + 2);
    QSignalSpy resets(&model, &QAbstractItemModel::modelReset);
    QSignalSpy inserts(&model, &QAbstractItemModel::rowsInserted);
    QSignalSpy changes(&model, &QAbstractItemModel::dataChanged);
    model.setStudy(withTrials(full, 50)); // appends
    EXPECT_EQ(resets.count(), 0);
    EXPECT_EQ(inserts.count(), 1);
    // A running trial that completes: one dataChanged, no insert.
    auto running = std::make_shared<StudySnapshot>(*withTrials(full, 51));
    running->trials.back().state = TrialState::Running;
    running->trials.back().values.assign(1, std::nullopt);
    model.setStudy(running);
    changes.clear();
    inserts.clear();
    model.setStudy(withTrials(full, 51));
    EXPECT_EQ(inserts.count(), 0);
    ASSERT_EQ(changes.count(), 1);
    EXPECT_EQ(changes[0][0].value<QModelIndex>().row(), 50);
    // Fewer trials or another study: reset.
    model.setStudy(withTrials(full, 20));
    EXPECT_EQ(resets.count(), 1);
    model.setStudy(DemoController::makeStudy(30, 2, 1));
    EXPECT_EQ(resets.count(), 2);
    model.setStudy(nullptr);
    EXPECT_EQ(model.rowCount(), 0);
    EXPECT_TRUE(checkModel.failures().isEmpty()) << checkModel.failures().join('\n').toStdString();
    EXPECT_TRUE(checkProxy.failures().isEmpty()) << checkProxy.failures().join('\n').toStdString();
}

TEST(TrialTableModel, SortsByRawValuesWithMissingLast)
{
    const auto study = DemoController::makeStudy(400, 1, 5);
    TrialTableModel model;
    model.setStudy(study);
    TrialFilterProxy proxy;
    proxy.setSourceModel(&model);
    for (Qt::SortOrder order : {Qt::AscendingOrder, Qt::DescendingOrder}) {
        proxy.sort(2, order); // the objective
        bool seenMissing = false;
        double prev = order == Qt::AscendingOrder ? -1e300 : 1e300;
        for (int r = 0; r < proxy.rowCount(); ++r) {
            const auto& t = study->trials[static_cast<std::size_t>(numberAt(proxy, r))];
            if (!t.values[0]) {
                seenMissing = true;
                continue;
            }
            EXPECT_FALSE(seenMissing) << "a value after a missing one at row " << r;
            if (order == Qt::AscendingOrder)
                EXPECT_GE(*t.values[0], prev);
            else
                EXPECT_LE(*t.values[0], prev);
            prev = *t.values[0];
        }
        EXPECT_TRUE(seenMissing) << "the demo study has failed trials";
    }
    // Sorting by a log-scaled numeric parameter is numeric, not textual ("16" > "128" as text).
    proxy.sort(3, Qt::AscendingOrder); // batch_size
    double prev = -1;
    for (int r = 0; r < proxy.rowCount(); ++r) {
        const double v = proxy.index(r, 3).data(TrialTableModel::SortRole).toDouble();
        EXPECT_GE(v, prev);
        prev = v;
    }
}

TEST(TrialTableModel, FiltersByStateAndTokens)
{
    const auto study = DemoController::makeStudy(400, 1, 5);
    TrialTableModel model;
    model.setStudy(study);
    TrialFilterProxy proxy;
    proxy.setSourceModel(&model);
    ModelCheck check(&proxy);
    int failed = 0, bf16 = 0, bf16AndBatch64 = 0;
    for (const auto& t : study->trials) {
        failed += t.state == TrialState::Failed;
        const bool isBf16 = paramValueToString(t.params.at("precision")) == "bf16";
        bf16 += isBf16;
        bf16AndBatch64 += isBf16 && paramValueToString(t.params.at("batch_size")) == "64";
    }
    ASSERT_GT(failed, 0);
    proxy.setStateFilter(static_cast<int>(TrialState::Failed));
    EXPECT_EQ(proxy.rowCount(), failed);
    proxy.setStateFilter(-1);
    proxy.setTextFilter(QStringLiteral("precision=bf16"));
    EXPECT_EQ(proxy.rowCount(), bf16);
    proxy.setTextFilter(QStringLiteral("precision=bf16 batch_size=64"));
    EXPECT_EQ(proxy.rowCount(), bf16AndBatch64);
    proxy.setTextFilter(QStringLiteral("state:fail"));
    EXPECT_EQ(proxy.rowCount(), failed);
    proxy.setTextFilter(QStringLiteral("memory")); // matches failure reasons ("out of memory")
    EXPECT_GT(proxy.rowCount(), 0);
    EXPECT_LE(proxy.rowCount(), failed);
    proxy.setTextFilter(QStringLiteral("no-such-thing"));
    EXPECT_EQ(proxy.rowCount(), 0);
    proxy.setTextFilter(QString());
    EXPECT_EQ(proxy.rowCount(), 400);
    EXPECT_TRUE(check.failures().isEmpty()) << check.failures().join('\n').toStdString();
}

TEST(TrialTableModel, TenThousandTrialsUpdateIncrementally)
{
    const auto big = DemoController::makeStudy(10'000, 1, 9);
    TrialTableModel model;
    TrialFilterProxy proxy;
    proxy.setSourceModel(&model);
    proxy.sort(2, Qt::DescendingOrder);
    model.setStudy(withTrials(big, 9'999));
    QSignalSpy resets(&model, &QAbstractItemModel::modelReset);
    model.setStudy(big);
    EXPECT_EQ(resets.count(), 0);
    EXPECT_EQ(proxy.rowCount(), 10'000);
    EXPECT_EQ(model.rowOfTrial(9'999), 9'999);
}

TEST(KernelSummaryModel, PassesTheModelTesterAndFilters)
{
    SyntheticTraceOptions o;
    o.records = 20'000;
    auto summary = std::make_shared<KernelSummary>(summarizeKernels(*makeSyntheticTimeline(o)));
    KernelSummaryModel model;
    KernelFilterProxy proxy;
    proxy.setSourceModel(&model);
    ModelCheck c1(&model);
    ModelCheck c2(&proxy);
    model.setSummary(summary);
    EXPECT_EQ(model.rowCount(), static_cast<int>(summary->rows.size()));
    EXPECT_EQ(model.columnCount(), KernelSummaryModel::ColumnCount);
    proxy.sort(KernelSummaryModel::Count, Qt::DescendingOrder);
    for (int r = 1; r < proxy.rowCount(); ++r)
        EXPECT_GE(proxy.index(r - 1, KernelSummaryModel::Count).data(kSortRole).toLongLong(),
            proxy.index(r, KernelSummaryModel::Count).data(kSortRole).toLongLong());
    proxy.setNameFilter(QStringLiteral("GEMM"));
    ASSERT_GT(proxy.rowCount(), 0);
    for (int r = 0; r < proxy.rowCount(); ++r)
        EXPECT_TRUE(proxy.index(r, 0).data().toString().contains(QStringLiteral("gemm")));
    proxy.setNameFilter(QString());
    proxy.setCategoryFilter(QStringLiteral("cpu_op"));
    ASSERT_GT(proxy.rowCount(), 0);
    for (int r = 0; r < proxy.rowCount(); ++r)
        EXPECT_EQ(proxy.index(r, KernelSummaryModel::Category).data().toString(), QStringLiteral("cpu_op"));
    model.setSummary(nullptr);
    EXPECT_EQ(proxy.rowCount(), 0);
    EXPECT_TRUE(c1.failures().isEmpty()) << c1.failures().join('\n').toStdString();
    EXPECT_TRUE(c2.failures().isEmpty()) << c2.failures().join('\n').toStdString();
}

TEST(SearchSpaceModel, EditsAndIssues)
{
    DemoController demo;
    const WorkloadInfo w = demo.workloads().front();
    SearchSpaceModel model;
    ModelCheck check(&model);
    SetupSpec spec = defaultSetup(w);
    model.setKnobs(spec.knobs, w.knobs);
    QSignalSpy edited(&model, &SearchSpaceModel::knobsEdited);
    int lr = -1, precision = -1, layers = -1;
    for (int r = 0; r < model.rowCount(); ++r) {
        const QString name = model.index(r, SearchSpaceModel::Knob).data().toString();
        lr = name == QLatin1String("lr") ? r : lr;
        precision = name == QLatin1String("precision") ? r : precision;
        layers = name == QLatin1String("n_layer") ? r : layers;
    }
    ASSERT_GE(lr, 0);
    ASSERT_GE(precision, 0);
    ASSERT_GE(layers, 0);
    EXPECT_TRUE(model.setData(model.index(lr, SearchSpaceModel::Low), QStringLiteral("0.0001")));
    EXPECT_DOUBLE_EQ(model.knobs()[static_cast<std::size_t>(lr)].low, 1e-4);
    EXPECT_FALSE(model.setData(model.index(lr, SearchSpaceModel::Low), QStringLiteral("abc"))); // rejected
    EXPECT_DOUBLE_EQ(model.knobs()[static_cast<std::size_t>(lr)].low, 1e-4);
    EXPECT_TRUE(model.setData(model.index(lr, SearchSpaceModel::Scale), QStringLiteral("linear")));
    EXPECT_EQ(model.knobs()[static_cast<std::size_t>(lr)].scale, ParamScale::Linear);
    EXPECT_TRUE(model.setData(model.index(precision, SearchSpaceModel::Choices), QStringLiteral("bf16, f16")));
    EXPECT_EQ(model.knobs()[static_cast<std::size_t>(precision)].choices, (std::vector<std::string> {"bf16", "f16"}));
    EXPECT_FALSE(model.flags(model.index(precision, SearchSpaceModel::Low)) & Qt::ItemIsEditable);
    EXPECT_TRUE(model.setData(model.index(layers, SearchSpaceModel::Include), Qt::Checked, Qt::CheckStateRole));
    EXPECT_TRUE(model.knobs()[static_cast<std::size_t>(layers)].included);
    EXPECT_EQ(edited.count(), 4);
    model.setIssues({{"search_space.lr", IssueSeverity::Warning, "w"}, {"search_space.lr", IssueSeverity::Error, "e"}});
    EXPECT_EQ(model.index(lr, SearchSpaceModel::Issue).data().toString(), QStringLiteral("e"));
    model.setIssues({});
    EXPECT_TRUE(model.index(lr, SearchSpaceModel::Issue).data().toString().isEmpty());
    EXPECT_TRUE(check.failures().isEmpty()) << check.failures().join('\n').toStdString();
}

TEST(CellTableModel, PassesTheModelTester)
{
    CellTableModel model;
    ModelCheck check(&model);
    model.setTable({QStringLiteral("a"), QStringLiteral("b")},
        {{{QStringLiteral("x"), 2.0, {}, {}, Qt::AlignLeft}, {QStringLiteral("y")}}, {{QStringLiteral("z"), 1.0}}});
    EXPECT_EQ(model.rowCount(), 2);
    EXPECT_EQ(model.columnCount(), 2);
    EXPECT_EQ(model.index(0, 0).data(kSortRole).toDouble(), 2.0);
    EXPECT_EQ(model.index(1, 1).data().toString(), QString()); // short rows are padded
    EXPECT_EQ(model.index(0, 1).data(kSortRole).toString(), QStringLiteral("y"));
    model.setTable({}, {});
    EXPECT_EQ(model.rowCount(), 0);
    EXPECT_TRUE(check.failures().isEmpty()) << check.failures().join('\n').toStdString();
}

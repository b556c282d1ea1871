// StudyController base: default validation and metatype registration.
#include "lwb/ui/study_controller.h"

namespace lwb::ui {

StudyController::StudyController(QObject* parent)
    : QObject(parent)
{
    registerUiMetaTypes();
}

StudyController::~StudyController() = default;

std::vector<ValidationIssue> StudyController::validate(const SetupSpec& spec) const
{
    const auto all = workloads();
    const WorkloadInfo* w = nullptr;
    for (const auto& x : all)
        if (x.name == spec.workload)
            w = &x;
    return validateSetup(spec, w);
}

void OfflineController::unavailable(const std::string& what)
{
    emit message(UserMessage {Severity::Error,
        what
            + " needs the workbench service, which this build of the GUI is not "
              "connected to yet. Use the lwb command line, or --demo to explore.",
        {}});
}

void OfflineController::openStudy(const QString& path)
{
    unavailable("Opening " + path.toStdString());
}
void OfflineController::startStudy(const SetupSpec&)
{
    unavailable("Running a study");
}
void OfflineController::requestTimeline(int)
{
    unavailable("Loading a timeline");
}
void OfflineController::requestCompare(int, int)
{
    unavailable("Comparing trials");
}
void OfflineController::exportFile(const ExportRequest& request)
{
    emit exportFinished(ExportResult {request, false, "the workbench service is not connected"});
}

void registerUiMetaTypes()
{
    qRegisterMetaType<lwb::ui::RunState>();
    qRegisterMetaType<lwb::ui::StudySnapshotPtr>();
    qRegisterMetaType<lwb::ui::TrialProgress>();
    qRegisterMetaType<lwb::ui::InsightsPtr>();
    qRegisterMetaType<lwb::ui::TimelineSnapshotPtr>();
    qRegisterMetaType<lwb::ui::CompareSnapshotPtr>();
    qRegisterMetaType<lwb::ui::ExportResult>();
    qRegisterMetaType<lwb::ui::TaskProgress>();
    qRegisterMetaType<lwb::ui::UserMessage>();
}

} // namespace lwb::ui

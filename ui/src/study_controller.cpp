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

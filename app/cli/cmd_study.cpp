// `lwb studies|trials|best STUDY.lwb`: read a study file (read-only, also while `lwb tune` writes
// it) in table, JSON, CSV or YAML form.
#include "cli_common.h"

#include "lwb/tuner/sqlite_storage.h"
#include "lwb/tuner/study.h"

#include <fmt/core.h>
#include <iostream>

namespace lwb::cli {
namespace {

struct StudyArgs {
    std::string file;
    std::string study;
    std::string format = "table";
    std::string state;
};

Result<tuner::Study> openStudy(const StudyArgs& args)
{
    LWB_ASSIGN_OR_RETURN(auto storage, tuner::SqliteStorage::open(args.file, tuner::StorageAccess::ReadOnly));
    std::string name = args.study;
    if (name.empty()) {
        LWB_ASSIGN_OR_RETURN(auto names, storage->studyNames());
        if (names.size() != 1)
            return fail(ErrorCode::InvalidArgument,
                fmt::format("{} holds {} studies: name one with --study", args.file, names.size()), LWB_WHERE);
        name = names.front();
    }
    return tuner::Study::load(storage, name);
}

std::string valueText(double v)
{
    return fmt::format("{:.6g}", v);
}

Table trialTable(tuner::Study& study, const std::vector<tuner::Trial>& trials)
{
    Table t;
    t.columns = {"number", "state", "params"};
    for (const auto& o : study.options().objectives)
        t.columns.push_back(o.name);
    t.columns.push_back("note");
    for (const auto& trial : trials) {
        std::vector<std::string> row {std::to_string(trial.number), std::string(tuner::trialStateName(trial.state)),
            tuner::formatParams(trial.params)};
        for (std::size_t i = 0; i < study.options().objectives.size(); ++i)
            row.push_back(i < trial.values.size() ? valueText(trial.values[i]) : "");
        row.push_back(trial.state == tuner::TrialState::Failed ? trial.failReason
                : trial.origin != tuner::TrialOrigin::Sampler  ? std::string(tuner::trialOriginName(trial.origin))
                                                               : "");
        t.rows.push_back(std::move(row));
        t.jsonRows.push_back(tuner::trialToJson(trial));
    }
    return t;
}

} // namespace

std::vector<Command> addStudyCommands(CLI::App& app)
{
    std::vector<Command> out;
    auto addCommon = [](CLI::App* cmd, StudyArgs& args) {
        cmd->add_option("file", args.file, "Study file (.lwb)")->required();
        cmd->add_option("--study", args.study, "Study name (when the file holds several)");
        cmd->add_option("--format", args.format, "table, json, csv or yaml")
            ->check(CLI::IsMember({"table", "json", "csv", "yaml"}));
    };

    auto studiesArgs = std::make_shared<StudyArgs>();
    CLI::App* studies = app.add_subcommand("studies", "List the studies of a study file");
    addCommon(studies, *studiesArgs);
    out.push_back({studies, [studiesArgs] {
                       auto storage = tuner::SqliteStorage::open(studiesArgs->file, tuner::StorageAccess::ReadOnly);
                       if (!storage)
                           return reportError("studies", storage.error());
                       auto names = (*storage)->studyNames();
                       if (!names)
                           return reportError("studies", names.error());
                       Table t;
                       t.columns = {"name", "trials", "complete", "failed", "best"};
                       for (const auto& name : *names) {
                           auto study = tuner::Study::load(*storage, name);
                           if (!study)
                               return reportError("studies", study.error());
                           auto trials = study->trials();
                           if (!trials)
                               return reportError("studies", trials.error());
                           int complete = 0, failed = 0;
                           for (const auto& tr : *trials) {
                               complete += tr.state == tuner::TrialState::Complete;
                               failed += tr.state == tuner::TrialState::Failed;
                           }
                           auto best = study->options().objectives.size() == 1
                               ? study->best()
                               : Result<tuner::Trial>(fail(ErrorCode::NotFound, "multi-objective", LWB_WHERE));
                           t.rows.push_back(
                               {name, std::to_string(trials->size()), std::to_string(complete), std::to_string(failed),
                                   best && !best->values.empty() ? valueText(best->values[0]) : ""});
                       }
                       std::cout << formatTable(t, studiesArgs->format);
                       return 0;
                   }});

    auto trialsArgs = std::make_shared<StudyArgs>();
    CLI::App* trials = app.add_subcommand("trials", "List the trials of a study");
    addCommon(trials, *trialsArgs);
    trials->add_option("--state", trialsArgs->state, "Only trials in this state (COMPLETE, FAILED, ...)");
    out.push_back({trials, [trialsArgs] {
                       auto study = openStudy(*trialsArgs);
                       if (!study)
                           return reportError("trials", study.error());
                       auto list = study->trials();
                       if (!list)
                           return reportError("trials", list.error());
                       std::vector<tuner::Trial> shown;
                       for (auto& t : *list)
                           if (trialsArgs->state.empty() || tuner::trialStateName(t.state) == trialsArgs->state)
                               shown.push_back(std::move(t));
                       std::cout << formatTable(trialTable(*study, shown), trialsArgs->format);
                       return 0;
                   }});

    auto bestArgs = std::make_shared<StudyArgs>();
    CLI::App* best = app.add_subcommand("best", "The best trial (or the Pareto front) of a study");
    addCommon(best, *bestArgs);
    out.push_back({best, [bestArgs] {
                       auto study = openStudy(*bestArgs);
                       if (!study)
                           return reportError("best", study.error());
                       std::vector<tuner::Trial> shown;
                       if (study->options().objectives.size() == 1) {
                           auto b = study->best();
                           if (!b) {
                               std::fprintf(stderr, "lwb best: %s\n", b.error().message.c_str());
                               return workbench::toInt(ExitCode::NothingFeasible);
                           }
                           shown.push_back(std::move(*b));
                       } else {
                           auto front = study->paretoFront();
                           if (!front)
                               return reportError("best", front.error());
                           if (front->empty()) {
                               std::fprintf(stderr, "lwb best: no completed trial meets the constraints\n");
                               return workbench::toInt(ExitCode::NothingFeasible);
                           }
                           shown = std::move(*front);
                       }
                       std::cout << formatTable(trialTable(*study, shown), bestArgs->format);
                       return 0;
                   }});
    return out;
}

} // namespace lwb::cli

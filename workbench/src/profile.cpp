// Tuned profile JSON (see profile.h): writing, and reading with errors that name the field.
#include "lwb/workbench/profile.h"

#include "lwb/core/version.h"

#include <fmt/core.h>

namespace lwb::workbench {
namespace {

Json entryToJson(const ProfileEntry& e)
{
    Json metrics = Json::object();
    for (const auto& [name, value] : e.values)
        metrics[name] = {{"value", value}};
    for (const auto& [name, samples] : e.samples)
        metrics[name]["samples"] = samples;
    Json out {{"config", e.config}, {"metrics", metrics}, {"trial_number", e.trialNumber}};
    if (!e.opMillisPerStep.empty())
        out["op_ms_per_step"] = e.opMillisPerStep;
    return out;
}

Result<ProfileEntry> entryFromJson(const Json& j, const std::string& where)
{
    auto bad
        = [&](const std::string& what) { return fail(ErrorCode::InvalidArgument, where + ": " + what, LWB_WHERE); };
    if (!j.is_object())
        return bad("must be an object");
    ProfileEntry e;
    if (!j.contains("config") || !j["config"].is_object())
        return bad("config is missing or not an object");
    e.config = j["config"];
    if (!j.contains("metrics") || !j["metrics"].is_object())
        return bad("metrics is missing or not an object");
    for (const auto& [name, m] : j["metrics"].items()) {
        if (!m.is_object())
            return bad("metrics." + name + " must be an object");
        if (m.contains("value")) {
            if (!m["value"].is_number())
                return bad("metrics." + name + ".value must be a number");
            e.values[name] = m["value"].get<double>();
        }
        if (m.contains("samples")) {
            if (!m["samples"].is_array())
                return bad("metrics." + name + ".samples must be a list of numbers");
            for (const auto& s : m["samples"]) {
                if (!s.is_number())
                    return bad("metrics." + name + ".samples must be a list of numbers");
                e.samples[name].push_back(s.get<double>());
            }
        }
    }
    if (j.contains("trial_number")) {
        if (!j["trial_number"].is_number_integer())
            return bad("trial_number must be an integer");
        e.trialNumber = j["trial_number"].get<std::int64_t>();
    }
    if (j.contains("op_ms_per_step")) {
        if (!j["op_ms_per_step"].is_object())
            return bad("op_ms_per_step must be an object");
        for (const auto& [op, ms] : j["op_ms_per_step"].items()) {
            if (!ms.is_number())
                return bad("op_ms_per_step." + op + " must be a number");
            e.opMillisPerStep[op] = ms.get<double>();
        }
    }
    return e;
}

} // namespace

Json TunedProfile::toJson() const
{
    Json paretoJson = Json::array();
    for (const auto& e : pareto)
        paretoJson.push_back(entryToJson(e));
    Json out {{"format", kProfileFormat}, {"version", version}, {"study", studyName}, {"workload", workload},
        {"objectives", objectives}, {"best", entryToJson(best)}, {"spec", spec}, {"fingerprint", fingerprint.toJson()},
        {"provenance", provenance}};
    if (!pareto.empty())
        out["pareto"] = paretoJson;
    return out;
}

Result<TunedProfile> TunedProfile::fromJson(const Json& json, const std::string& origin)
{
    auto bad
        = [&](const std::string& what) { return fail(ErrorCode::InvalidArgument, origin + ": " + what, LWB_WHERE); };
    if (!json.is_object())
        return bad("a tuned profile must be a JSON object");
    if (json.value("format", "") != kProfileFormat)
        return bad(fmt::format("not a tuned profile (format must be \"{}\")", kProfileFormat));
    if (!json.contains("version") || !json["version"].is_number_integer())
        return bad("version is missing or not an integer");
    TunedProfile p;
    p.version = json["version"].get<int>();
    if (p.version > kProfileVersion)
        return fail(ErrorCode::VersionTooNew,
            fmt::format("{}: profile version {} was written by a newer Lepton Workbench (this build reads up to {})",
                origin, p.version, kProfileVersion),
            LWB_WHERE);
    if (p.version < 1)
        return bad("version must be at least 1");
    if (!json.contains("workload") || !json["workload"].is_string())
        return bad("workload is missing or not a string");
    p.workload = json["workload"].get<std::string>();
    p.studyName = json.value("study", "");
    if (!json.contains("objectives") || !json["objectives"].is_array() || json["objectives"].empty())
        return bad("objectives is missing or empty");
    for (const auto& o : json["objectives"]) {
        if (!o.is_string())
            return bad("objectives must be strings like tokens_per_s:max");
        p.objectives.push_back(o.get<std::string>());
    }
    if (!json.contains("best"))
        return bad("best is missing");
    LWB_ASSIGN_OR_RETURN(p.best, entryFromJson(json["best"], origin + ": best"));
    if (json.contains("pareto")) {
        if (!json["pareto"].is_array())
            return bad("pareto must be a list");
        for (std::size_t i = 0; i < json["pareto"].size(); ++i) {
            LWB_ASSIGN_OR_RETURN(auto e, entryFromJson(json["pareto"][i], fmt::format("{}: pareto[{}]", origin, i)));
            p.pareto.push_back(std::move(e));
        }
    }
    if (json.contains("spec")) {
        if (!json["spec"].is_object())
            return bad("spec must be an object");
        p.spec = json["spec"];
    }
    if (!json.contains("fingerprint"))
        return bad("fingerprint is missing");
    auto fp = HardwareFingerprint::fromJson(json["fingerprint"]);
    if (!fp)
        return bad(fp.error().message);
    p.fingerprint = std::move(*fp);
    p.provenance = json.value("provenance", Json::object());
    return p;
}

Result<TunedProfile> TunedProfile::load(const std::filesystem::path& path)
{
    LWB_ASSIGN_OR_RETURN(Json json, readJsonFile(path));
    return fromJson(json, path.string());
}

Status TunedProfile::save(const std::filesystem::path& path) const
{
    return writeFileAtomic(path, toJson().dump(2) + "\n");
}

} // namespace lwb::workbench

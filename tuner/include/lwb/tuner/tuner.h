// lwb::tuner: search spaces, ask/tell studies, samplers (random, Sobol, grid, GP-BO), pruners and
// storages. Including this header brings in the whole public API.
#pragma once

#include "lwb/tuner/objective.h"
#include "lwb/tuner/param.h"
#include "lwb/tuner/pareto.h"
#include "lwb/tuner/pruner.h"
#include "lwb/tuner/sampler.h"
#include "lwb/tuner/search_space.h"
#include "lwb/tuner/sqlite_storage.h"
#include "lwb/tuner/storage.h"
#include "lwb/tuner/study.h"
#include "lwb/tuner/trial.h"

namespace lwb::tuner {
/// Version of the tuner's tables in the study file (its migration runner's latest).
int storageSchemaVersion();
} // namespace lwb::tuner

// lwb::tuner: search spaces, ask/tell studies, samplers (random, Sobol, grid, GP-BO), pruners and
// storages. This header names the module's version; the parts have their own headers.
#pragma once

namespace lwb::tuner {
/// Version of the tuner's tables in the study file (its migration runner's latest).
int storageSchemaVersion();
} // namespace lwb::tuner

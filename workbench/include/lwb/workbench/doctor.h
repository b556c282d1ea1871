// `lwb doctor`: the hardware fingerprint plus which backends and capture sources are usable here
// and why not, as JSON or text.
#pragma once

#include "lwb/core/hardware.h"
#include "lwb/core/json_yaml.h"

#include <string>

namespace lwb::workbench {

/// Fingerprint, backends and capture sources (collects the fingerprint with the driver probe).
Json doctorReport(const CudaProbe& probe);
Json doctorReport();
/// Human-readable rendering of doctorReport().
std::string formatDoctorText(const Json& report);

} // namespace lwb::workbench

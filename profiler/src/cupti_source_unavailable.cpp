// CuptiSource in builds without the CUDA toolkit: create() explains why capture is unavailable.
#include "lwb/profiler/cupti_source.h"

namespace lwb::profiler {

bool CuptiSource::compiled()
{
    return false;
}

Result<std::unique_ptr<CuptiSource>> CuptiSource::create(CuptiOptions options)
{
    (void)options;
    return fail(ErrorCode::Unavailable,
        "CUPTI unavailable because this build has no CUDA toolkit (configure with -DLWB_CUDA=ON)", LWB_WHERE);
}

Result<std::unique_ptr<CuptiSource>> CuptiSource::create(CuptiOptions options, const CudaProbe& probe)
{
    (void)probe;
    return create(std::move(options));
}

} // namespace lwb::profiler

// The reference CPU kernels: kernels_impl.h compiled for baseline x86-64 (and any other CPU).
#include "cpu/kernels.h"

namespace lwb::engine::cpu {
namespace generic {
namespace {
#define LWB_KERNEL_ISA_NAME "generic"
#include "cpu/kernels_impl.h"
} // namespace
} // namespace generic

const KernelTable& genericKernels()
{
    return generic::kTable;
}

} // namespace lwb::engine::cpu

// The AVX-512 CPU kernels: kernels_impl.h compiled with -mavx512f/bw/vl/dq, FMA contraction and
// 512-bit vectors (flags set on this file in engine/CMakeLists.txt). Only called after the
// backend has checked the CPU's features.
#include "cpu/kernels.h"

#include <immintrin.h>

// GCC 12 reports its own intrinsics' _mm512_undefined_ps() idiom as maybe-uninitialized.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

namespace lwb::engine::cpu {
namespace avx512 {
namespace {
#define LWB_KERNEL_ISA_NAME "avx512"
#include "cpu/kernels_impl.h"
} // namespace
} // namespace avx512

const KernelTable& avx512Kernels()
{
    return avx512::kTable;
}

} // namespace lwb::engine::cpu

// CPU kernels behind the CPU backend's ops: plain C-style functions over raw pointers, one
// table per instruction set. kernels_impl.h holds the single source; it is compiled twice, as
// the portable reference (kernels_generic.cpp) and with AVX-512 (kernels_avx512.cpp), and the
// backend picks a table at run time from the CPU's features. Each kernel works on a range of
// rows/items so that the backend can split it over its thread pool deterministically.
// bf16 values are stored as uint16_t; a kernel writes F32 or BF16 output depending on which of
// the two output pointers is non-null.
#pragma once

#include <cstdint>

namespace lwb::engine::cpu {

using i64 = std::int64_t;
using bf16 = std::uint16_t;

struct LayernormArgs {
    const float* inp; ///< [N,C]; with `addend` the input is inp + addend, written to `residual`
    const float* addend; ///< null unless fused residual
    float* residual; ///< fused residual output (may alias inp)
    const float* weight;
    const float* bias;
    float* outF32;
    bf16* outBf16;
    float* mean; ///< [N] or null
    float* rstd; ///< [N] or null
    i64 C;
};

struct LayernormBackwardArgs {
    float* dinp; ///< [N,C]
    int accumulate; ///< 1: dinp += ...
    const float* dout;
    const float* inp;
    const float* weight;
    const float* mean;
    const float* rstd;
    i64 C;
};

struct AttentionArgs {
    i64 B, T, C, NH;
    const float* qkv; ///< [B,T,3C]
    float* att; ///< [B,NH,T,T]
    float* outF32; ///< [B,T,C]
    bf16* outBf16;
};

struct AttentionBackwardArgs {
    i64 B, T, C, NH;
    const float* qkv;
    float* att; ///< probabilities in, used as scratch
    const float* dout; ///< [B,T,C]
    float* dqkvF32;
    bf16* dqkvBf16;
};

struct KvCacheArgs {
    i64 B, T, C, NH, Tmax, pos;
    const float* qkv; ///< [B,T,3C]
    void* kCache; ///< [B,NH,hs,Tmax] (keys transposed), F32 or BF16 (bf16Cache)
    void* vCache; ///< [B,NH,Tmax,hs]
    int bf16Cache;
    float* scores; ///< [B,NH,T,pos+T]
    float* outF32;
    bf16* outBf16;
};

struct CrossEntropyArgs {
    const float* logits; ///< [M,Vp]
    const std::int32_t* targets;
    float* losses;
    float* dlogitsF32; ///< may alias logits
    bf16* dlogitsBf16;
    i64 V, Vp;
    float scale;
};

struct AdamWArgs {
    float* param;
    const float* grad;
    float* m;
    float* v;
    float lr, beta1, beta2, eps, weightDecay, gradScale, biasCorrection1, biasCorrection2;
};

struct KernelTable {
    const char* isa;
    void (*f32ToBf16)(bf16* dst, const float* src, i64 n);
    void (*bf16ToF32)(float* dst, const bf16* src, i64 n);
    void (*add)(float* dst, const float* a, const float* b, i64 n);
    void (*scaleInPlace)(float* x, float s, i64 n);
    void (*embeddingForward)(float* out, const std::int32_t* tokens, const float* wte, const float* wpe, i64 T, i64 C,
        i64 posOffset, i64 r0, i64 r1);
    /// dwte rows [v0, v1) += dout rows whose token is in that range, in token order.
    void (*embeddingBackwardWte)(
        float* dwte, const float* dout, const std::int32_t* tokens, i64 N, i64 C, i64 v0, i64 v1);
    /// dwpe rows [t0, t1) += sum over b of dout[b, t].
    void (*embeddingBackwardWpe)(float* dwpe, const float* dout, i64 B, i64 T, i64 C, i64 t0, i64 t1);
    void (*layernormForward)(const LayernormArgs& a, i64 r0, i64 r1);
    /// Also accumulates dweight/dbias partial sums for rows [r0, r1) into dw/db (length C).
    void (*layernormBackward)(const LayernormBackwardArgs& a, i64 r0, i64 r1, float* dw, float* db);
    void (*geluForward)(float* outF32, bf16* outBf16, const float* inp, i64 i0, i64 i1);
    void (*geluBackward)(float* dinpF32, bf16* dinpBf16, const float* inp, const float* dout, i64 i0, i64 i1);
    /// (b, h) pairs [p0, p1); workspace: attentionWorkspaceFloats(T, hs).
    void (*attentionForward)(const AttentionArgs& a, i64 p0, i64 p1, float* workspace);
    void (*attentionBackward)(const AttentionBackwardArgs& a, i64 p0, i64 p1, float* workspace);
    void (*attentionKvCache)(const KvCacheArgs& a, i64 p0, i64 p1);
    /// Column sums of dout [M,N] (F32 or BF16) for columns [n0, n1) into dbias (+= when accumulate).
    void (*biasGrad)(
        float* dbias, const float* doutF32, const bf16* doutBf16, i64 M, i64 N, i64 n0, i64 n1, int accumulate);
    void (*crossEntropy)(const CrossEntropyArgs& a, i64 r0, i64 r1);
    void (*argmax)(std::int32_t* out, const float* logits, i64 V, i64 Vp, i64 r0, i64 r1);
    void (*adamw)(const AdamWArgs& a, i64 i0, i64 i1);
    double (*sumSquares)(const float* x, i64 n);
    /// Symmetric int8 per row: scale[r] = absmax / 127, dst = round(src / scale).
    void (*quantizeRows)(std::int8_t* dst, float* scale, const float* src, i64 K, i64 ldSrc, i64 r0, i64 r1);
    /// out[r, n] = acc[r, n] * rowScale[r] * colScale[n] (+ bias[n]) (+ out when accumulate), n in [n0, n1).
    void (*dequantize)(float* out, i64 ldOut, const float* acc, i64 ldAcc, const float* rowScale, const float* colScale,
        const float* bias, i64 n0, i64 n1, i64 r0, i64 r1, int accumulate);
};

/// Workspace floats per thread for the attention kernels with sequence length T, head size hs.
inline i64 attentionWorkspaceFloats(i64 T, i64 hs)
{
    return 4 * hs * T + 4 * T + 4 * hs + 64;
}

const KernelTable& genericKernels();
/// The AVX-512 table (F, BW, VL, DQ); only valid when the CPU has those features.
const KernelTable& avx512Kernels();

} // namespace lwb::engine::cpu

// The CPU kernels, written once as portable loops shaped for the auto-vectoriser (16-lane
// partial sums, fixed 4x16 register blocks, compile-time head sizes), included by
// kernels_generic.cpp (baseline x86-64: the reference) and kernels_avx512.cpp (compiled with
// -mavx512f/bw/vl/dq and FMA contraction). Deliberately includes no standard-library header, so
// nothing compiled with AVX-512 here can leak into generic code through a shared inline symbol.
//
// Notation: N rows (tokens) of C channels; attention per (b, h) pair with head size hs,
// q/k/v rows at qkv + (b*T + t)*3C + {0, C, 2C} + h*hs; scores scaled by 1/sqrt(hs).
// Numerics: fp32 everywhere; exp via a degree-6 polynomial of 2^f (rel. error < 2e-7);
// GELU-tanh as x * sigmoid(2u) (identical to 0.5x(1 + tanh u)); reductions use 16 partial sums.

// Included inside `namespace lwb::engine::cpu::<isa> { namespace {` by the two .cpp files.

#define LWB_KINLINE inline __attribute__((always_inline))

constexpr int kLanes = 16;
constexpr int kRowBlock = 4;

LWB_KINLINE i64 minI(i64 a, i64 b)
{
    return a < b ? a : b;
}

LWB_KINLINE bf16 toBf16(float value)
{
    std::uint32_t bits;
    __builtin_memcpy(&bits, &value, 4);
    std::uint32_t rounded = (bits + 0x7fffu + ((bits >> 16) & 1u)) >> 16;
    std::uint32_t nan = (bits >> 16) | 0x40u;
    return static_cast<bf16>((bits & 0x7fffffffu) > 0x7f800000u ? nan : rounded);
}

LWB_KINLINE float fromBf16(bf16 value)
{
    std::uint32_t bits = static_cast<std::uint32_t>(value) << 16;
    float out;
    __builtin_memcpy(&out, &bits, 4);
    return out;
}

LWB_KINLINE float expApprox(float x)
{
    x = x < -87.0f ? -87.0f : x;
    x = x > 88.0f ? 88.0f : x;
    float t = x * 1.44269504088896341f;
    float r = (t + 12582912.0f) - 12582912.0f; // round to nearest integer
    float f = t - r; // [-0.5, 0.5]
    float p = 1.535336188319500e-4f;
    p = p * f + 1.339887440266574e-3f;
    p = p * f + 9.618437357674640e-3f;
    p = p * f + 5.550332471162809e-2f;
    p = p * f + 2.402264791363012e-1f;
    p = p * f + 6.931472028550421e-1f;
    p = p * f + 1.0f;
    std::int32_t bits;
    __builtin_memcpy(&bits, &p, 4);
    bits += static_cast<std::int32_t>(r) * (1 << 23);
    __builtin_memcpy(&p, &bits, 4);
    return p;
}

constexpr float kGeluScale = 0.7978845608028654f; // sqrt(2/pi)
constexpr float kGeluCubic = 0.044715f;

LWB_KINLINE float geluSigmoid(float x)
{
    float u = kGeluScale * (x + kGeluCubic * x * x * x);
    return 1.0f / (1.0f + expApprox(-2.0f * u));
}

LWB_KINLINE float sumOf(const float* x, i64 n)
{
    float acc[kLanes] = {};
    i64 i = 0;
    for (; i + kLanes <= n; i += kLanes)
        for (int j = 0; j < kLanes; ++j)
            acc[j] += x[i + j];
    float s = 0;
    for (; i < n; ++i)
        s += x[i];
    for (int j = 0; j < kLanes; ++j)
        s += acc[j];
    return s;
}

LWB_KINLINE float dotOf(const float* x, const float* y, i64 n)
{
    float acc[kLanes] = {};
    i64 i = 0;
    for (; i + kLanes <= n; i += kLanes)
        for (int j = 0; j < kLanes; ++j)
            acc[j] += x[i + j] * y[i + j];
    float s = 0;
    for (; i < n; ++i)
        s += x[i] * y[i];
    for (int j = 0; j < kLanes; ++j)
        s += acc[j];
    return s;
}

LWB_KINLINE float maxOf(const float* x, i64 n)
{
    float acc[kLanes];
    for (int j = 0; j < kLanes; ++j)
        acc[j] = -3.0e38f;
    i64 i = 0;
    for (; i + kLanes <= n; i += kLanes)
        for (int j = 0; j < kLanes; ++j)
            acc[j] = x[i + j] > acc[j] ? x[i + j] : acc[j];
    float m = -3.0e38f;
    for (; i < n; ++i)
        m = x[i] > m ? x[i] : m;
    for (int j = 0; j < kLanes; ++j)
        m = acc[j] > m ? acc[j] : m;
    return m;
}

LWB_KINLINE float toF32(float x)
{
    return x;
}
LWB_KINLINE float toF32(bf16 x)
{
    return fromBf16(x);
}
LWB_KINLINE void fromF32(float& dst, float x)
{
    dst = x;
}
LWB_KINLINE void fromF32(bf16& dst, float x)
{
    dst = toBf16(x);
}

LWB_KINLINE void storeRow(float* outF32, bf16* outBf16, const float* src, i64 n)
{
    if (outBf16) {
        for (i64 i = 0; i < n; ++i)
            outBf16[i] = toBf16(src[i]);
    } else {
        for (i64 i = 0; i < n; ++i)
            outF32[i] = src[i];
    }
}

// ---- conversions and elementwise ------------------------------------------------------------

void kF32ToBf16(bf16* dst, const float* src, i64 n)
{
    for (i64 i = 0; i < n; ++i)
        dst[i] = toBf16(src[i]);
}

void kBf16ToF32(float* dst, const bf16* src, i64 n)
{
    for (i64 i = 0; i < n; ++i)
        dst[i] = fromBf16(src[i]);
}

void kAdd(float* dst, const float* a, const float* b, i64 n)
{
    for (i64 i = 0; i < n; ++i)
        dst[i] = a[i] + b[i];
}

void kScaleInPlace(float* x, float s, i64 n)
{
    for (i64 i = 0; i < n; ++i)
        x[i] *= s;
}

// ---- embedding -------------------------------------------------------------------------------

void kEmbeddingForward(float* out, const std::int32_t* tokens, const float* wte, const float* wpe, i64 T, i64 C,
    i64 posOffset, i64 r0, i64 r1)
{
    for (i64 r = r0; r < r1; ++r) {
        const float* te = wte + static_cast<i64>(tokens[r]) * C;
        const float* pe = wpe + (posOffset + r % T) * C;
        float* o = out + r * C;
        for (i64 c = 0; c < C; ++c)
            o[c] = te[c] + pe[c];
    }
}

void kEmbeddingBackwardWte(float* dwte, const float* dout, const std::int32_t* tokens, i64 N, i64 C, i64 v0, i64 v1)
{
    for (i64 r = 0; r < N; ++r) {
        i64 tok = tokens[r];
        if (tok < v0 || tok >= v1)
            continue;
        float* d = dwte + tok * C;
        const float* g = dout + r * C;
        for (i64 c = 0; c < C; ++c)
            d[c] += g[c];
    }
}

void kEmbeddingBackwardWpe(float* dwpe, const float* dout, i64 B, i64 T, i64 C, i64 t0, i64 t1)
{
    for (i64 t = t0; t < t1; ++t) {
        float* d = dwpe + t * C;
        for (i64 b = 0; b < B; ++b) {
            const float* g = dout + (b * T + t) * C;
            for (i64 c = 0; c < C; ++c)
                d[c] += g[c];
        }
    }
}

// ---- layernorm -------------------------------------------------------------------------------

void kLayernormForward(const LayernormArgs& a, i64 r0, i64 r1)
{
    const i64 C = a.C;
    const float invC = 1.0f / static_cast<float>(C);
    for (i64 r = r0; r < r1; ++r) {
        const float* x = a.inp + r * C;
        if (a.addend) {
            const float* y = a.addend + r * C;
            float* res = a.residual + r * C;
            for (i64 c = 0; c < C; ++c)
                res[c] = x[c] + y[c];
            x = res;
        }
        float mean = sumOf(x, C) * invC;
        float acc[kLanes] = {};
        i64 c = 0;
        for (; c + kLanes <= C; c += kLanes)
            for (int j = 0; j < kLanes; ++j) {
                float d = x[c + j] - mean;
                acc[j] += d * d;
            }
        float var = 0;
        for (; c < C; ++c)
            var += (x[c] - mean) * (x[c] - mean);
        for (int j = 0; j < kLanes; ++j)
            var += acc[j];
        var *= invC;
        float rstd = 1.0f / __builtin_sqrtf(var + 1e-5f);
        if (a.mean) {
            a.mean[r] = mean;
            a.rstd[r] = rstd;
        }
        if (a.outBf16) {
            bf16* o = a.outBf16 + r * C;
            for (i64 i = 0; i < C; ++i)
                o[i] = toBf16((x[i] - mean) * rstd * a.weight[i] + a.bias[i]);
        } else {
            float* o = a.outF32 + r * C;
            for (i64 i = 0; i < C; ++i)
                o[i] = (x[i] - mean) * rstd * a.weight[i] + a.bias[i];
        }
    }
}

void kLayernormBackward(const LayernormBackwardArgs& a, i64 r0, i64 r1, float* dw, float* db)
{
    const i64 C = a.C;
    const float invC = 1.0f / static_cast<float>(C);
    for (i64 r = r0; r < r1; ++r) {
        const float* g = a.dout + r * C;
        const float* x = a.inp + r * C;
        const float mean = a.mean[r];
        const float rstd = a.rstd[r];
        float accA[kLanes] = {};
        float accB[kLanes] = {};
        i64 c = 0;
        for (; c + kLanes <= C; c += kLanes)
            for (int j = 0; j < kLanes; ++j) {
                float norm = (x[c + j] - mean) * rstd;
                float dnorm = a.weight[c + j] * g[c + j];
                accA[j] += dnorm;
                accB[j] += dnorm * norm;
            }
        float sumA = 0, sumB = 0;
        for (; c < C; ++c) {
            float norm = (x[c] - mean) * rstd;
            float dnorm = a.weight[c] * g[c];
            sumA += dnorm;
            sumB += dnorm * norm;
        }
        for (int j = 0; j < kLanes; ++j) {
            sumA += accA[j];
            sumB += accB[j];
        }
        const float dnormMean = sumA * invC;
        const float dnormNormMean = sumB * invC;
        float* di = a.dinp + r * C;
        if (a.accumulate) {
            for (i64 i = 0; i < C; ++i) {
                float norm = (x[i] - mean) * rstd;
                di[i] += (a.weight[i] * g[i] - dnormMean - norm * dnormNormMean) * rstd;
            }
        } else {
            for (i64 i = 0; i < C; ++i) {
                float norm = (x[i] - mean) * rstd;
                di[i] = (a.weight[i] * g[i] - dnormMean - norm * dnormNormMean) * rstd;
            }
        }
        for (i64 i = 0; i < C; ++i) {
            float norm = (x[i] - mean) * rstd;
            db[i] += g[i];
            dw[i] += norm * g[i];
        }
    }
}

// ---- GELU ------------------------------------------------------------------------------------

void kGeluForward(float* outF32, bf16* outBf16, const float* inp, i64 i0, i64 i1)
{
    if (outBf16) {
        for (i64 i = i0; i < i1; ++i)
            outBf16[i] = toBf16(inp[i] * geluSigmoid(inp[i]));
    } else {
        for (i64 i = i0; i < i1; ++i)
            outF32[i] = inp[i] * geluSigmoid(inp[i]);
    }
}

LWB_KINLINE float geluGrad(float x)
{
    float s = geluSigmoid(x);
    float du = kGeluScale * (1.0f + 3.0f * kGeluCubic * x * x);
    return s + x * s * (1.0f - s) * 2.0f * du;
}

void kGeluBackward(float* dinpF32, bf16* dinpBf16, const float* inp, const float* dout, i64 i0, i64 i1)
{
    if (dinpBf16) {
        for (i64 i = i0; i < i1; ++i)
            dinpBf16[i] = toBf16(dout[i] * geluGrad(inp[i]));
    } else {
        for (i64 i = i0; i < i1; ++i)
            dinpF32[i] = dout[i] * geluGrad(inp[i]);
    }
}

#include "cpu/kernels_attention_impl.h"

// ---- matmul helpers --------------------------------------------------------------------------

void kBiasGrad(float* dbias, const float* doutF32, const bf16* doutBf16, i64 M, i64 N, i64 n0, i64 n1, int accumulate)
{
    float* d = dbias + n0;
    const i64 n = n1 - n0;
    if (!accumulate)
        for (i64 j = 0; j < n; ++j)
            d[j] = 0;
    for (i64 m = 0; m < M; ++m) {
        if (doutBf16) {
            const bf16* row = doutBf16 + m * N + n0;
            for (i64 j = 0; j < n; ++j)
                d[j] += fromBf16(row[j]);
        } else {
            const float* row = doutF32 + m * N + n0;
            for (i64 j = 0; j < n; ++j)
                d[j] += row[j];
        }
    }
}

void kQuantizeRows(std::int8_t* dst, float* scale, const float* src, i64 K, i64 ldSrc, i64 r0, i64 r1)
{
    for (i64 r = r0; r < r1; ++r) {
        const float* x = src + r * ldSrc;
        float acc[kLanes] = {};
        i64 k = 0;
        for (; k + kLanes <= K; k += kLanes)
            for (int j = 0; j < kLanes; ++j) {
                float v = x[k + j] < 0 ? -x[k + j] : x[k + j];
                acc[j] = v > acc[j] ? v : acc[j];
            }
        float amax = 0;
        for (; k < K; ++k) {
            float v = x[k] < 0 ? -x[k] : x[k];
            amax = v > amax ? v : amax;
        }
        for (int j = 0; j < kLanes; ++j)
            amax = acc[j] > amax ? acc[j] : amax;
        const float s = amax > 0 ? amax / 127.0f : 1.0f;
        const float inv = amax > 0 ? 127.0f / amax : 0.0f;
        scale[r] = s;
        std::int8_t* o = dst + r * K;
        for (i64 i = 0; i < K; ++i) {
            float v = x[i] * inv;
            v = v > 127.0f ? 127.0f : (v < -127.0f ? -127.0f : v);
            v += v >= 0 ? 0.5f : -0.5f;
            o[i] = static_cast<std::int8_t>(static_cast<std::int32_t>(v));
        }
    }
}

void kDequantize(float* out, i64 ldOut, const float* acc, i64 ldAcc, const float* rowScale, const float* colScale,
    const float* bias, i64 n0, i64 n1, i64 r0, i64 r1, int accumulate)
{
    for (i64 r = r0; r < r1; ++r) {
        const float rs = rowScale[r];
        float* o = out + r * ldOut;
        const float* in = acc + r * ldAcc;
        for (i64 n = n0; n < n1; ++n) {
            float v = in[n] * rs * colScale[n] + (bias ? bias[n] : 0.0f);
            o[n] = accumulate ? o[n] + v : v;
        }
    }
}

// ---- loss, sampling, optimiser ---------------------------------------------------------------

void kCrossEntropy(const CrossEntropyArgs& a, i64 r0, i64 r1)
{
    for (i64 r = r0; r < r1; ++r) {
        const float* x = a.logits + r * a.Vp;
        const float m = maxOf(x, a.V);
        float acc[kLanes] = {};
        i64 i = 0;
        for (; i + kLanes <= a.V; i += kLanes)
            for (int j = 0; j < kLanes; ++j)
                acc[j] += expApprox(x[i + j] - m);
        float sum = 0;
        for (; i < a.V; ++i)
            sum += expApprox(x[i] - m);
        for (int j = 0; j < kLanes; ++j)
            sum += acc[j];
        const i64 target = a.targets[r];
        a.losses[r] = __builtin_logf(sum) + m - x[target];
        if (!a.dlogitsF32 && !a.dlogitsBf16)
            continue;
        const float inv = 1.0f / sum;
        const float xt = x[target];
        if (a.dlogitsBf16) {
            bf16* d = a.dlogitsBf16 + r * a.Vp;
            for (i64 v = 0; v < a.V; ++v)
                d[v] = toBf16(a.scale * expApprox(x[v] - m) * inv);
            d[target] = toBf16(a.scale * (expApprox(xt - m) * inv - 1.0f));
            for (i64 v = a.V; v < a.Vp; ++v)
                d[v] = 0;
        } else {
            float* d = a.dlogitsF32 + r * a.Vp;
            for (i64 v = 0; v < a.V; ++v)
                d[v] = a.scale * expApprox(x[v] - m) * inv;
            d[target] = a.scale * (expApprox(xt - m) * inv - 1.0f);
            for (i64 v = a.V; v < a.Vp; ++v)
                d[v] = 0;
        }
    }
}

void kArgmax(std::int32_t* out, const float* logits, i64 V, i64 Vp, i64 r0, i64 r1)
{
    for (i64 r = r0; r < r1; ++r) {
        const float* x = logits + r * Vp;
        i64 best = 0;
        for (i64 v = 1; v < V; ++v)
            if (x[v] > x[best])
                best = v;
        out[r] = static_cast<std::int32_t>(best);
    }
}

void kAdamW(const AdamWArgs& a, i64 i0, i64 i1)
{
    const float stepSize = a.lr / a.biasCorrection1;
    const float invSqrtBc2 = 1.0f / __builtin_sqrtf(a.biasCorrection2);
    const float decay = 1.0f - a.lr * a.weightDecay;
    for (i64 i = i0; i < i1; ++i) {
        const float g = a.grad[i] * a.gradScale;
        const float m = a.beta1 * a.m[i] + (1.0f - a.beta1) * g;
        const float v = a.beta2 * a.v[i] + (1.0f - a.beta2) * g * g;
        a.m[i] = m;
        a.v[i] = v;
        const float denom = __builtin_sqrtf(v) * invSqrtBc2 + a.eps;
        a.param[i] = a.param[i] * decay - stepSize * m / denom;
    }
}

double kSumSquares(const float* x, i64 n)
{
    double acc[8] = {};
    i64 i = 0;
    for (; i + 8 <= n; i += 8)
        for (int j = 0; j < 8; ++j)
            acc[j] += static_cast<double>(x[i + j]) * static_cast<double>(x[i + j]);
    double s = 0;
    for (; i < n; ++i)
        s += static_cast<double>(x[i]) * static_cast<double>(x[i]);
    for (int j = 0; j < 8; ++j)
        s += acc[j];
    return s;
}

const KernelTable kTable = {
    LWB_KERNEL_ISA_NAME,
    kF32ToBf16,
    kBf16ToF32,
    kAdd,
    kScaleInPlace,
    kEmbeddingForward,
    kEmbeddingBackwardWte,
    kEmbeddingBackwardWpe,
    kLayernormForward,
    kLayernormBackward,
    kGeluForward,
    kGeluBackward,
    kAttentionForward,
    kAttentionBackward,
    kAttentionKvCache,
    kBiasGrad,
    kCrossEntropy,
    kArgmax,
    kAdamW,
    kSumSquares,
    kQuantizeRows,
    kDequantize,
};

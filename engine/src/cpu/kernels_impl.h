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

#if defined(__AVX512F__)
#include "cpu/kernels_avx512_blocks.h"
#endif

// ---- attention building blocks ---------------------------------------------------------------
// R query rows at a time (4 in the bulk, 1 for tails and decode); HS > 0 is a compile-time head
// size (register-resident accumulators), HS == 0 the runtime fallback.

/// out[i][j] = sum_d rows[i][d] * bt[d * ldb + j] for i < R, j < kLanes (bt: float or bf16).
template <int HS, int R, typename E>
LWB_KINLINE void dotBlock(float (&out)[R][kLanes], const float* const* rows, const E* bt, i64 ldb, i64 hsRuntime)
{
    const i64 hs = HS > 0 ? HS : hsRuntime;
    float acc[R][kLanes] = {};
    for (i64 d = 0; d < hs; ++d) {
        const E* b = bt + d * ldb;
        for (int i = 0; i < R; ++i) {
            const float av = rows[i][d];
            for (int j = 0; j < kLanes; ++j)
                acc[i][j] += av * toF32(b[j]);
        }
    }
    for (int i = 0; i < R; ++i)
        for (int j = 0; j < kLanes; ++j)
            out[i][j] = acc[i][j];
}

template <typename E> LWB_KINLINE float dotStrided(const float* a, const E* bt, i64 ldb, i64 hs)
{
    float s = 0;
    for (i64 d = 0; d < hs; ++d)
        s += a[d] * toF32(bt[d * ldb]);
    return s;
}

/// Transposes `rows` rows of length hs (row stride ld) into dst[d * ldDst + s].
LWB_KINLINE void transposeRows(float* dst, i64 ldDst, const float* src, i64 ld, i64 rows, i64 hs)
{
    i64 first = 0;
#if defined(__AVX512F__)
    first = avxTransposeRows(dst, ldDst, src, ld, rows, hs);
#endif
    for (i64 s = first; s < rows; ++s) {
        const float* row = src + s * ld;
        for (i64 d = 0; d < hs; ++d)
            dst[d * ldDst + s] = row[d];
    }
}

/// out[i][s] = scale * rows[i] . bt[:, s] for s in [0, count).
template <int HS, int R, typename E = float>
LWB_KINLINE void scoreRows(
    float* const* out, const float* const* rows, const E* bt, i64 ldb, i64 count, i64 hs, float scale)
{
#if defined(__AVX512F__)
    if constexpr (HS > 0) {
        avxScoreRows<R>(out, rows, bt, ldb, count, HS, scale);
        return;
    }
#endif
    i64 s = 0;
    for (; s + kLanes <= count; s += kLanes) {
        float blk[R][kLanes];
        dotBlock<HS, R, E>(blk, rows, bt + s, ldb, hs);
        for (int i = 0; i < R; ++i)
            for (int j = 0; j < kLanes; ++j)
                out[i][s + j] = blk[i][j] * scale;
    }
    for (; s < count; ++s)
        for (int i = 0; i < R; ++i)
            out[i][s] = dotStrided(rows[i], bt + s, ldb, hs) * scale;
}

/// out[i][:] = sum_{s < count} p[i][s] * v[s][:] (v rows of stride ldv); out rows of stride ldo.
template <int HS, int R, typename E = float>
LWB_KINLINE void weightedRows(float* out, i64 ldo, const float* const* p, const E* v, i64 ldv, i64 count, i64 hsRuntime)
{
#if defined(__AVX512F__)
    if constexpr (HS >= 16) {
        avxWeightedRows<HS, R>(out, ldo, p, v, ldv, count);
        return;
    }
#endif
    if constexpr (HS > 0) {
        float acc[R][HS] = {};
        for (i64 s = 0; s < count; ++s) {
            const E* vr = v + s * ldv;
            for (int i = 0; i < R; ++i) {
                const float w = p[i][s];
                for (int d = 0; d < HS; ++d)
                    acc[i][d] += w * toF32(vr[d]);
            }
        }
        for (int i = 0; i < R; ++i)
            for (int d = 0; d < HS; ++d)
                out[i * ldo + d] = acc[i][d];
    } else {
        for (int i = 0; i < R; ++i) {
            float* o = out + i * ldo;
            for (i64 d = 0; d < hsRuntime; ++d)
                o[d] = 0;
            for (i64 s = 0; s < count; ++s) {
                const float w = p[i][s];
                const E* vr = v + s * ldv;
                for (i64 d = 0; d < hsRuntime; ++d)
                    o[d] += w * toF32(vr[d]);
            }
        }
    }
}

/// acc[s][:] += sum_i p[i][s] * rows[i][:] for s < count (acc rows of length hs).
template <int HS, int R>
LWB_KINLINE void accumulateOuter(float* acc, const float* const* p, const float* const* rows, i64 count, i64 hsRuntime)
{
#if defined(__AVX512F__)
    if constexpr (HS >= 16) {
        avxAccumulateOuter<HS, R>(acc, p, rows, count);
        return;
    }
#endif
    if constexpr (HS > 0) {
        float r[R][HS];
        for (int i = 0; i < R; ++i)
            for (int d = 0; d < HS; ++d)
                r[i][d] = rows[i][d];
        for (i64 s = 0; s < count; ++s) {
            float* a = acc + s * HS;
            for (int i = 0; i < R; ++i) {
                const float w = p[i][s];
                for (int d = 0; d < HS; ++d)
                    a[d] += w * r[i][d];
            }
        }
    } else {
        for (i64 s = 0; s < count; ++s) {
            float* a = acc + s * hsRuntime;
            for (int i = 0; i < R; ++i) {
                const float w = p[i][s];
                for (i64 d = 0; d < hsRuntime; ++d)
                    a[d] += w * rows[i][d];
            }
        }
    }
}

/// In-place softmax of x[0, n); entries [n, zeroEnd) are set to 0.
LWB_KINLINE void softmaxRow(float* x, i64 n, i64 zeroEnd)
{
#if defined(__AVX512F__)
    avxSoftmaxRow(x, n, zeroEnd);
    return;
#endif
    float m = maxOf(x, n);
    float acc[kLanes] = {};
    i64 i = 0;
    for (; i + kLanes <= n; i += kLanes)
        for (int j = 0; j < kLanes; ++j) {
            float e = expApprox(x[i + j] - m);
            x[i + j] = e;
            acc[j] += e;
        }
    float s = 0;
    for (; i < n; ++i) {
        float e = expApprox(x[i] - m);
        x[i] = e;
        s += e;
    }
    for (int j = 0; j < kLanes; ++j)
        s += acc[j];
    float inv = 1.0f / s;
    for (i64 k = 0; k < n; ++k)
        x[k] *= inv;
    for (i64 k = n; k < zeroEnd; ++k)
        x[k] = 0;
}

LWB_KINLINE void storeHead(float* outF32, bf16* outBf16, i64 offset, const float* src, i64 hs)
{
    storeRow(outF32 ? outF32 + offset : nullptr, outBf16 ? outBf16 + offset : nullptr, src, hs);
}

// ---- attention (training) --------------------------------------------------------------------

template <int HS, int R>
LWB_KINLINE void attentionForwardRows(const AttentionArgs& a, const float* base, float* att, const float* kt,
    float* tmp, i64 t0, i64 b, i64 h, i64 hs, float scale)
{
    const i64 T = a.T, C = a.C, C3 = 3 * C;
    const float* q[R];
    float* sc[R];
    for (int i = 0; i < R; ++i) {
        q[i] = base + (t0 + i) * C3;
        sc[i] = att + (t0 + i) * T;
    }
    const i64 count = t0 + R;
    scoreRows<HS, R>(sc, q, kt, T, count, hs, scale);
    for (int i = 0; i < R; ++i)
        softmaxRow(sc[i], t0 + i + 1, count);
    weightedRows<HS, R>(tmp, hs, sc, base + 2 * C, C3, count, hs);
    for (int i = 0; i < R; ++i)
        storeHead(a.outF32, a.outBf16, (b * T + t0 + i) * C + h * hs, tmp + i * hs, hs);
}

template <int HS> void attentionForwardPair(const AttentionArgs& a, i64 b, i64 h, float* ws)
{
    const i64 T = a.T, C = a.C, C3 = 3 * C;
    const i64 hs = HS > 0 ? HS : C / a.NH;
    const float scale = 1.0f / __builtin_sqrtf(static_cast<float>(hs));
    const float* base = a.qkv + b * T * C3 + h * hs;
    float* att = a.att + (b * a.NH + h) * T * T;
    float* kt = ws;
    float* tmp = ws + hs * T;
    transposeRows(kt, T, base + C, C3, T, hs);
    i64 t0 = 0;
    for (; t0 + kRowBlock <= T; t0 += kRowBlock)
        attentionForwardRows<HS, kRowBlock>(a, base, att, kt, tmp, t0, b, h, hs, scale);
    for (; t0 < T; ++t0)
        attentionForwardRows<HS, 1>(a, base, att, kt, tmp, t0, b, h, hs, scale);
}

template <int HS, int R>
LWB_KINLINE void attentionBackwardRows(const AttentionBackwardArgs& a, const float* base, float* att, const float* vt,
    float* dk, float* dv, float* dp, float* tmp, i64 t0, i64 b, i64 h, i64 hs, float scale)
{
    const i64 T = a.T, C = a.C, C3 = 3 * C;
    const float* dy[R];
    const float* q[R];
    float* p[R];
    float* dpr[R];
    for (int i = 0; i < R; ++i) {
        dy[i] = a.dout + (b * T + t0 + i) * C + h * hs;
        q[i] = base + (t0 + i) * C3;
        p[i] = att + (t0 + i) * T;
        dpr[i] = dp + i * T;
    }
    const i64 count = t0 + R;
    for (int i = 0; i < R; ++i) // probabilities past the causal end are zero in the block
        for (i64 s = t0 + i + 1; s < count; ++s)
            p[i][s] = 0;
    scoreRows<HS, R>(dpr, dy, vt, T, count, hs, 1.0f);
    accumulateOuter<HS, R>(dv, p, dy, count, hs);
    for (int i = 0; i < R; ++i) {
        const float dot = dotOf(p[i], dpr[i], count);
        for (i64 s = 0; s < count; ++s)
            p[i][s] = p[i][s] * (dpr[i][s] - dot) * scale;
    }
    accumulateOuter<HS, R>(dk, p, q, count, hs);
    weightedRows<HS, R>(tmp, hs, p, base + C, C3, count, hs);
    for (int i = 0; i < R; ++i)
        storeHead(a.dqkvF32, a.dqkvBf16, (b * T + t0 + i) * C3 + h * hs, tmp + i * hs, hs);
}

template <int HS> void attentionBackwardPair(const AttentionBackwardArgs& a, i64 b, i64 h, float* ws)
{
    const i64 T = a.T, C = a.C, C3 = 3 * C;
    const i64 hs = HS > 0 ? HS : C / a.NH;
    const float scale = 1.0f / __builtin_sqrtf(static_cast<float>(hs));
    const float* base = a.qkv + b * T * C3 + h * hs;
    float* att = a.att + (b * a.NH + h) * T * T;
    float* vt = ws;
    float* dk = vt + hs * T;
    float* dv = dk + hs * T;
    float* dp = dv + hs * T;
    float* tmp = dp + kRowBlock * T;
    transposeRows(vt, T, base + 2 * C, C3, T, hs);
    for (i64 i = 0; i < 2 * hs * T; ++i)
        dk[i] = 0;
    i64 t0 = 0;
    for (; t0 + kRowBlock <= T; t0 += kRowBlock)
        attentionBackwardRows<HS, kRowBlock>(a, base, att, vt, dk, dv, dp, tmp, t0, b, h, hs, scale);
    for (; t0 < T; ++t0)
        attentionBackwardRows<HS, 1>(a, base, att, vt, dk, dv, dp, tmp, t0, b, h, hs, scale);
    for (i64 s = 0; s < T; ++s) {
        i64 row = (b * T + s) * C3 + h * hs;
        storeHead(a.dqkvF32, a.dqkvBf16, row + C, dk + s * hs, hs);
        storeHead(a.dqkvF32, a.dqkvBf16, row + 2 * C, dv + s * hs, hs);
    }
}

template <int HS, int R, typename E>
LWB_KINLINE void kvCacheRows(const KvCacheArgs& a, const float* qbase, const E* kt, const E* v, float* scores,
    i64 ldScores, float* tmp, i64 t0, i64 b, i64 h, i64 hs, float scale)
{
    const i64 C3 = 3 * a.C;
    const float* q[R];
    float* sc[R];
    for (int i = 0; i < R; ++i) {
        q[i] = qbase + (t0 + i) * C3;
        sc[i] = scores + (t0 + i) * ldScores;
    }
    const i64 count = a.pos + t0 + R;
    scoreRows<HS, R, E>(sc, q, kt, a.Tmax, count, hs, scale);
    for (int i = 0; i < R; ++i)
        softmaxRow(sc[i], a.pos + t0 + i + 1, count);
    weightedRows<HS, R, E>(tmp, hs, sc, v, hs, count, hs);
    for (int i = 0; i < R; ++i)
        storeHead(a.outF32, a.outBf16, (b * a.T + t0 + i) * a.C + h * hs, tmp + i * hs, hs);
}

template <int HS, typename E> void kvCachePairT(const KvCacheArgs& a, E* kCache, E* vCache, i64 b, i64 h)
{
    const i64 T = a.T, C = a.C, C3 = 3 * C, NH = a.NH;
    const i64 hs = HS > 0 ? HS : C / NH;
    const float scale = 1.0f / __builtin_sqrtf(static_cast<float>(hs));
    const float* qbase = a.qkv + b * T * C3 + h * hs;
    E* kt = kCache + (b * NH + h) * hs * a.Tmax;
    E* v = vCache + (b * NH + h) * a.Tmax * hs;
    for (i64 t = 0; t < T; ++t) {
        const float* k = qbase + t * C3 + C;
        const float* vv = qbase + t * C3 + 2 * C;
        for (i64 d = 0; d < hs; ++d) {
            fromF32(kt[d * a.Tmax + a.pos + t], k[d]);
            fromF32(v[(a.pos + t) * hs + d], vv[d]);
        }
    }
    const i64 ld = a.pos + T;
    float* scores = a.scores + (b * NH + h) * T * ld;
    float tmp[kRowBlock * 256];
    i64 t0 = 0;
    if (hs <= 256) {
        for (; t0 + kRowBlock <= T; t0 += kRowBlock)
            kvCacheRows<HS, kRowBlock, E>(a, qbase, kt, v, scores, ld, tmp, t0, b, h, hs, scale);
        for (; t0 < T; ++t0)
            kvCacheRows<HS, 1, E>(a, qbase, kt, v, scores, ld, tmp, t0, b, h, hs, scale);
    } else { // very wide heads: one row and 256 output dims at a time
        for (; t0 < T; ++t0) {
            const float* q[1] = {qbase + t0 * C3};
            float* sc[1] = {scores + t0 * ld};
            const i64 count = a.pos + t0 + 1;
            scoreRows<0, 1, E>(sc, q, kt, a.Tmax, count, hs, scale);
            softmaxRow(sc[0], count, count);
            for (i64 d0 = 0; d0 < hs; d0 += 256) {
                i64 w = minI(256, hs - d0);
                weightedRows<0, 1, E>(tmp, w, sc, v + d0, hs, count, w);
                storeHead(a.outF32, a.outBf16, (b * T + t0) * C + h * hs + d0, tmp, w);
            }
        }
    }
}

template <int HS> void kvCachePair(const KvCacheArgs& a, i64 b, i64 h)
{
    if (a.bf16Cache)
        kvCachePairT<HS>(a, static_cast<bf16*>(a.kCache), static_cast<bf16*>(a.vCache), b, h);
    else
        kvCachePairT<HS>(a, static_cast<float*>(a.kCache), static_cast<float*>(a.vCache), b, h);
}

#define LWB_HEAD_DISPATCH(fn, hs, ...)                                                                                 \
    switch (hs) {                                                                                                      \
    case 16:                                                                                                           \
        fn<16>(__VA_ARGS__);                                                                                           \
        break;                                                                                                         \
    case 32:                                                                                                           \
        fn<32>(__VA_ARGS__);                                                                                           \
        break;                                                                                                         \
    case 64:                                                                                                           \
        fn<64>(__VA_ARGS__);                                                                                           \
        break;                                                                                                         \
    case 128:                                                                                                          \
        fn<128>(__VA_ARGS__);                                                                                          \
        break;                                                                                                         \
    default:                                                                                                           \
        fn<0>(__VA_ARGS__);                                                                                            \
        break;                                                                                                         \
    }

void kAttentionForward(const AttentionArgs& a, i64 p0, i64 p1, float* ws)
{
    const i64 hs = a.C / a.NH;
    for (i64 p = p0; p < p1; ++p) {
        LWB_HEAD_DISPATCH(attentionForwardPair, hs, a, p / a.NH, p % a.NH, ws)
    }
}

void kAttentionBackward(const AttentionBackwardArgs& a, i64 p0, i64 p1, float* ws)
{
    const i64 hs = a.C / a.NH;
    for (i64 p = p0; p < p1; ++p) {
        LWB_HEAD_DISPATCH(attentionBackwardPair, hs, a, p / a.NH, p % a.NH, ws)
    }
}

void kAttentionKvCache(const KvCacheArgs& a, i64 p0, i64 p1)
{
    const i64 hs = a.C / a.NH;
    for (i64 p = p0; p < p1; ++p) {
        if (hs > 256) {
            kvCachePair<0>(a, p / a.NH, p % a.NH);
            continue;
        }
        LWB_HEAD_DISPATCH(kvCachePair, hs, a, p / a.NH, p % a.NH)
    }
}

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

// Attention kernels of kernels_impl.h (training forward/backward and KV-cache inference), split
// out to keep files short; included by kernels_impl.h only, inside the per-ISA namespace. Per
// (batch, head) pair: keys (values) are transposed into the workspace so that scores for 4 queries
// x 32 keys are register-blocked FMAs; only the causal triangle is computed; probabilities are
// kept for the backward pass, which rebuilds dV, dS, dK and dQ row block by row block.
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

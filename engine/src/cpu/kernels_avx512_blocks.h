// AVX-512 register-blocked building blocks of the attention kernels (kernels_impl.h uses them in
// the AVX-512 build for compile-time head sizes; the portable loops are the reference). Blocks
// keep every accumulator in a zmm register: scores 4 rows x 32 keys (8 independent FMA chains),
// weighted sums 4 rows x 64 dims (16 chains), 16x16 transposes by unpack/shuffle.
// Included inside the per-ISA namespace; <immintrin.h> is included by kernels_avx512.cpp first.

LWB_KINLINE __m512 avxLoad(const float* p)
{
    return _mm512_loadu_ps(p);
}
LWB_KINLINE __m512 avxLoad(const bf16* p)
{
    const __m512i wide = _mm512_cvtepu16_epi32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
    return _mm512_castsi512_ps(_mm512_slli_epi32(wide, 16));
}
LWB_KINLINE __m512 avxMaskLoad(__mmask16 m, const float* p)
{
    return _mm512_maskz_loadu_ps(m, p);
}
LWB_KINLINE __m512 avxMaskLoad(__mmask16 m, const bf16* p)
{
    const __m512i wide = _mm512_cvtepu16_epi32(_mm256_maskz_loadu_epi16(m, p));
    return _mm512_castsi512_ps(_mm512_slli_epi32(wide, 16));
}

/// out[i][s] = scale * rows[i] . bt[:, s] for s in [0, count), R rows; bt float or bf16.
template <int R, typename E>
LWB_KINLINE void avxScoreRows(
    float* const* out, const float* const* rows, const E* bt, i64 ldb, i64 count, i64 hs, float scale)
{
    const __m512 vs = _mm512_set1_ps(scale);
    i64 s = 0;
    for (; s + 32 <= count; s += 32) {
        __m512 a0[R], a1[R];
        for (int i = 0; i < R; ++i) {
            a0[i] = _mm512_setzero_ps();
            a1[i] = _mm512_setzero_ps();
        }
        const E* b = bt + s;
        for (i64 d = 0; d < hs; ++d, b += ldb) {
            const __m512 b0 = avxLoad(b), b1 = avxLoad(b + 16);
            for (int i = 0; i < R; ++i) {
                const __m512 q = _mm512_set1_ps(rows[i][d]);
                a0[i] = _mm512_fmadd_ps(q, b0, a0[i]);
                a1[i] = _mm512_fmadd_ps(q, b1, a1[i]);
            }
        }
        for (int i = 0; i < R; ++i) {
            _mm512_storeu_ps(out[i] + s, _mm512_mul_ps(a0[i], vs));
            _mm512_storeu_ps(out[i] + s + 16, _mm512_mul_ps(a1[i], vs));
        }
    }
    for (; s < count; s += 16) {
        const __mmask16 mask
            = count - s >= 16 ? static_cast<__mmask16>(0xffff) : static_cast<__mmask16>((1u << (count - s)) - 1u);
        __m512 a[R];
        for (int i = 0; i < R; ++i)
            a[i] = _mm512_setzero_ps();
        const E* b = bt + s;
        for (i64 d = 0; d < hs; ++d, b += ldb) {
            const __m512 b0 = avxMaskLoad(mask, b);
            for (int i = 0; i < R; ++i)
                a[i] = _mm512_fmadd_ps(_mm512_set1_ps(rows[i][d]), b0, a[i]);
        }
        for (int i = 0; i < R; ++i)
            _mm512_mask_storeu_ps(out[i] + s, mask, _mm512_mul_ps(a[i], vs));
    }
}

/// out[i][0, HS) = sum_{s < count} p[i][s] * v[s][:], in chunks of 64 dims (16 accumulators).
template <int HS, int R, typename E>
LWB_KINLINE void avxWeightedRows(float* out, i64 ldo, const float* const* p, const E* v, i64 ldv, i64 count)
{
    constexpr int kChunk = HS < 64 ? HS : 64;
    constexpr int V = kChunk / 16;
    for (int d0 = 0; d0 < HS; d0 += kChunk) {
        __m512 acc[R][V];
        for (int i = 0; i < R; ++i)
            for (int z = 0; z < V; ++z)
                acc[i][z] = _mm512_setzero_ps();
        const E* vr = v + d0;
        for (i64 s = 0; s < count; ++s, vr += ldv) {
            __m512 vv[V];
            for (int z = 0; z < V; ++z)
                vv[z] = avxLoad(vr + 16 * z);
            for (int i = 0; i < R; ++i) {
                const __m512 w = _mm512_set1_ps(p[i][s]);
                for (int z = 0; z < V; ++z)
                    acc[i][z] = _mm512_fmadd_ps(w, vv[z], acc[i][z]);
            }
        }
        for (int i = 0; i < R; ++i)
            for (int z = 0; z < V; ++z)
                _mm512_storeu_ps(out + i * ldo + d0 + 16 * z, acc[i][z]);
    }
}

/// acc[s][0, HS) += sum_i p[i][s] * rows[i][:] for s < count.
template <int HS, int R>
LWB_KINLINE void avxAccumulateOuter(float* acc, const float* const* p, const float* const* rows, i64 count)
{
    constexpr int kChunk = HS < 64 ? HS : 64;
    constexpr int V = kChunk / 16;
    for (int d0 = 0; d0 < HS; d0 += kChunk) {
        __m512 r[R][V];
        for (int i = 0; i < R; ++i)
            for (int z = 0; z < V; ++z)
                r[i][z] = _mm512_loadu_ps(rows[i] + d0 + 16 * z);
        float* a = acc + d0;
        for (i64 s = 0; s < count; ++s, a += HS) {
            __m512 w[R];
            for (int i = 0; i < R; ++i)
                w[i] = _mm512_set1_ps(p[i][s]);
            for (int z = 0; z < V; ++z) {
                __m512 even = _mm512_fmadd_ps(w[0], r[0][z], _mm512_loadu_ps(a + 16 * z));
                if constexpr (R > 1) {
                    __m512 odd = _mm512_mul_ps(w[1], r[1][z]);
                    for (int i = 2; i < R; i += 2) {
                        even = _mm512_fmadd_ps(w[i], r[i][z], even);
                        if (i + 1 < R)
                            odd = _mm512_fmadd_ps(w[i + 1], r[i + 1][z], odd);
                    }
                    even = _mm512_add_ps(even, odd);
                }
                _mm512_storeu_ps(a + 16 * z, even);
            }
        }
    }
}

LWB_KINLINE void avxTranspose16(__m512 (&r)[16])
{
    __m512 t[16];
    for (int i = 0; i < 16; i += 2) {
        t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
        t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
    }
    for (int i = 0; i < 16; i += 4) {
        r[i] = _mm512_shuffle_ps(t[i], t[i + 2], 0x44);
        r[i + 1] = _mm512_shuffle_ps(t[i], t[i + 2], 0xEE);
        r[i + 2] = _mm512_shuffle_ps(t[i + 1], t[i + 3], 0x44);
        r[i + 3] = _mm512_shuffle_ps(t[i + 1], t[i + 3], 0xEE);
    }
    for (int h = 0; h < 16; h += 8)
        for (int i = 0; i < 4; ++i) {
            t[h + i] = _mm512_shuffle_f32x4(r[h + i], r[h + i + 4], 0x88);
            t[h + i + 4] = _mm512_shuffle_f32x4(r[h + i], r[h + i + 4], 0xdd);
        }
    for (int i = 0; i < 8; ++i) {
        r[i] = _mm512_shuffle_f32x4(t[i], t[i + 8], 0x88);
        r[i + 8] = _mm512_shuffle_f32x4(t[i], t[i + 8], 0xdd);
    }
}

/// dst[d * ldDst + s] = src[s * ld + d] for s < rows, d < hs, in 16x16 register tiles.
LWB_KINLINE i64 avxTransposeRows(float* dst, i64 ldDst, const float* src, i64 ld, i64 rows, i64 hs)
{
    const i64 fullRows = rows / 16 * 16;
    if (hs % 16 != 0)
        return 0;
    for (i64 s0 = 0; s0 < fullRows; s0 += 16)
        for (i64 d0 = 0; d0 < hs; d0 += 16) {
            __m512 r[16];
            for (int i = 0; i < 16; ++i)
                r[i] = _mm512_loadu_ps(src + (s0 + i) * ld + d0);
            avxTranspose16(r);
            for (int i = 0; i < 16; ++i)
                _mm512_storeu_ps(dst + (d0 + i) * ldDst + s0, r[i]);
        }
    return fullRows;
}

/// expApprox on 16 lanes (same polynomial and rounding as the scalar version).
LWB_KINLINE __m512 avxExp(__m512 x)
{
    x = _mm512_min_ps(_mm512_max_ps(x, _mm512_set1_ps(-87.0f)), _mm512_set1_ps(88.0f));
    const __m512 t = _mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f));
    const __m512 r = _mm512_roundscale_ps(t, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    const __m512 f = _mm512_sub_ps(t, r);
    __m512 p = _mm512_set1_ps(1.535336188319500e-4f);
    p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(1.339887440266574e-3f));
    p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(9.618437357674640e-3f));
    p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(5.550332471162809e-2f));
    p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(2.402264791363012e-1f));
    p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(6.931472028550421e-1f));
    p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(1.0f));
    const __m512i e = _mm512_slli_epi32(_mm512_cvtps_epi32(r), 23);
    return _mm512_castsi512_ps(_mm512_add_epi32(_mm512_castps_si512(p), e));
}

LWB_KINLINE __mmask16 avxTailMask(i64 remaining)
{
    return remaining >= 16 ? static_cast<__mmask16>(0xffff) : static_cast<__mmask16>((1u << remaining) - 1u);
}

/// In-place softmax of x[0, n), entries [n, zeroEnd) set to 0; masked tails (short causal rows
/// would otherwise spend most of their time in scalar exp).
LWB_KINLINE void avxSoftmaxRow(float* x, i64 n, i64 zeroEnd)
{
    const __m512 negInf = _mm512_set1_ps(-3.0e38f);
    __m512 m = negInf;
    for (i64 i = 0; i < n; i += 16)
        m = _mm512_max_ps(m, _mm512_mask_loadu_ps(negInf, avxTailMask(n - i), x + i));
    const __m512 mx = _mm512_set1_ps(_mm512_reduce_max_ps(m));
    __m512 sum = _mm512_setzero_ps();
    for (i64 i = 0; i < n; i += 16) {
        const __mmask16 k = avxTailMask(n - i);
        const __m512 e = avxExp(_mm512_sub_ps(_mm512_maskz_loadu_ps(k, x + i), mx));
        _mm512_mask_storeu_ps(x + i, k, e);
        sum = _mm512_mask_add_ps(sum, k, sum, e);
    }
    const __m512 inv = _mm512_set1_ps(1.0f / _mm512_reduce_add_ps(sum));
    for (i64 i = 0; i < n; i += 16) {
        const __mmask16 k = avxTailMask(n - i);
        _mm512_mask_storeu_ps(x + i, k, _mm512_mul_ps(_mm512_maskz_loadu_ps(k, x + i), inv));
    }
    for (i64 i = n; i < zeroEnd; ++i)
        x[i] = 0;
}

// CPU matmuls through oneDNN (see cpu_backend.h). Weights are packed once per update into the
// blocked layout oneDNN picks for the shape (format_tag::any + one reorder; the same layout for
// every row count here), split into column parts, one per pool thread, so that each thread runs
// a single-threaded oneDNN matmul on its output columns. Primitives are cached per shape.
// int8: weights symmetric per output channel (s8), activations symmetric per row (s8) quantised
// on the fly, s32 accumulation by VNNI (oneDNN adds the u8 compensation), then one epilogue pass
// per 128-row block while it is in L2: out = acc * rowScale * colScale + bias. Output scales
// given at run time would push oneDNN 2.6 onto its slow gemm path, hence our own epilogue.
#include "cpu/cpu_backend.h"

#include <algorithm>
#include <fmt/core.h>

namespace lwb::engine::cpu {

namespace {

using dt = dnnl::memory::data_type;
constexpr std::int64_t kColumnGrain = 16;
constexpr std::int64_t kInt8RowBlock = 128;

dt dnnlType(DType d)
{
    switch (d) {
    case DType::F32:
        return dt::f32;
    case DType::BF16:
        return dt::bf16;
    case DType::F16:
        return dt::f16;
    case DType::I8:
        return dt::s8;
    case DType::U8:
        return dt::u8;
    case DType::I32:
        return dt::s32;
    }
    return dt::undef;
}

int partCount(std::int64_t n, int threads)
{
    return static_cast<int>(std::clamp<std::int64_t>(n / kColumnGrain, 1, threads));
}

dnnl::memory::desc matrixDesc(
    std::int64_t rows, std::int64_t cols, dt type, std::int64_t rowStride, std::int64_t colStride)
{
    return dnnl::memory::desc({rows, cols}, type, {rowStride, colStride});
}

} // namespace

void CpuBackend::CachedMatmul::run(int thread, dnnl::stream& stream, const void* a, const void* b, void* c,
    const void* biasData, void* scratchData) const
{
    Slot& s = slots[static_cast<std::size_t>(thread)];
    s.src.set_data_handle(const_cast<void*>(a));
    s.weights.set_data_handle(const_cast<void*>(b));
    s.dst.set_data_handle(c);
    s.scratch.set_data_handle(scratchData);
    if (biasData)
        s.bias.set_data_handle(const_cast<void*>(biasData));
    primitive.execute(stream, s.args);
}

std::size_t CpuPackedWeight::bytes() const
{
    std::size_t total = m_colScale.defined() ? m_colScale.bytes() : 0;
    for (const auto& p : m_parts)
        total += p.packed.bytes();
    return total;
}

const CpuBackend::CachedMatmul* CpuBackend::matmulPrimitive(const MatmulKey& key, const dnnl::memory::desc* packed)
{
    if (auto it = m_matmuls.find(key); it != m_matmuls.end())
        return it->second.get();
    try {
        auto entry = std::make_unique<CachedMatmul>();
        entry->src = key.transA ? matrixDesc(key.m, key.k, static_cast<dt>(key.src), 1, key.lda)
                                : matrixDesc(key.m, key.k, static_cast<dt>(key.src), key.lda, 1);
        entry->weights = packed ? *packed : matrixDesc(key.k, key.n, static_cast<dt>(key.wei), key.n, 1);
        entry->dst = matrixDesc(key.m, key.n, dt::f32, key.ldc, 1);
        if (key.bias)
            entry->bias = matrixDesc(1, key.n, dt::f32, key.n, 1);
        dnnl::primitive_attr attr;
        attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
        if (key.sum) {
            dnnl::post_ops ops;
            ops.append_sum(1.0f);
            attr.set_post_ops(ops);
        }
        auto desc = key.bias ? dnnl::matmul::desc(entry->src, entry->weights, entry->bias, entry->dst)
                             : dnnl::matmul::desc(entry->src, entry->weights, entry->dst);
        dnnl::matmul::primitive_desc pd(desc, attr, m_engine);
        entry->scratch = pd.scratchpad_desc();
        entry->scratchBytes = entry->scratch.get_size();
        entry->primitive = dnnl::matmul(pd);
        for (int t = 0; t < m_pool.size(); ++t) {
            CachedMatmul::Slot slot;
            slot.src = dnnl::memory(entry->src, m_engine, nullptr);
            slot.weights = dnnl::memory(entry->weights, m_engine, nullptr);
            slot.dst = dnnl::memory(entry->dst, m_engine, nullptr);
            slot.scratch = dnnl::memory(entry->scratch, m_engine, nullptr);
            slot.args = {{DNNL_ARG_SRC, slot.src}, {DNNL_ARG_WEIGHTS, slot.weights}, {DNNL_ARG_DST, slot.dst},
                {DNNL_ARG_SCRATCHPAD, slot.scratch}};
            if (key.bias) {
                slot.bias = dnnl::memory(entry->bias, m_engine, nullptr);
                slot.args.emplace(DNNL_ARG_BIAS, slot.bias);
            }
            entry->slots.push_back(std::move(slot));
        }
        if (!ensureThreadWorkspace(entry->scratchBytes + 64))
            return nullptr;
        return m_matmuls.emplace(key, std::move(entry)).first->second.get();
    } catch (const dnnl::error& e) {
        recordError(ErrorCode::Internal,
            fmt::format("oneDNN matmul {}x{}x{} could not be created: {}", key.m, key.k, key.n, e.what()));
        return nullptr;
    }
}

Result<std::unique_ptr<PackedWeight>> CpuBackend::createPackedWeight(const PackedWeightDesc& desc)
{
    if (!cpuSupports(Op::Matmul, desc.dtype))
        return fail(ErrorCode::Unsupported,
            fmt::format("the CPU backend has no {} matmul on this machine", dtypeName(desc.dtype)), LWB_WHERE);
    if (desc.dtype == DType::I8 && desc.layout != WeightLayout::Transposed)
        return fail(ErrorCode::Unsupported, "int8 weights are only supported for forward (transposed) use", LWB_WHERE);
    if (desc.n <= 0 || desc.k <= 0)
        return fail(ErrorCode::InvalidArgument, fmt::format("bad weight shape {}x{}", desc.n, desc.k), LWB_WHERE);
    auto weight = std::make_unique<CpuPackedWeight>();
    weight->m_desc = desc;
    const int parts = partCount(desc.n, m_pool.size());
    const dt wtype = dnnlType(desc.dtype);
    const std::int64_t probeRows = desc.rowHints.empty() ? 64 : desc.rowHints.front();
    try {
        for (int p = 0; p < parts; ++p) {
            CpuPackedWeight::Part part;
            std::tie(part.n0, part.n1) = ThreadPool::chunk(desc.n, kColumnGrain, parts, p);
            const std::int64_t width = part.n1 - part.n0;
            dnnl::memory::desc anyWeights({desc.k, width}, wtype, dnnl::memory::format_tag::any);
            dnnl::memory::desc src = matrixDesc(probeRows, desc.k, wtype, desc.k, 1);
            dnnl::memory::desc dst = matrixDesc(probeRows, width, dt::f32, desc.n, 1);
            dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(src, anyWeights, dst), m_engine);
            part.packedDesc = pd.weights_desc();
            LWB_ASSIGN_OR_RETURN(part.packed,
                allocate(
                    Shape {static_cast<std::int64_t>(part.packedDesc.get_size())}, DType::U8, MemoryKind::Parameters));
            weight->m_parts.push_back(std::move(part));
        }
    } catch (const dnnl::error& e) {
        return fail(ErrorCode::Internal,
            fmt::format("oneDNN could not pack a {}x{} {} weight: {}", desc.n, desc.k, dtypeName(desc.dtype), e.what()),
            LWB_WHERE);
    }
    if (desc.dtype == DType::I8) {
        LWB_ASSIGN_OR_RETURN(weight->m_colScale, allocate(Shape {desc.n}, DType::F32, MemoryKind::Parameters));
        LWB_ASSIGN_OR_RETURN(weight->m_quantized, allocate(Shape {desc.n, desc.k}, DType::I8, MemoryKind::Workspace));
    }
    // Prepare kernels (and their workspace) for the announced row counts.
    for (std::int64_t m : desc.rowHints) {
        for (const auto& part : weight->m_parts) {
            const std::int64_t width = part.n1 - part.n0;
            if (desc.dtype == DType::I8) {
                for (std::int64_t rows : {std::min(m, kInt8RowBlock), m % kInt8RowBlock}) {
                    if (rows == 0)
                        continue;
                    MatmulKey key {rows, desc.k, width, desc.k, desc.n, static_cast<int>(dt::s8),
                        static_cast<int>(dt::s8), 0, 0, 0, 0};
                    matmulPrimitive(key, &part.packedDesc);
                }
                if (!ensureSharedWorkspace(static_cast<std::size_t>(m * desc.k + 4 * m + 64)))
                    break;
            } else {
                for (int bias = 0; bias < 2; ++bias) {
                    MatmulKey key {m, desc.k, width, desc.k, desc.n, static_cast<int>(wtype), static_cast<int>(wtype),
                        0, 0, bias, 0};
                    matmulPrimitive(key, &part.packedDesc);
                }
            }
        }
    }
    LWB_RETURN_IF_ERROR(synchronize());
    return std::unique_ptr<PackedWeight>(std::move(weight));
}

void CpuBackend::packWeight(PackedWeight& packedWeight, const Tensor& source)
{
    auto& w = static_cast<CpuPackedWeight&>(packedWeight);
    const auto& d = w.m_desc;
    Trace trace(*this, "pack_weight", OpCategory::Memcpy, 0, static_cast<double>(source.bytes() + w.bytes()));
    if (source.dtype() != DType::F32 || source.numel() != d.n * d.k) {
        recordError(
            ErrorCode::InvalidArgument, fmt::format("packWeight needs an f32 source of {}x{} elements", d.n, d.k));
        return;
    }
    if (d.dtype == DType::I8) {
        // Quantise each output channel (a row of W [n, k]) symmetrically, then reorder per part.
        m_pool.parallelFor(d.n, 1, [&](std::int64_t r0, std::int64_t r1, int) {
            k().quantizeRows(
                w.m_quantized.data<std::int8_t>(), w.m_colScale.data<float>(), source.data<float>(), d.k, d.k, r0, r1);
        });
    }
    const int parts = static_cast<int>(w.m_parts.size());
    const int threads = m_pool.size();
    m_pool.run([&](int t) {
        for (int p = t; p < parts; p += threads) {
            auto& part = w.m_parts[static_cast<std::size_t>(p)];
            const std::int64_t width = part.n1 - part.n0;
            try {
                dnnl::memory::desc plain;
                void* ptr;
                if (d.layout == WeightLayout::Transposed) {
                    plain = matrixDesc(d.k, width, d.dtype == DType::I8 ? dt::s8 : dt::f32, 1, d.k);
                    ptr = d.dtype == DType::I8 ? static_cast<void*>(w.m_quantized.data<std::int8_t>() + part.n0 * d.k)
                                               : static_cast<void*>(source.data<float>() + part.n0 * d.k);
                } else {
                    plain = matrixDesc(d.k, width, dt::f32, d.n, 1);
                    ptr = source.data<float>() + part.n0;
                }
                dnnl::memory from(plain, m_engine, ptr);
                dnnl::memory to(part.packedDesc, m_engine, part.packed.data());
                dnnl::reorder(from, to).execute(dnnlStream(t), from, to);
            } catch (const dnnl::error& e) {
                if (t == 0)
                    recordError(ErrorCode::Internal, fmt::format("oneDNN weight reorder failed: {}", e.what()));
            }
        }
    });
}

void CpuBackend::matmul(
    const Tensor& out, const Tensor& in, const PackedWeight& packedWeight, const Tensor& bias, Accumulate mode)
{
    const auto& w = static_cast<const CpuPackedWeight&>(packedWeight);
    const auto& d = w.m_desc;
    const std::int64_t M = in.shape().rows(), K = in.shape().cols(), N = d.n;
    Trace trace(*this, "matmul", OpCategory::Compute, 2.0 * static_cast<double>(M * N * K),
        static_cast<double>(in.bytes() + out.bytes() + w.bytes()));
    if (K != d.k || out.shape().cols() != N || out.shape().rows() != M) {
        recordError(ErrorCode::InvalidArgument,
            fmt::format("matmul shapes: in {} x weight [{}, {}] -> out {}", in.shape().toString(), d.n, d.k,
                out.shape().toString()));
        return;
    }
    const int sum = mode == Accumulate::Add ? 1 : 0;
    const int parts = static_cast<int>(w.m_parts.size());
    const int threads = m_pool.size();

    if (d.dtype != DType::I8) {
        const dt wtype = dnnlType(d.dtype);
        const void* src = in.data();
        if (in.dtype() != d.dtype) { // f32 activations into bf16 weights: convert once, shared by all parts
            if (!(in.dtype() == DType::F32 && d.dtype == DType::BF16)) {
                recordError(ErrorCode::Unsupported,
                    fmt::format("matmul of {} input with {} weights", dtypeName(in.dtype()), dtypeName(d.dtype)));
                return;
            }
            if (!ensureSharedWorkspace(static_cast<std::size_t>(M * K) * 2))
                return;
            auto* staged = static_cast<bf16*>(sharedWorkspace());
            m_pool.parallelFor(M * K, 4096, [&](std::int64_t i0, std::int64_t i1, int) {
                k().f32ToBf16(staged + i0, in.data<float>() + i0, i1 - i0);
            });
            src = staged;
        }
        std::vector<const CachedMatmul*> prims(static_cast<std::size_t>(parts));
        for (int p = 0; p < parts; ++p) {
            const auto& part = w.m_parts[static_cast<std::size_t>(p)];
            MatmulKey key {M, K, part.n1 - part.n0, K, N, static_cast<int>(wtype), static_cast<int>(wtype), 0, 0,
                bias.defined() ? 1 : 0, sum};
            if (!(prims[static_cast<std::size_t>(p)] = matmulPrimitive(key, &part.packedDesc)))
                return;
        }
        m_pool.run([&](int t) {
            for (int p = t; p < parts; p += threads) {
                const auto& part = w.m_parts[static_cast<std::size_t>(p)];
                const CachedMatmul* prim = prims[static_cast<std::size_t>(p)];
                prim->run(t, dnnlStream(t), src, part.packed.data(), out.data<float>() + part.n0,
                    bias.defined() ? bias.data<float>() + part.n0 : nullptr, threadWorkspace(t));
            }
        });
        return;
    }

    // int8: quantise rows once (shared), then per part and 128-row block: s8 x s8 -> f32, epilogue.
    if (in.dtype() != DType::F32) {
        recordError(ErrorCode::Unsupported, "int8 matmuls take f32 activations (quantised per row on the fly)");
        return;
    }
    if (!ensureSharedWorkspace(static_cast<std::size_t>(M * K + 4 * M + 64)))
        return;
    auto* quantized = static_cast<std::int8_t*>(sharedWorkspace());
    auto* rowScale = reinterpret_cast<float*>(quantized + (M * K + 63) / 64 * 64);
    m_pool.parallelFor(M, 1, [&](std::int64_t r0, std::int64_t r1, int) {
        k().quantizeRows(quantized, rowScale, in.data<float>(), K, K, r0, r1);
    });
    struct BlockPrims {
        const CachedMatmul* full = nullptr;
        const CachedMatmul* tail = nullptr;
    };
    std::vector<BlockPrims> prims(static_cast<std::size_t>(parts));
    std::size_t tempBytes = 0;
    for (int p = 0; p < parts; ++p) {
        const auto& part = w.m_parts[static_cast<std::size_t>(p)];
        const std::int64_t width = part.n1 - part.n0;
        const std::int64_t ldc = sum ? width : N; // accumulating goes through a temporary block
        if (sum)
            tempBytes = std::max(tempBytes, static_cast<std::size_t>(kInt8RowBlock * width) * sizeof(float));
        const std::int64_t full = std::min(M, kInt8RowBlock), tail = M % kInt8RowBlock;
        MatmulKey fk {full, K, width, K, ldc, static_cast<int>(dt::s8), static_cast<int>(dt::s8), 0, 0, 0, 0};
        if (!(prims[static_cast<std::size_t>(p)].full = matmulPrimitive(fk, &part.packedDesc)))
            return;
        if (M > kInt8RowBlock && tail) {
            MatmulKey tk = fk;
            tk.m = tail;
            if (!(prims[static_cast<std::size_t>(p)].tail = matmulPrimitive(tk, &part.packedDesc)))
                return;
        }
    }
    std::size_t scratchMax = 0;
    for (const auto& bp : prims)
        for (const CachedMatmul* cm : {bp.full, bp.tail})
            if (cm)
                scratchMax = std::max(scratchMax, cm->scratchBytes);
    const std::size_t tempOffset = (scratchMax + 63) / 64 * 64;
    if (!ensureThreadWorkspace(tempOffset + tempBytes + 64))
        return;
    m_pool.run([&](int t) {
        for (int p = t; p < parts; p += threads) {
            const auto& part = w.m_parts[static_cast<std::size_t>(p)];
            const std::int64_t width = part.n1 - part.n0;
            char* ws = reinterpret_cast<char*>(threadWorkspace(t));
            float* temp = reinterpret_cast<float*>(ws + tempOffset);
            for (std::int64_t m0 = 0; m0 < M; m0 += kInt8RowBlock) {
                const std::int64_t rows = std::min(kInt8RowBlock, M - m0);
                const CachedMatmul* prim = rows == std::min(M, kInt8RowBlock) ? prims[static_cast<std::size_t>(p)].full
                                                                              : prims[static_cast<std::size_t>(p)].tail;
                float* dst = sum ? temp : out.data<float>() + m0 * N + part.n0;
                prim->run(t, dnnlStream(t), quantized + m0 * K, part.packed.data(), dst, nullptr, ws);
                // Epilogue on the block just written (still in L2).
                const std::int64_t ldAcc = sum ? width : N;
                k().dequantize(out.data<float>() + m0 * N + part.n0, N, dst, ldAcc, rowScale + m0,
                    w.m_colScale.data<float>() + part.n0, bias.defined() ? bias.data<float>() + part.n0 : nullptr, 0,
                    width, 0, rows, sum);
            }
        }
    });
}

Status CpuBackend::prepareWeightGrad(std::int64_t m, std::int64_t n, std::int64_t k, DType dtype)
{
    if (!cpuSupports(Op::MatmulWeightGrad, dtype))
        return fail(ErrorCode::Unsupported,
            fmt::format("the CPU backend has no {} weight-gradient matmul here", dtypeName(dtype)), LWB_WHERE);
    const int parts = partCount(n, m_pool.size());
    for (int p = 0; p < parts; ++p) {
        auto [n0, n1] = ThreadPool::chunk(n, kColumnGrain, parts, p);
        for (int sum = 0; sum < 2; ++sum) {
            MatmulKey key {n1 - n0, m, k, n, k, static_cast<int>(dnnlType(dtype)), static_cast<int>(dnnlType(dtype)), 1,
                1, 0, sum};
            matmulPrimitive(key, nullptr);
        }
    }
    return synchronize();
}

void CpuBackend::matmulWeightGrad(const Tensor& dweight, const Tensor& dout, const Tensor& in, Accumulate mode)
{
    const std::int64_t M = in.shape().rows(), K = in.shape().cols(), N = dout.shape().cols();
    Trace trace(*this, "matmul_weight_grad", OpCategory::Compute, 2.0 * static_cast<double>(M * N * K),
        static_cast<double>(in.bytes() + dout.bytes() + dweight.bytes()));
    if (dout.shape().rows() != M || dweight.numel() != N * K || dout.dtype() != in.dtype()) {
        recordError(ErrorCode::InvalidArgument,
            fmt::format("matmul_weight_grad shapes: dout {} ({}), in {} ({}), dweight {}", dout.shape().toString(),
                dtypeName(dout.dtype()), in.shape().toString(), dtypeName(in.dtype()), dweight.shape().toString()));
        return;
    }
    const dt type = dnnlType(in.dtype());
    const int parts = partCount(N, m_pool.size());
    const int threads = m_pool.size();
    std::vector<const CachedMatmul*> prims(static_cast<std::size_t>(parts));
    for (int p = 0; p < parts; ++p) {
        auto [n0, n1] = ThreadPool::chunk(N, kColumnGrain, parts, p);
        MatmulKey key {n1 - n0, M, K, N, K, static_cast<int>(type), static_cast<int>(type), 1, 1, 0,
            mode == Accumulate::Add ? 1 : 0};
        if (!(prims[static_cast<std::size_t>(p)] = matmulPrimitive(key, nullptr)))
            return;
    }
    const std::size_t elem = dtypeSize(in.dtype());
    m_pool.run([&](int t) {
        for (int p = t; p < parts; p += threads) {
            auto [n0, n1] = ThreadPool::chunk(N, kColumnGrain, parts, p);
            const CachedMatmul* prim = prims[static_cast<std::size_t>(p)];
            prim->run(t, dnnlStream(t), static_cast<char*>(dout.data()) + static_cast<std::size_t>(n0) * elem,
                in.data(), dweight.data<float>() + n0 * K, nullptr, threadWorkspace(t));
        }
    });
}

void CpuBackend::biasGrad(const Tensor& dbias, const Tensor& dout, Accumulate mode)
{
    const std::int64_t M = dout.shape().rows(), N = dout.shape().cols();
    Trace trace(*this, "bias_grad", OpCategory::Compute, static_cast<double>(M * N), static_cast<double>(dout.bytes()));
    const bool isBf16 = dout.dtype() == DType::BF16;
    m_pool.parallelFor(N, kColumnGrain, [&](std::int64_t n0, std::int64_t n1, int) {
        k().biasGrad(dbias.data<float>(), isBf16 ? nullptr : dout.data<float>(), isBf16 ? dout.data<bf16>() : nullptr,
            M, N, n0, n1, mode == Accumulate::Add ? 1 : 0);
    });
}

} // namespace lwb::engine::cpu

// RAII owners of CUDA and cuBLASLt handles (unique_ptr with deleters, per STYLE.md): streams,
// events and the cuBLASLt context. Buffers have their own owners (DeviceBuffer, PinnedBuffer).
#pragma once

#include <cublasLt.h>
#include <cuda_runtime.h>

#include <memory>

namespace lwb::engine::cuda {

struct StreamDeleter {
    void operator()(cudaStream_t s) const { cudaStreamDestroy(s); }
};
struct EventDeleter {
    void operator()(cudaEvent_t e) const { cudaEventDestroy(e); }
};
struct CublasLtDeleter {
    void operator()(cublasLtHandle_t h) const { cublasLtDestroy(h); }
};

using StreamHandle = std::unique_ptr<CUstream_st, StreamDeleter>;
using EventHandle = std::unique_ptr<CUevent_st, EventDeleter>;
using CublasLtHandle = std::unique_ptr<cublasLtContext, CublasLtDeleter>;

/// A non-blocking stream (no implicit synchronisation with the legacy default stream).
inline cudaError_t createStream(StreamHandle& out)
{
    cudaStream_t s = nullptr;
    cudaError_t err = cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking);
    out.reset(err == cudaSuccess ? s : nullptr);
    return err;
}

/// An event without timing (cheaper to record and wait on).
inline cudaError_t createEvent(EventHandle& out)
{
    cudaEvent_t e = nullptr;
    cudaError_t err = cudaEventCreateWithFlags(&e, cudaEventDisableTiming);
    out.reset(err == cudaSuccess ? e : nullptr);
    return err;
}

inline cublasStatus_t createCublasLt(CublasLtHandle& out)
{
    cublasLtHandle_t h = nullptr;
    cublasStatus_t st = cublasLtCreate(&h);
    out.reset(st == CUBLAS_STATUS_SUCCESS ? h : nullptr);
    return st;
}

} // namespace lwb::engine::cuda

// NCCL gradient all-reduce (see nccl_all_reduce.h). Per replica r: the compute stream records an
// event after the backward stage that finishes a bucket, r's communication stream waits on it and
// runs the bucket's ncclAllReduce calls (one NCCL group, in place, sum); finish() makes the compute
// stream wait on the communication stream before the optimiser reads the gradients. Every rank
// launches the same buckets in the same order (the backward pass is identical on every replica),
// which is what NCCL requires of concurrent collectives.
#include "cuda/nccl_all_reduce.h"

#include "cuda/cuda_backend.h"

#include <fmt/core.h>
#include <nccl.h>
#include <set>

namespace lwb::engine::cuda {

namespace {

class NcclAllReduce final : public detail::GradientAllReduce {
public:
    ~NcclAllReduce() override
    {
        for (auto& r : m_ranks) {
            cudaSetDevice(r.device);
            if (r.comm)
                ncclCommDestroy(r.comm);
            if (r.ready)
                cudaEventDestroy(r.ready);
            if (r.done)
                cudaEventDestroy(r.done);
            if (r.stream)
                cudaStreamDestroy(r.stream);
        }
    }

    static Result<std::unique_ptr<detail::GradientAllReduce>> create(
        const std::vector<Backend*>& backends, const std::vector<Tensor>& grads)
    {
        auto out = std::unique_ptr<NcclAllReduce>(new NcclAllReduce);
        std::vector<int> devices;
        std::set<int> distinct;
        for (Backend* b : backends) {
            auto* cuda = dynamic_cast<CudaBackend*>(b);
            if (!cuda)
                return fail(ErrorCode::InvalidArgument, "the NCCL all-reduce needs cuda backends", LWB_WHERE);
            devices.push_back(cuda->cudaOptions().device);
            distinct.insert(devices.back());
        }
        if (distinct.size() != devices.size())
            return fail(ErrorCode::InvalidArgument, "the NCCL all-reduce needs one GPU per replica", LWB_WHERE);
        out->m_ranks.resize(backends.size());
        for (std::size_t r = 0; r < backends.size(); ++r) {
            Rank& rank = out->m_ranks[r];
            rank.device = devices[r];
            rank.compute = static_cast<CudaBackend*>(backends[r])->computeStream();
            rank.grads = grads[r];
            LWB_RETURN_IF_ERROR(check(cudaSetDevice(rank.device), "cudaSetDevice"));
            LWB_RETURN_IF_ERROR(check(cudaStreamCreateWithFlags(&rank.stream, cudaStreamNonBlocking), "stream"));
            LWB_RETURN_IF_ERROR(check(cudaEventCreateWithFlags(&rank.ready, cudaEventDisableTiming), "event"));
            LWB_RETURN_IF_ERROR(check(cudaEventCreateWithFlags(&rank.done, cudaEventDisableTiming), "event"));
        }
        std::vector<ncclComm_t> comms(backends.size());
        if (ncclResult_t res = ncclCommInitAll(comms.data(), static_cast<int>(comms.size()), devices.data());
            res != ncclSuccess)
            return fail(ErrorCode::Cuda, fmt::format("ncclCommInitAll: {}", ncclGetErrorString(res)), LWB_WHERE);
        for (std::size_t r = 0; r < comms.size(); ++r)
            out->m_ranks[r].comm = comms[r];
        return std::unique_ptr<detail::GradientAllReduce>(std::move(out));
    }

    void launch(int replica, const detail::GradientBucket& bucket) override
    {
        Rank& r = m_ranks[static_cast<std::size_t>(replica)];
        if (!r.error.empty())
            return;
        cudaSetDevice(r.device);
        // The communication stream starts the bucket once the compute stream has finished the
        // backward work enqueued so far (which includes every gradient of the bucket).
        if (!record(r, cudaEventRecord(r.ready, r.compute), "cudaEventRecord")
            || !record(r, cudaStreamWaitEvent(r.stream, r.ready, 0), "cudaStreamWaitEvent"))
            return;
        auto* base = static_cast<float*>(r.grads.data());
        ncclGroupStart();
        for (const auto& s : bucket.segments) {
            float* p = base + s.offset;
            if (ncclResult_t res
                = ncclAllReduce(p, p, static_cast<std::size_t>(s.count), ncclFloat32, ncclSum, r.comm, r.stream);
                res != ncclSuccess && r.error.empty())
                r.error = fmt::format("ncclAllReduce({}): {}", s.name, ncclGetErrorString(res));
        }
        if (ncclResult_t res = ncclGroupEnd(); res != ncclSuccess && r.error.empty())
            r.error = fmt::format("ncclGroupEnd: {}", ncclGetErrorString(res));
        r.launched = true;
    }

    Status finish(int replica) override
    {
        Rank& r = m_ranks[static_cast<std::size_t>(replica)];
        cudaSetDevice(r.device);
        if (r.launched) {
            record(r, cudaEventRecord(r.done, r.stream), "cudaEventRecord");
            record(r, cudaStreamWaitEvent(r.compute, r.done, 0), "cudaStreamWaitEvent");
            r.launched = false;
        }
        if (!r.error.empty()) {
            std::string message = std::move(r.error);
            r.error.clear();
            return fail(ErrorCode::Cuda, "gradient all-reduce failed: " + message, LWB_WHERE);
        }
        return {};
    }

private:
    struct Rank {
        int device = 0;
        cudaStream_t compute = nullptr; ///< the backend's stream (not owned)
        cudaStream_t stream = nullptr; ///< communication stream (owned)
        cudaEvent_t ready = nullptr, done = nullptr;
        ncclComm_t comm = nullptr;
        Tensor grads;
        bool launched = false;
        std::string error;
    };

    static Status check(cudaError_t err, const char* what)
    {
        if (err == cudaSuccess)
            return {};
        cudaGetLastError();
        return fail(ErrorCode::Cuda, fmt::format("{}: {}", what, cudaGetErrorString(err)), LWB_WHERE);
    }
    static bool record(Rank& r, cudaError_t err, const char* what)
    {
        if (err == cudaSuccess)
            return true;
        cudaGetLastError();
        if (r.error.empty())
            r.error = fmt::format("{}: {}", what, cudaGetErrorString(err));
        return false;
    }

    std::vector<Rank> m_ranks;
};

} // namespace

Result<std::unique_ptr<detail::GradientAllReduce>> createNcclAllReduce(
    const std::vector<Backend*>& backends, const std::vector<Tensor>& grads)
{
    return NcclAllReduce::create(backends, grads);
}

} // namespace lwb::engine::cuda

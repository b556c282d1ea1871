// Gradient buckets for multi-GPU data parallelism (the idea of PyTorch DDP's reducer): the
// parameter gradients, listed in the order the backward pass finishes them, are grouped into
// buckets of about `bucketBytes`; a bucket's all-reduce is launched as soon as the backward stage
// that finishes its last gradient has been enqueued, so communication overlaps the rest of the
// backward pass. Host-only planning (tested without a GPU) plus the interface the NCCL
// implementation (cuda/nccl_all_reduce.cpp) provides.
#pragma once

#include "lwb/core/result.h"
#include "lwb/engine/gpt.h"

#include <cstdint>
#include <string>
#include <vector>

namespace lwb::engine::detail {

/// One parameter's gradient: a range of the flat F32 gradient buffer.
struct GradientSegment {
    std::string name; ///< GPT-2 name, e.g. "h.3.mlp.c_fc.weight"
    std::int64_t offset = 0; ///< first element in the flat buffer
    std::int64_t count = 0; ///< elements
    int readyStage = 0; ///< backward stage after which this gradient is final
};

/// Gradients all-reduced together (one NCCL group), launched after stage `readyStage`.
struct GradientBucket {
    std::vector<GradientSegment> segments; ///< in backward order
    std::int64_t bytes = 0;
    int readyStage = 0; ///< the last segment's stage
};

/// GPT gradients in the order GptTrainer::backward finishes them. Stages: 0 = LM head and final
/// LayerNorm (lnf); 1 + i = block L-1-i (fcproj, fc, ln2, attproj, qkv, ln1); L + 1 = embeddings
/// (wpe, and wte, which the tied LM head and the embedding backward both write, so it is final
/// only at the very end).
std::vector<GradientSegment> gptGradientsInBackwardOrder(const GptConfig& config);

/// Groups `backwardOrder` into buckets: segments are added in order and a bucket closes once it
/// holds at least `bucketBytes` (a segment larger than that is a bucket of its own, after closing
/// the one being filled); the last bucket takes what is left. Every segment is in exactly one bucket.
std::vector<GradientBucket> planGradientBuckets(
    const std::vector<GradientSegment>& backwardOrder, std::int64_t bucketBytes);

/// The all-reduce of gradient buckets across replicas on separate devices (NCCL on CUDA).
class GradientAllReduce {
public:
    virtual ~GradientAllReduce() = default;
    /// Enqueues the sum of `bucket` over all replicas into replica r's gradients, on r's
    /// communication stream, after everything enqueued so far on r's compute stream.
    virtual void launch(int replica, const GradientBucket& bucket) = 0;
    /// Makes replica r's compute stream wait for every all-reduce launched on r; returns the first
    /// error of a launch.
    virtual Status finish(int replica) = 0;
};

} // namespace lwb::engine::detail

// The conformance tests proper: one test per op family and backend under test (instantiated by
// conformance_test.cpp over every backend registered here, and by cuda_conformance_test.cpp over
// the CUDA backend in the GPU test binary). Each test runs every case of its family at every
// precision the backend supports and compares with the CPU reference (see conformance_harness.h).
#include "conformance_harness.h"

namespace lwb::engine::conformance {
namespace {

TEST_P(BackendConformance, Elementwise)
{
    runFamily("elementwise");
}

TEST_P(BackendConformance, Embedding)
{
    runFamily("embedding");
}

TEST_P(BackendConformance, LayerNorm)
{
    runFamily("layernorm");
}

TEST_P(BackendConformance, Gelu)
{
    runFamily("gelu");
}

TEST_P(BackendConformance, Attention)
{
    runFamily("attention");
}

TEST_P(BackendConformance, AttentionKvCache)
{
    runFamily("attention_kv_cache");
}

TEST_P(BackendConformance, Matmul)
{
    runFamily("matmul");
}

TEST_P(BackendConformance, Loss)
{
    runFamily("loss");
}

TEST_P(BackendConformance, Optimizer)
{
    runFamily("optimizer");
}

} // namespace
} // namespace lwb::engine::conformance

// The host-side plan of multi-GPU data parallelism (runs without a GPU): the GPT gradients in
// backward order match the flat layout of GptTensors::of and cover it exactly once; buckets
// follow backward order, close at the byte size, keep large gradients alone, and are launched
// after the stage that finishes their last gradient; the placement rule (one GPU per replica,
// concurrent streams on a single GPU, errors in between).
#include "workloads/gradient_buckets.h"
#include "workloads/multi_gpu.h"

#include "engine_test_util.h"

#include <algorithm>
#include <map>

namespace lwb::engine::test {
namespace {

using detail::GradientBucket;
using detail::GradientSegment;

GptConfig smallGpt()
{
    GptConfig c;
    c.nLayer = 3;
    c.nEmbd = 32;
    c.nHead = 2;
    c.maxSeqLen = 16;
    return c;
}

TEST(GradientBuckets, GptSegmentsMatchTheFlatLayoutAndCoverItOnce)
{
    const GptConfig c = smallGpt();
    auto be = cpuBackend(1);
    auto flat = be->allocate({c.parameterCount()}, DType::F32, MemoryKind::Gradients);
    ASSERT_TRUE(flat.has_value());
    const auto* base = static_cast<const float*>(flat->data());
    std::map<std::string, std::pair<std::int64_t, std::int64_t>> layout; // name -> (offset, count)
    for (const auto& [name, t] : GptTensors::of(*flat, c).named())
        layout[name] = {static_cast<const float*>(t.data()) - base, t.numel()};

    auto segments = detail::gptGradientsInBackwardOrder(c);
    ASSERT_EQ(segments.size(), layout.size());
    std::vector<int> covered(static_cast<std::size_t>(c.parameterCount()), 0);
    for (const auto& s : segments) {
        ASSERT_TRUE(layout.count(s.name)) << s.name;
        EXPECT_EQ(s.offset, layout.at(s.name).first) << s.name;
        EXPECT_EQ(s.count, layout.at(s.name).second) << s.name;
        for (std::int64_t i = s.offset; i < s.offset + s.count; ++i)
            ++covered[static_cast<std::size_t>(i)];
    }
    EXPECT_TRUE(std::all_of(covered.begin(), covered.end(), [](int n) { return n == 1; }))
        << "every gradient element belongs to exactly one segment";
}

TEST(GradientBuckets, GptBackwardOrderFollowsTheBackwardPass)
{
    const GptConfig c = smallGpt();
    auto s = detail::gptGradientsInBackwardOrder(c);
    EXPECT_EQ(s.front().name, "ln_f.weight");
    EXPECT_EQ(s.front().readyStage, 0);
    EXPECT_EQ(s[2].name, "h.2.mlp.c_proj.weight") << "the last block's backward comes first";
    EXPECT_EQ(s[2].readyStage, 1);
    EXPECT_EQ(s[2 + 12].name, "h.1.mlp.c_proj.weight");
    EXPECT_EQ(s[2 + 12].readyStage, 2);
    EXPECT_EQ(s.back().name, "wte.weight") << "the tied wte is final only after the embedding backward";
    EXPECT_EQ(s.back().readyStage, static_cast<int>(c.nLayer) + 1);
    for (std::size_t i = 1; i < s.size(); ++i)
        EXPECT_LE(s[i - 1].readyStage, s[i].readyStage) << s[i].name;
}

TEST(GradientBuckets, BucketsCloseAtTheByteSizeAndKeepLargeGradientsAlone)
{
    // Element counts (4 bytes each) and stages; buckets of 800 bytes (200 floats).
    std::vector<GradientSegment> order {{"a", 0, 100, 0}, {"b", 100, 100, 0}, {"c", 200, 300, 1}, {"d", 500, 50, 1},
        {"e", 550, 50, 2}, {"f", 600, 1000, 2}, {"g", 1600, 10, 3}};
    auto buckets = detail::planGradientBuckets(order, 800);
    auto names = [](const GradientBucket& b) {
        std::string n;
        for (const auto& s : b.segments)
            n += s.name;
        return n;
    };
    ASSERT_EQ(buckets.size(), 5u);
    EXPECT_EQ(names(buckets[0]), "ab");
    EXPECT_EQ(buckets[0].bytes, 800);
    EXPECT_EQ(buckets[0].readyStage, 0);
    EXPECT_EQ(names(buckets[1]), "c") << "300 floats exceed the bucket: alone";
    EXPECT_EQ(buckets[1].readyStage, 1);
    EXPECT_EQ(names(buckets[2]), "de") << "closed early so that f does not delay d and e";
    EXPECT_EQ(buckets[2].bytes, 400);
    EXPECT_EQ(buckets[2].readyStage, 2) << "ready when its last gradient (e, stage 2) is";
    EXPECT_EQ(names(buckets[3]), "f");
    EXPECT_EQ(names(buckets[4]), "g") << "the rest";
    EXPECT_EQ(buckets[4].readyStage, 3);
}

TEST(GradientBuckets, GptBucketsKeepBackwardOrderAndEverySegmentOnce)
{
    const GptConfig c = smallGpt();
    const auto order = detail::gptGradientsInBackwardOrder(c);
    for (std::int64_t bucketBytes : {std::int64_t {1}, std::int64_t {16 << 10}, std::int64_t {25} << 20}) {
        auto buckets = detail::planGradientBuckets(order, bucketBytes);
        std::vector<GradientSegment> flattened;
        std::int64_t bytes = 0;
        for (const auto& b : buckets) {
            ASSERT_FALSE(b.segments.empty());
            std::int64_t sum = 0;
            for (const auto& s : b.segments)
                sum += s.count * 4;
            EXPECT_EQ(b.bytes, sum);
            EXPECT_EQ(b.readyStage, b.segments.back().readyStage);
            bytes += b.bytes;
            flattened.insert(flattened.end(), b.segments.begin(), b.segments.end());
        }
        ASSERT_EQ(flattened.size(), order.size()) << bucketBytes;
        for (std::size_t i = 0; i < order.size(); ++i)
            EXPECT_EQ(flattened[i].name, order[i].name);
        EXPECT_EQ(bytes, c.parameterCount() * 4);
        if (bucketBytes == 1) {
            EXPECT_EQ(buckets.size(), order.size()) << "1-byte buckets: one per gradient";
        }
        if (bucketBytes == (std::int64_t {25} << 20)) {
            EXPECT_EQ(buckets.size(), 1u) << "a 25 MiB bucket holds this whole small model";
        }
    }
}

TEST(MultiGpuPlacement, OneGpuPerReplicaOnlyWithCudaSeveralGpusAndNccl)
{
    using detail::ReplicaPlacement;
    detail::PlacementInputs in;
    in.backend = "cuda";
    in.replicas = 2;
    in.visibleGpus = 2;
    in.haveNccl = true;
    auto placed = detail::chooseReplicaPlacement(in);
    ASSERT_TRUE(placed.has_value());
    EXPECT_EQ(*placed, ReplicaPlacement::DevicePerReplica);

    auto expectShared = [](detail::PlacementInputs i, const char* why) {
        auto p = detail::chooseReplicaPlacement(i);
        ASSERT_TRUE(p.has_value()) << why;
        EXPECT_EQ(*p, ReplicaPlacement::SharedDevice) << why;
    };
    auto cpu = in;
    cpu.backend = "cpu";
    expectShared(cpu, "CPU replicas are threads");
    auto one = in;
    one.replicas = 1;
    expectShared(one, "a single replica");
    auto singleGpu = in;
    singleGpu.visibleGpus = 1;
    singleGpu.replicas = 4;
    expectShared(singleGpu, "on a single-GPU machine replicas are concurrent streams");

    auto tooFew = in;
    tooFew.replicas = 4;
    tooFew.visibleGpus = 2;
    auto e = detail::chooseReplicaPlacement(tooFew);
    ASSERT_FALSE(e.has_value()) << "4 replicas on 2 GPUs: an error, not a silent mix";
    EXPECT_EQ(e.error().code, ErrorCode::InvalidArgument);
    EXPECT_NE(e.error().message.find("GPUs 0..3"), std::string::npos) << e.error().message;
    auto offset = in;
    offset.firstDevice = 1;
    EXPECT_FALSE(detail::chooseReplicaPlacement(offset).has_value()) << "cuda_device 1 + 2 replicas needs GPU 2";
    auto noNccl = in;
    noNccl.haveNccl = false;
    auto n = detail::chooseReplicaPlacement(noNccl);
    ASSERT_FALSE(n.has_value());
    EXPECT_EQ(n.error().code, ErrorCode::Unsupported);
    EXPECT_NE(n.error().message.find("NCCL"), std::string::npos);
    auto graphs = in;
    graphs.cudaGraphs = true;
    auto g = detail::chooseReplicaPlacement(graphs);
    ASSERT_FALSE(g.has_value());
    EXPECT_EQ(g.error().code, ErrorCode::Unsupported);
}

TEST(MultiGpuPlacement, ACpuConfigurationStaysOnOneDevice)
{
    Config c {{"backend", std::string("cpu")}, {"replicas", std::int64_t {2}}, {"threads", std::int64_t {1}}};
    auto setup = detail::trainingDeviceSetup(c);
    ASSERT_TRUE(setup.has_value());
    EXPECT_EQ(setup->placement, detail::ReplicaPlacement::SharedDevice);
    EXPECT_EQ(setup->replicas, 2);
}

} // namespace
} // namespace lwb::engine::test

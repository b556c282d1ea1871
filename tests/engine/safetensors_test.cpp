// safetensors reader/writer and model checkpoints: round trips, and clear errors (never crashes)
// for missing, truncated, damaged and mismatched files.
#include "engine_test_util.h"

#include "lwb/engine/gpt.h"
#include "lwb/engine/mlp.h"
#include "lwb/engine/safetensors.h"

#include <filesystem>
#include <fstream>
#include <unistd.h>

namespace lwb::engine::test {
namespace {

namespace fs = std::filesystem;

class Safetensors : public ::testing::Test {
protected:
    void SetUp() override
    {
        m_dir = fs::temp_directory_path() / ("lwb_safetensors_" + std::to_string(::getpid()));
        fs::create_directories(m_dir);
    }
    void TearDown() override { fs::remove_all(m_dir); }
    fs::path path(const std::string& name) const { return m_dir / name; }
    static void writeBytes(const fs::path& p, const std::string& bytes) { std::ofstream(p, std::ios::binary) << bytes; }
    static std::string readBytes(const fs::path& p)
    {
        std::ifstream in(p, std::ios::binary);
        return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    }
    static GptConfig smallGpt()
    {
        GptConfig c;
        c.nLayer = 2;
        c.nEmbd = 32;
        c.nHead = 2;
        c.maxSeqLen = 16;
        return c;
    }
    fs::path m_dir;
};

TEST_F(Safetensors, RoundTripKeepsNamesShapesDtypesAndMetadata)
{
    std::vector<float> a {1.5f, -2.0f, 3.25f, 0.0f, 7.0f, -1.0f};
    std::vector<std::uint16_t> b {floatToBf16(0.5f), floatToBf16(-4.0f)};
    std::vector<std::int32_t> c {7, 8, 9};
    ASSERT_TRUE(writeSafetensors(path("t.safetensors"),
        {{"a", DType::F32, {2, 3}, a.data()}, {"b", DType::BF16, {2}, b.data()}, {"c", DType::I32, {3}, c.data()}},
        {{"note", "hello"}})
                    .has_value());
    auto file = SafetensorsFile::read(path("t.safetensors"));
    ASSERT_TRUE(file.has_value()) << file.error().describe();
    EXPECT_EQ(file->metadata().at("note"), "hello");
    const auto* ea = file->find("a");
    ASSERT_NE(ea, nullptr);
    EXPECT_EQ(ea->shape, (std::vector<std::int64_t> {2, 3}));
    EXPECT_EQ(file->toFloats(*ea), a);
    const auto* eb = file->find("b");
    ASSERT_NE(eb, nullptr);
    EXPECT_EQ(eb->dtype, DType::BF16);
    EXPECT_EQ(file->toFloats(*eb), (std::vector<float> {0.5f, -4.0f}));
    EXPECT_EQ(file->find("missing"), nullptr);
    // The header length is 8-byte aligned (so the data section is) and little-endian.
    auto bytes = readBytes(path("t.safetensors"));
    EXPECT_EQ(static_cast<unsigned char>(bytes[0]) % 8, 0);
}

TEST_F(Safetensors, DamagedFilesAreCorruptErrors)
{
    auto expectCorrupt = [&](const std::string& bytes, const char* what) {
        writeBytes(path("bad.safetensors"), bytes);
        auto file = SafetensorsFile::read(path("bad.safetensors"));
        ASSERT_FALSE(file.has_value()) << what;
        EXPECT_EQ(file.error().code, ErrorCode::Corrupt) << what << ": " << file.error().message;
        EXPECT_NE(file.error().message.find("bad.safetensors"), std::string::npos) << what;
    };
    expectCorrupt("abc", "shorter than the length field");
    std::string huge(8, '\0');
    huge[7] = 0x10; // header length 2^60
    expectCorrupt(huge + "{}", "header longer than the file");
    auto withHeader = [](const std::string& json, const std::string& data) {
        std::string out(8, '\0');
        std::uint64_t n = json.size();
        for (int i = 0; i < 8; ++i)
            out[static_cast<std::size_t>(i)] = static_cast<char>((n >> (8 * i)) & 0xff);
        return out + json + data;
    };
    expectCorrupt(withHeader("{not json", ""), "malformed JSON");
    expectCorrupt(
        withHeader(R"({"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}})", "12345678"), "truncated data");
    expectCorrupt(withHeader(R"({"w":{"dtype":"F32","shape":[3],"data_offsets":[0,16]}})", std::string(16, 'x')),
        "size does not match the shape");
    expectCorrupt(
        withHeader(R"({"w":{"dtype":"Q4","shape":[4],"data_offsets":[0,16]}})", std::string(16, 'x')), "unknown dtype");
    expectCorrupt(withHeader(R"({"w":{"shape":[4]}})", ""), "missing fields");
    // A model checkpoint cut in half.
    auto be = cpuBackend();
    auto model = GptModel::create(*be, smallGpt());
    ASSERT_TRUE(model.has_value());
    ASSERT_TRUE((*model)->initRandom(1).has_value());
    ASSERT_TRUE((*model)->save(path("gpt.safetensors")).has_value());
    auto whole = readBytes(path("gpt.safetensors"));
    writeBytes(path("bad.safetensors"), whole.substr(0, whole.size() / 2));
    auto loaded = (*model)->load(path("bad.safetensors"));
    ASSERT_FALSE(loaded.has_value());
    EXPECT_EQ(loaded.error().code, ErrorCode::Corrupt);
}

TEST_F(Safetensors, GptCheckpointRoundTripAndMismatches)
{
    auto be = cpuBackend();
    auto a = GptModel::create(*be, smallGpt());
    auto b = GptModel::create(*be, smallGpt());
    ASSERT_TRUE(a.has_value() && b.has_value());
    ASSERT_TRUE((*a)->initRandom(1).has_value());
    ASSERT_TRUE((*b)->initRandom(2).has_value());
    ASSERT_TRUE((*a)->save(path("a.safetensors")).has_value());
    ASSERT_TRUE((*b)->load(path("a.safetensors")).has_value());
    EXPECT_EQ(download(*be, (*a)->flat()), download(*be, (*b)->flat()));

    auto missingFile = (*b)->load(path("nope.safetensors"));
    ASSERT_FALSE(missingFile.has_value());
    EXPECT_EQ(missingFile.error().code, ErrorCode::NotFound);

    GptConfig deeper = smallGpt();
    deeper.nLayer = 3;
    auto c = GptModel::create(*be, deeper);
    ASSERT_TRUE(c.has_value());
    auto mismatch = (*c)->load(path("a.safetensors"));
    ASSERT_FALSE(mismatch.has_value());
    EXPECT_EQ(mismatch.error().code, ErrorCode::InvalidArgument);
    EXPECT_NE(mismatch.error().message.find("n_layer"), std::string::npos) << mismatch.error().message;

    // Same names, other shapes (no metadata to compare): the error names the tensor and shapes.
    std::vector<float> zeros(64 * 32, 0.0f);
    ASSERT_TRUE(
        writeSafetensors(path("shape.safetensors"), {{"wte.weight", DType::F32, {64, 32}, zeros.data()}}).has_value());
    auto shape = (*b)->load(path("shape.safetensors"));
    ASSERT_FALSE(shape.has_value());
    EXPECT_NE(shape.error().message.find("wte.weight"), std::string::npos) << shape.error().message;
    EXPECT_NE(shape.error().message.find("[256,32]"), std::string::npos) << shape.error().message;

    // Right shape, a tensor missing.
    std::vector<float> wte(256 * 32, 0.25f);
    ASSERT_TRUE(
        writeSafetensors(path("partial.safetensors"), {{"wte.weight", DType::F32, {256, 32}, wte.data()}}).has_value());
    auto partial = (*b)->load(path("partial.safetensors"));
    ASSERT_FALSE(partial.has_value());
    EXPECT_NE(partial.error().message.find("wpe.weight"), std::string::npos) << partial.error().message;
}

TEST_F(Safetensors, MlpCheckpointRoundTrip)
{
    auto be = cpuBackend();
    MlpConfig cfg;
    cfg.inputDim = 12;
    cfg.hiddenDim = 16;
    auto a = MlpModel::create(*be, cfg);
    auto b = MlpModel::create(*be, cfg);
    ASSERT_TRUE(a.has_value() && b.has_value());
    ASSERT_TRUE((*a)->initRandom(1).has_value());
    ASSERT_TRUE((*a)->save(path("mlp.safetensors")).has_value());
    ASSERT_TRUE((*b)->load(path("mlp.safetensors")).has_value());
    EXPECT_EQ(download(*be, (*a)->flat()), download(*be, (*b)->flat()));
    cfg.hiddenDim = 17;
    auto c = MlpModel::create(*be, cfg);
    ASSERT_TRUE(c.has_value());
    auto bad = (*c)->load(path("mlp.safetensors"));
    ASSERT_FALSE(bad.has_value());
    EXPECT_NE(bad.error().message.find("layers.0.weight"), std::string::npos);
}

} // namespace
} // namespace lwb::engine::test

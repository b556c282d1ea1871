// Corpora, token batches and the MLP teacher dataset (see data.h).
#include "lwb/engine/data.h"

#include "lwb/core/json_yaml.h"

#include <algorithm>
#include <cmath>
#include <fmt/core.h>

namespace lwb::engine {

TextCorpus::TextCorpus(std::string text, std::string name, double validationFraction)
    : m_text(std::move(text))
    , m_name(std::move(name))
{
    double keep = std::clamp(1.0 - validationFraction, 0.0, 1.0);
    m_split = static_cast<std::size_t>(static_cast<double>(m_text.size()) * keep);
}

std::span<const std::uint8_t> TextCorpus::train() const
{
    return {reinterpret_cast<const std::uint8_t*>(m_text.data()), m_split};
}

std::span<const std::uint8_t> TextCorpus::validation() const
{
    return {reinterpret_cast<const std::uint8_t*>(m_text.data()) + m_split, m_text.size() - m_split};
}

namespace {

/// Index of the first byte that breaks UTF-8, or npos.
std::size_t invalidUtf8At(const std::string& s)
{
    const std::size_t n = s.size();
    std::size_t i = 0;
    while (i < n) {
        const auto c = static_cast<unsigned char>(s[i]);
        std::size_t extra;
        if (c < 0x80)
            extra = 0;
        else if (c >= 0xc2 && c <= 0xdf)
            extra = 1;
        else if (c >= 0xe0 && c <= 0xef)
            extra = 2;
        else if (c >= 0xf0 && c <= 0xf4)
            extra = 3;
        else
            return i;
        if (extra > 0 && i + extra >= n)
            return i;
        for (std::size_t k = 1; k <= extra; ++k)
            if ((static_cast<unsigned char>(s[i + k]) & 0xc0) != 0x80)
                return i;
        i += extra + 1;
    }
    return std::string::npos;
}

} // namespace

Result<TextCorpus> TextCorpus::fromFile(const std::filesystem::path& path)
{
    std::error_code ec;
    if (!std::filesystem::exists(path, ec))
        return fail(ErrorCode::NotFound, fmt::format("corpus file {} does not exist", path.string()), LWB_WHERE);
    auto text = readTextFile(path);
    if (!text)
        return fail(
            ErrorCode::Io, fmt::format("cannot read corpus {}: {}", path.string(), text.error().message), LWB_WHERE);
    if (text->empty())
        return fail(ErrorCode::InvalidArgument, fmt::format("corpus {} is empty", path.string()), LWB_WHERE);
    if (auto bad = invalidUtf8At(*text); bad != std::string::npos)
        return fail(ErrorCode::InvalidArgument,
            fmt::format("corpus {} is not UTF-8 text (invalid byte at offset {})", path.string(), bad), LWB_WHERE);
    return TextCorpus(std::move(*text), path.filename().string());
}

TextCorpus TextCorpus::generated(std::uint64_t seed, std::size_t bytes)
{
    std::mt19937_64 rng(seed);
    static const char* kOnsets[] = {"b", "d", "f", "g", "k", "l", "m", "n", "p", "r", "s", "t", "v", "z", "st", "tr",
        "pl", "gr", "sh", "th", "ch", "br", "", ""};
    static const char* kVowels[] = {"a", "e", "i", "o", "u", "ai", "ou", "ea", "y"};
    static const char* kCodas[] = {"", "", "", "n", "r", "s", "l", "m", "nd", "st", "ck", "x"};
    constexpr int kWords = 240;
    std::vector<std::string> words;
    while (words.size() < kWords) {
        int syllables = 1 + static_cast<int>(rng() % 3);
        std::string w;
        for (int s = 0; s < syllables; ++s) {
            w += kOnsets[rng() % std::size(kOnsets)];
            w += kVowels[rng() % std::size(kVowels)];
            if (s + 1 == syllables)
                w += kCodas[rng() % std::size(kCodas)];
        }
        if (std::find(words.begin(), words.end(), w) == words.end())
            words.push_back(w);
    }
    // Zipf weights over words; each word prefers a few successors.
    std::vector<double> zipf(kWords);
    for (int i = 0; i < kWords; ++i)
        zipf[static_cast<std::size_t>(i)] = 1.0 / (i + 1.0);
    std::discrete_distribution<int> global(zipf.begin(), zipf.end());
    std::vector<std::vector<int>> successors(kWords);
    for (auto& s : successors)
        for (int k = 0; k < 6; ++k)
            s.push_back(global(rng));
    std::discrete_distribution<int> pick({8, 5, 3, 2, 1, 1});
    std::uniform_real_distribution<double> unit(0, 1);
    std::string text;
    text.reserve(bytes + 256);
    int word = global(rng);
    while (text.size() < bytes) {
        int sentences = 3 + static_cast<int>(rng() % 4);
        for (int s = 0; s < sentences; ++s) {
            int length = 4 + static_cast<int>(rng() % 9);
            for (int i = 0; i < length; ++i) {
                word = unit(rng) < 0.85
                    ? successors[static_cast<std::size_t>(word)][static_cast<std::size_t>(pick(rng))]
                    : global(rng);
                std::string w = words[static_cast<std::size_t>(word)];
                if (i == 0)
                    w[0] = static_cast<char>(w[0] - 'a' + 'A');
                text += w;
                text += i + 1 == length ? "" : (unit(rng) < 0.08 ? ", " : " ");
            }
            double end = unit(rng);
            text += end < 0.8 ? ". " : end < 0.9 ? "? " : "! ";
        }
        text += "\n\n";
    }
    return TextCorpus(std::move(text), "generated");
}

TokenBatcher::TokenBatcher(
    std::span<const std::uint8_t> data, std::int64_t batch, std::int64_t seqLen, std::uint64_t seed)
    : m_data(data)
    , m_batch(batch)
    , m_seqLen(seqLen)
    , m_rng(seed)
{
}

void TokenBatcher::next(std::int32_t* tokens, std::int32_t* targets)
{
    const auto span = static_cast<std::uint64_t>(m_data.size()) - static_cast<std::uint64_t>(m_seqLen);
    for (std::int64_t b = 0; b < m_batch; ++b) {
        std::uint64_t start = m_rng() % span;
        for (std::int64_t t = 0; t < m_seqLen; ++t) {
            tokens[b * m_seqLen + t] = m_data[start + static_cast<std::uint64_t>(t)];
            targets[b * m_seqLen + t] = m_data[start + static_cast<std::uint64_t>(t) + 1];
        }
    }
}

TeacherDataset::TeacherDataset(std::int64_t inputDim, std::int64_t classes, std::uint64_t seed)
    : m_inputDim(inputDim)
    , m_classes(classes)
{
    std::mt19937_64 rng(seed ^ 0x7eac4e5ull);
    std::normal_distribution<float> n1(0.0f, 1.0f / std::sqrt(static_cast<float>(inputDim)));
    std::normal_distribution<float> n2(0.0f, 1.0f / std::sqrt(static_cast<float>(m_hidden)));
    m_w1.resize(static_cast<std::size_t>(m_hidden * inputDim));
    m_w2.resize(static_cast<std::size_t>(classes * m_hidden));
    for (auto& w : m_w1)
        w = n1(rng);
    for (auto& w : m_w2)
        w = n2(rng);
}

void TeacherDataset::sample(std::int64_t count, std::mt19937_64& rng, float* x, std::int32_t* y) const
{
    std::normal_distribution<float> normal(0.0f, 1.0f);
    std::vector<float> h(static_cast<std::size_t>(m_hidden));
    for (std::int64_t i = 0; i < count; ++i) {
        float* xi = x + i * m_inputDim;
        for (std::int64_t k = 0; k < m_inputDim; ++k)
            xi[k] = normal(rng);
        for (std::int64_t j = 0; j < m_hidden; ++j) {
            const float* w = m_w1.data() + j * m_inputDim;
            float s = 0;
            for (std::int64_t k = 0; k < m_inputDim; ++k)
                s += w[k] * xi[k];
            h[static_cast<std::size_t>(j)] = std::tanh(2.0f * s);
        }
        std::int64_t best = 0;
        float bestScore = -1e30f;
        for (std::int64_t c = 0; c < m_classes; ++c) {
            const float* w = m_w2.data() + c * m_hidden;
            float s = 0;
            for (std::int64_t j = 0; j < m_hidden; ++j)
                s += w[j] * h[static_cast<std::size_t>(j)];
            if (s > bestScore) {
                bestScore = s;
                best = c;
            }
        }
        y[i] = static_cast<std::int32_t>(best);
    }
}

} // namespace lwb::engine

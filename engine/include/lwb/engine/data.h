// Training data. TextCorpus: byte-level text (a generated default corpus with learnable
// structure, or any UTF-8 file) split into training and validation bytes; TokenBatcher draws
// random [B, T] windows with next-byte targets. TeacherDataset: a classification task for the
// MLP, labelled by a fixed random two-layer "teacher" network, so it is learnable but not trivial.
// Everything is deterministic in its seed.
#pragma once

#include "lwb/core/result.h"

#include <cstdint>
#include <filesystem>
#include <random>
#include <span>
#include <string>
#include <vector>

namespace lwb::engine {

class TextCorpus {
public:
    /// `validationFraction` of the bytes (at the end) are the validation split.
    TextCorpus(std::string text, std::string name, double validationFraction = 0.1);
    /// The default corpus: pseudo-words built from syllables, Zipf-distributed word transitions,
    /// sentences and paragraphs (about `bytes` bytes). A byte-level model's loss falls well below
    /// ln(256) on it within a few hundred steps.
    static TextCorpus generated(std::uint64_t seed = 1337, std::size_t bytes = 1 << 20);
    /// A UTF-8 text file. Errors: NotFound/Io when unreadable, InvalidArgument when it is not
    /// UTF-8 (with the byte offset) or empty.
    static Result<TextCorpus> fromFile(const std::filesystem::path& path);

    std::span<const std::uint8_t> train() const;
    std::span<const std::uint8_t> validation() const;
    const std::string& name() const { return m_name; }
    std::size_t size() const { return m_text.size(); }

private:
    std::string m_text;
    std::string m_name;
    std::size_t m_split = 0;
};

/// Random windows of `seqLen + 1` bytes: tokens are the first seqLen, targets the next byte.
class TokenBatcher {
public:
    TokenBatcher(std::span<const std::uint8_t> data, std::int64_t batch, std::int64_t seqLen, std::uint64_t seed);
    /// Fills batch * seqLen tokens and targets.
    void next(std::int32_t* tokens, std::int32_t* targets);

private:
    std::span<const std::uint8_t> m_data;
    std::int64_t m_batch, m_seqLen;
    std::mt19937_64 m_rng;
};

class TeacherDataset {
public:
    TeacherDataset(std::int64_t inputDim, std::int64_t classes, std::uint64_t seed);
    /// `count` samples: x [count, inputDim] ~ N(0, 1), y = argmax(W2 tanh(W1 x)).
    void sample(std::int64_t count, std::mt19937_64& rng, float* x, std::int32_t* y) const;
    std::int64_t inputDim() const { return m_inputDim; }
    std::int64_t classes() const { return m_classes; }

private:
    std::int64_t m_inputDim, m_classes, m_hidden = 64;
    std::vector<float> m_w1, m_w2;
};

} // namespace lwb::engine

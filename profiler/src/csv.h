// A small RFC 4180 CSV writer (quotes fields with commas, quotes or newlines) for summary and
// comparison exports. Internal to lwb_profiler.
#pragma once

#include <fmt/format.h>

#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

namespace lwb::profiler {

class CsvWriter {
public:
    void row(std::initializer_list<std::string_view> fields)
    {
        bool first = true;
        for (std::string_view field : fields) {
            if (!first)
                m_text += ',';
            first = false;
            appendField(field);
        }
        m_text += "\r\n";
    }
    /// Integers print exactly; other values with `decimals` digits after the point.
    static std::string number(double value, int decimals = 3)
    {
        if (std::nearbyint(value) == value && std::abs(value) < 1e15)
            return fmt::format("{}", static_cast<std::int64_t>(value));
        return fmt::format("{:.{}f}", value, decimals);
    }
    static std::string number(std::int64_t value) { return fmt::format("{}", value); }
    const std::string& text() const { return m_text; }

private:
    void appendField(std::string_view field)
    {
        if (field.find_first_of(",\"\r\n") == std::string_view::npos) {
            m_text += field;
            return;
        }
        m_text += '"';
        for (char c : field) {
            if (c == '"')
                m_text += '"';
            m_text += c;
        }
        m_text += '"';
    }
    std::string m_text;
};

} // namespace lwb::profiler

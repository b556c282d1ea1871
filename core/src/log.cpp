// Logger set-up (see log.h).
#include "lwb/core/log.h"

#include <spdlog/sinks/stdout_color_sinks.h>

namespace lwb::log {

void init(std::string_view level)
{
    auto logger = spdlog::get("lwb");
    if (!logger) {
        logger = spdlog::stderr_color_mt("lwb");
        logger->set_pattern("[%H:%M:%S.%e] [%^%l%$] %v");
        spdlog::set_default_logger(logger);
    }
    spdlog::set_level(spdlog::level::from_str(std::string(level)));
}

} // namespace lwb::log

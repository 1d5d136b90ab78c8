// The log facade: one named spdlog logger per module. Library code logs through it and never
// prints; the application decides where logs go (configure_logging).
#pragma once

#include <spdlog/spdlog.h>

#include <memory>
#include <string>

namespace espfab::log {

// The logger for a module ("image", "loader", ...). Created on first use; until the application
// configures logging, messages below `warn` are dropped and the rest go to stderr.
std::shared_ptr<spdlog::logger> get(const std::string& module);

enum class Level { Trace, Debug, Info, Warn, Error, Off };

// Application side: level for every logger, optional log file in addition to stderr.
void configure_logging(Level level, const std::string& file = {});

Level parse_level(const std::string& text);  // "trace", "debug", ...; throws BadInputError

}  // namespace espfab::log

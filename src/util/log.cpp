#include "util/log.hpp"

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>

#include <mutex>
#include <vector>

#include "util/error.hpp"

namespace espfab::log {

namespace {

struct Registry {
  std::mutex mutex;
  std::vector<spdlog::sink_ptr> sinks{std::make_shared<spdlog::sinks::stderr_color_sink_mt>()};
  spdlog::level::level_enum level = spdlog::level::warn;
};

Registry& registry() {
  static Registry instance;
  return instance;
}

spdlog::level::level_enum to_spdlog(Level level) {
  switch (level) {
    case Level::Trace: return spdlog::level::trace;
    case Level::Debug: return spdlog::level::debug;
    case Level::Info: return spdlog::level::info;
    case Level::Warn: return spdlog::level::warn;
    case Level::Error: return spdlog::level::err;
    case Level::Off: return spdlog::level::off;
  }
  return spdlog::level::info;
}

}  // namespace

std::shared_ptr<spdlog::logger> get(const std::string& module) {
  auto& reg = registry();
  std::lock_guard lock(reg.mutex);
  const std::string name = "espfab." + module;
  if (auto existing = spdlog::get(name)) return existing;
  auto logger = std::make_shared<spdlog::logger>(name, reg.sinks.begin(), reg.sinks.end());
  logger->set_level(reg.level);
  spdlog::register_logger(logger);
  return logger;
}

void configure_logging(Level level, const std::string& file) {
  auto& reg = registry();
  std::lock_guard lock(reg.mutex);
  reg.level = to_spdlog(level);
  reg.sinks = {std::make_shared<spdlog::sinks::stderr_color_sink_mt>()};
  if (!file.empty()) reg.sinks.push_back(std::make_shared<spdlog::sinks::basic_file_sink_mt>(file));
  spdlog::apply_all([&](const std::shared_ptr<spdlog::logger>& logger) {
    logger->sinks() = reg.sinks;
    logger->set_level(reg.level);
  });
}

Level parse_level(const std::string& text) {
  if (text == "trace") return Level::Trace;
  if (text == "debug") return Level::Debug;
  if (text == "info") return Level::Info;
  if (text == "warn" || text == "warning") return Level::Warn;
  if (text == "error") return Level::Error;
  if (text == "off") return Level::Off;
  throw BadInputError("log.bad_level", "unknown log level '" + text + "'",
                      "use one of trace, debug, info, warn, error, off");
}

}  // namespace espfab::log

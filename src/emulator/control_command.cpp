#include "emulator/control_command.hpp"

#include <charconv>
#include <vector>

namespace espfab::emulator {
namespace {

std::vector<std::string_view> split_words(std::string_view line) {
  std::vector<std::string_view> words;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    const std::size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t') ++i;
    if (i > start) words.push_back(line.substr(start, i - start));
  }
  return words;
}

// "<what> '<word>'<tail>", built by appending (GCC 12 warns falsely on operator+ chains here).
Result<ControlCommand> refuse(std::string_view what, std::string_view word, std::string_view tail = {}) {
  std::string reason(what);
  reason.append(" '").append(word).append("'").append(tail);
  return make_unexpected(BadInputError("emulator.bad_control_command", reason,
                                       "reset download N | reset boot N | fault N KNOBS|clear | busy N [clear]"));
}

bool parse_index(std::string_view word, std::size_t& index) {
  const auto [end, ec] = std::from_chars(word.data(), word.data() + word.size(), index);
  return ec == std::errc{} && end == word.data() + word.size();
}

Result<ControlCommand> parse_busy(const std::vector<std::string_view>& words) {
  ControlCommand command{ControlCommand::Kind::Busy, 0, {}};
  if (words.size() == 3) {
    if (words[2] != "clear") return refuse("unknown busy argument", words[2], " (clear or nothing)");
    command.kind = ControlCommand::Kind::BusyClear;
  }
  if (!parse_index(words[1], command.device)) return refuse("not a device index:", words[1]);
  return command;
}

}  // namespace

Result<ControlCommand> parse_control_command(std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  const auto words = split_words(line);
  if (!words.empty() && words[0] == "busy" && (words.size() == 2 || words.size() == 3)) return parse_busy(words);
  if (words.size() != 3 || (words[0] != "reset" && words[0] != "fault")) return refuse("unknown command", line);
  ControlCommand command{ControlCommand::Kind::ResetDownload, 0, {}};
  if (words[0] == "fault") {
    command.kind = ControlCommand::Kind::Fault;
    if (!parse_index(words[1], command.device)) return refuse("not a device index:", words[1]);
    if (words[2] != "clear") command.knobs = std::string(words[2]);
    return command;
  }
  if (words[1] == "download") {
    command.kind = ControlCommand::Kind::ResetDownload;
  } else if (words[1] == "boot") {
    command.kind = ControlCommand::Kind::ResetBoot;
  } else {
    return refuse("unknown reset mode", words[1], " (download or boot)");
  }
  if (!parse_index(words[2], command.device)) return refuse("not a device index:", words[2]);
  return command;
}

}  // namespace espfab::emulator

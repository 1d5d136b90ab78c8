#include "support/run_command.hpp"

#include "support/test_paths.hpp"
#include "util/deadline.hpp"
#include "util/subprocess.hpp"

namespace espfab::test {

CommandResult run_command(const std::filesystem::path& program, const std::vector<std::string>& args,
                          const std::vector<std::string>& environment) {
  SpawnOptions options;
  options.argv = {program.string()};
  options.argv.insert(options.argv.end(), args.begin(), args.end());
  options.env = environment;
  options.out = Redirect::pipe();
  options.err = Redirect::pipe();
  Subprocess child(std::move(options));
  Subprocess::Output output = child.read_to_end(Deadline::never());
  CommandResult result;
  result.exit_code = child.wait(Deadline::never()).value_or(-1);
  result.out = std::move(output.out);
  result.err = std::move(output.err);
  return result;
}
CommandResult run_espfab(const std::vector<std::string>& args, const std::vector<std::string>& environment) {
  return run_command(espfab_binary(), args, environment);
}

}  // namespace espfab::test

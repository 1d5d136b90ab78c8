#include "support/station/step_harness.hpp"

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "util/error.hpp"

namespace espfab::test {

SilentPty::SilentPty() {
  controller_ = ::posix_openpt(O_RDWR | O_NOCTTY);
  if (controller_ < 0 || ::grantpt(controller_) != 0 || ::unlockpt(controller_) != 0) {
    throw IoError("test.pty", "cannot open a pseudo-terminal", "the test needs /dev/ptmx");
  }
  path_ = ::ptsname(controller_);
}

SilentPty::~SilentPty() {
  if (controller_ >= 0) ::close(controller_);
}

StepHarness::StepHarness(const std::string& fixture_url, bool auto_baud)
    : audit(dir / "audit.jsonl", "test-station"),
      outbox(db, registrar, labels, dir / "records"),
      resources{profile, firmware, db, audit, ca, outbox, cache, "run-1", "test", dir / "records"},
      fixture(fixture_url.empty() ? pty.path() : fixture_url, 115200, std::nullopt, auto_baud),
      ctx(resources, fixture, "fixture 1", nullptr) {}

station::StepDecl StepHarness::declaration(const std::string& name) {
  auto steps = station::provisioning_steps();
  steps.push_back(station::retire_identity_step());
  for (auto& step : steps) {
    if (step.name == name) return step;
  }
  throw BadInputError("test.no_step", "no step named " + name, "see provisioning_steps()");
}

void StepHarness::give_device(const std::string& mac, const std::string& serial) {
  db.touch_device(mac, fixture.url());
  give(station::ConnectResult{mac, serial, {}});
}

station::StepOutcome StepHarness::run(const std::string& step) {
  const auto decl = declaration(step);
  ctx.begin_step(&decl);
  try {
    auto outcome = decl.body(ctx);
    if (!outcome.output.empty() || (outcome.verdict == station::StepVerdict::Continue && decl.output)) {
      ctx.store(decl, outcome.output);
    }
    ctx.begin_step(nullptr);
    return outcome;
  } catch (...) {
    ctx.begin_step(nullptr);
    throw;
  }
}

std::vector<nlohmann::json> StepHarness::audit_entries(const std::string& mac) const {
  return station::read_audit_entries(audit.file(), mac);
}

std::vector<std::string> StepHarness::audit_actions(const std::string& mac) const {
  std::vector<std::string> actions;
  for (const auto& entry : audit_entries(mac)) actions.push_back(entry.value("action", ""));
  return actions;
}

}  // namespace espfab::test

// Phase 1: connect (identify, refuse what is not ours to touch), flash the factory firmware, run
// the hardware test.
#include <fmt/format.h>

#include <bit>

#include "loader/device_info.hpp"
#include "security/burn_plan.hpp"
#include "security/efuse_burner.hpp"
#include "station/efuse_snapshot.hpp"
#include "station/factory_test_client.hpp"
#include "station/fixture_baud.hpp"
#include "station/provisioning_steps.hpp"
#include "station/test_plan.hpp"
#include "util/error.hpp"

namespace espfab::station {
namespace {

// Security eFuses that mean someone already locked the chip down (or started to).
std::vector<std::string> lockdown_found(const security::EfuseImage& efuses) {
  std::vector<std::string> found;
  if (std::popcount(efuses.field_uint("SPI_BOOT_CRYPT_CNT")) % 2 == 1) found.emplace_back("flash encryption on");
  if (efuses.field_uint("SECURE_BOOT_EN") != 0) found.emplace_back("Secure Boot on");
  for (unsigned k = 0; k < 6; ++k) {
    if (efuses.field_uint(fmt::format("KEY_PURPOSE_{}", k)) != 0)
      found.push_back(fmt::format("BLOCK_KEY{} has a purpose", k));
  }
  if (efuses.field_uint("ENABLE_SECURITY_DOWNLOAD") != 0) found.emplace_back("secure download mode on");
  if (efuses.field_uint("DIS_DOWNLOAD_MODE") != 0) found.emplace_back("download mode disabled");
  return found;
}

std::string join(const std::vector<std::string>& items, const char* separator) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : separator) + item;
  return out;
}

// "" when a faulted device's eFuses are its before-burn snapshot plus bits its plan sets (what an
// interrupted run leaves): it can resume. Else why not.
std::string resume_refusal(DeviceContext& ctx, const std::string& mac, const security::EfuseImage& now) {
  const auto snapshot = ctx.station.db.efuse_snapshot(mac, "before-burn");
  if (!snapshot) return "";
  const auto& fw = ctx.station.firmware;
  const std::vector<security::PlanImage> images{{"bootloader", *fw.bootloader}, {"app", *fw.production_app}};
  try {
    const auto planned_from = efuse_from_json(*snapshot);
    const auto plan = security::plan_burn(ctx.station.profile.security, planned_from, images);
    security::check_plan_explains(plan, planned_from, now);
  } catch (const Error& error) {
    if (error.code() == "security.burn.efuse_errors") {
      return "its eFuses read with errors after a program cycle of this station was cut (power loss): an engineer "
             "must inspect it";
    }
    return error.message();
  }
  return "";
}

// A chip in Secure Download Mode refuses register reads: its MAC cannot be read. It is taken for
// the device this fixture saw last when that device got as far as a verified boot and is not
// finished (its final lock took effect, then the station or the link stopped before that was
// recorded); a faulted one only with auto_resume. Any other chip is left untouched.
StepOutcome identify_locked_chip(DeviceContext& ctx, StepOutcome out) {
  StepOutcome untouched{
      StepVerdict::Skip, "the chip is in Secure Download Mode (already locked): left untouched", {}, out.details};
  auto& db = ctx.station.db;
  const auto last = db.last_on_fixture(ctx.fixture.url());
  if (!last || (last->status != "in_progress" && last->status != "fault") || !db.step_done(last->mac, "verify-boot")) {
    return untouched;
  }
  if (last->status == "fault") {
    if (!ctx.station.profile.auto_resume) {
      return {StepVerdict::Skip,
              fmt::format("the chip is in Secure Download Mode; the device this fixture saw last, {}, is marked for an "
                          "engineer ({}) and [station] auto_resume is off. See `espfab device status {}`, then "
                          "`espfab device resume|scrap`",
                          last->mac, last->reason, last->mac),
              {},
              out.details};
    }
    ctx.station.audit.append({"device.auto_resume",
                              last->mac,
                              last->serial,
                              {{"fault", last->reason}, {"identified_by", "fixture (Secure Download Mode)"}}});
    out.details["auto_resumed_after"] = last->reason;
  }
  ctx.mark_security_burned();
  out.details["mac"] = last->mac;
  out.details["identified_by"] = "fixture (the chip is in Secure Download Mode after its verified boot)";
  out.output = StepOutput::of(ConnectResult{last->mac, last->serial, {}});
  return out;
}

}  // namespace

StepOutcome step_connect(DeviceContext& ctx) {
  auto& session = device_session(ctx);
  StepOutcome out;
  out.details["chip"] = session.description().name;
  out.details["loader"] = session.stub_running() ? "stub" : "rom";
  out.details["port"] = ctx.fixture.link().describe();
  out.details["baud"] = baud_details(ctx.fixture);
  if (session.chip().secure_download_mode) return identify_locked_chip(ctx, std::move(out));
  ConnectResult device;
  device.mac = loader::format_mac(loader::read_mac(session.client(), session.description()));
  const std::string& mac = device.mac;
  out.details["mac"] = mac;
  audit_link_rate(ctx, mac, out.details["baud"]);
  const auto flash_id = session.flash_id();
  out.details["flash_id"] = fmt::format("0x{:06x}", flash_id);
  if (const auto size = session.flash_size()) out.details["flash_size"] = *size;
  device.efuses = read_device_efuses(ctx);
  const auto& efuses = device.efuses;
  auto& db = ctx.station.db;
  const bool known = db.find_device(mac).has_value();
  const auto row = db.touch_device(mac, ctx.fixture.url());
  device.serial = row.serial;
  db.store_efuse_snapshot(mac, "connect", efuse_to_json(efuses));
  out.details["security_efuses"] = efuse_security_fields(efuses);
  // The device is identified from here on, whatever the verdict.
  const auto with_device = [&](StepOutcome outcome) {
    outcome.output = StepOutput::of(device);
    return outcome;
  };
  if (row.status == "provisioned") {
    return with_device(
        {StepVerdict::Skip, fmt::format("already provisioned as {}: not touched again", row.serial), {}, out.details});
  }
  if (row.status == "scrapped") {
    return with_device({StepVerdict::Skip, fmt::format("scrapped ({}): left untouched", row.reason), {}, out.details});
  }
  if (row.status == "fault") {
    // A fault leaves the device where the DB says; with auto_resume and eFuses its plan explains,
    // the resume logic takes it on like after a crash. Otherwise an engineer decides.
    const auto why_not =
        ctx.station.profile.auto_resume ? resume_refusal(ctx, mac, efuses) : "[station] auto_resume is off";
    if (!why_not.empty()) {
      return with_device({StepVerdict::Skip,
                          fmt::format("this device is marked for an engineer ({}); not resumed automatically: {}. "
                                      "See `espfab device status {}`, then `espfab device resume|scrap`",
                                      row.reason, why_not, mac),
                          {},
                          out.details});
    }
    ctx.station.audit.append({"device.auto_resume", mac, device.serial, {{"fault", row.reason}}});
    out.details["auto_resumed_after"] = row.reason;
  }
  const auto locked = lockdown_found(efuses);
  const bool we_burned = known && db.efuse_snapshot(mac, "before-burn").has_value();
  if (!locked.empty() && !we_burned) {
    return with_device({StepVerdict::Fail,
                        fmt::format("locked by someone else ({}): left untouched", join(locked, ", ")),
                        {},
                        out.details});
  }
  if (we_burned && !locked.empty()) ctx.mark_security_burned();
  return with_device(std::move(out));
}

StepOutcome step_flash_factory(DeviceContext& ctx) {
  const auto& fw = ctx.station.firmware;
  start_device_key(ctx);  // made while the device writes its flash and runs its test
  std::vector<flash::FlashRegion> regions{
      {kBootloaderOffset, fw.bootloader, "bootloader", false},
      {kPartitionTableOffset, fw.partition_table, "partition-table", false},
      {fw.factory_test_slot->offset, fw.factory_app, "factory-test-app", false},
  };
  // An OTA slot boots only when otadata selects it (an OTA-only layout).
  if (const auto slot = ota_slot_index(*fw.factory_test_slot); slot && fw.otadata) {
    regions.push_back(
        {fw.otadata->offset, std::make_shared<Bytes>(otadata_selecting(*slot, fw.otadata->size)), "otadata", false});
  }
  StepOutcome out;
  out.details["regions"] = write_regions(ctx, "flash-factory", regions, true, &ctx.station.cache);
  return out;
}

StepOutcome step_hardware_test(DeviceContext& ctx) {
  const auto& plan = ctx.station.profile.test;
  FactoryTestClient client(ctx.fixture);
  const auto ready = client.boot_and_wait_ready(std::chrono::milliseconds(plan.boot_timeout_ms));
  StepOutcome out;
  out.details["firmware"] = {{"fw", ready.value("fw", "")}, {"version", ready.value("version", "")}};
  const std::string reported_mac = ready.value("mac", "");
  const std::string& mac = ctx.input<ConnectResult>().mac;
  if (reported_mac != mac) {
    ctx.add_console(ctx.fixture.take_console());
    return {StepVerdict::Fail,
            fmt::format("the test firmware reports MAC {}, the ROM reported {}: a different board answers",
                        reported_mac, mac),
            {},
            out.details};
  }
  const std::chrono::milliseconds timeout(plan.request_timeout_ms);
  out.details["info"] = client.request({{"cmd", "info"}}, timeout);
  std::vector<std::string> failures;
  for (const auto& spec : plan.measurements) {
    const bool slow = spec.kind == MeasurementSpec::Kind::WifiRssi;
    const auto reply = client.request(request_for(spec), slow ? 2 * timeout : timeout);
    const auto result = evaluate(spec, reply);
    out.measurements.push_back(to_json(result));
    if (!result.pass) failures.push_back(describe_failure(result));
  }
  ctx.add_console(ctx.fixture.take_console());
  if (!failures.empty()) {
    out.verdict = StepVerdict::Fail;
    out.reason = join(failures, "; ");
  }
  return out;
}

}  // namespace espfab::station

// Issue 7 acceptance, end to end with the built binaries: the station (`espfab run`) provisions
// emulated devices over rfc2217:// in one run, rejects the faulty ones untouched, and survives
// being killed with SIGKILL at random moments. Every check reads what the devices hold (their
// eFuse files, the identity their production app prints after a normal boot) rather than the
// station's own verdict.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "registry/dynsec_registrar.hpp"
#include "support/emulator_process.hpp"
#include "support/loopback.hpp"
#include "support/mosquitto_broker.hpp"
#include "support/run_command.hpp"
#include "support/tcp_line.hpp"
#include "support/temp_dir.hpp"
#include "support/test_paths.hpp"
#include "util/file_io.hpp"
#include "util/subprocess.hpp"

namespace espfab::test {
namespace {

using nlohmann::json;

std::filesystem::path emulator_binary() { return build_dir() / "apps" / "espfab-emu" / "espfab-emu"; }

// The demo's assets (CA, Secure Boot key, signed images, station.toml), with a fresh station.
std::filesystem::path station_profile(const TempDir& dir) {
  const auto demo = run_espfab({"--log-level", "error", "demo", "--dir", dir.path().string(), "--assets-only",
                                "--emulator", emulator_binary().string()});
  EXPECT_EQ(demo.exit_code, 0) << demo.err;
  return dir / "station.toml";
}

json efuses_of(const std::filesystem::path& state_dir, unsigned index) {
  const auto result = run_espfab(
      {"efuse", "summary", "--file", (state_dir / ("dev" + std::to_string(index)) / "efuse.bin").string(), "--json"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  return json::parse(result.out);
}

struct BootIdentity {
  std::string serial;
  std::string cert_sha256;
  bool locked_down = false;  // the boot says: signature verified, FE release, no plaintext flash left
};

// A normal boot through the control channel; the production app's identity line from the device's
// own port, read as raw bytes.
BootIdentity boot_identity(const EmulatorProcess& emulator, unsigned index) {
  TcpLine device(emulator.urls().at(index));
  TcpLine control(emulator.control());
  control.send("reset boot " + std::to_string(index) + "\n");
  EXPECT_NE(control.read_until("\n").find("ok"), std::string::npos);
  const std::string console = device.read_until("Returned from app_main()");
  BootIdentity id;
  id.locked_down = console.find("secure boot verification succeeded") != std::string::npos &&
                   console.find("flash encryption is enabled (0 plaintext flashes left)") != std::string::npos &&
                   console.find("Flash encryption mode is RELEASE") != std::string::npos;
  const auto line = console.find("espfab_identity: serial=");
  if (line == std::string::npos) return id;
  const auto field = [&](const std::string& key) {
    const auto at = console.find(key + "=", line);
    const auto end = console.find_first_of(" \r\n", at);
    return console.substr(at + key.size() + 1, end - at - key.size() - 1);
  };
  id.serial = field("serial");
  id.cert_sha256 = field("cert_sha256");
  return id;
}

json report(const std::filesystem::path& profile) {
  const auto result = run_espfab({"report", "--profile", profile.string(), "--json"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  return json::parse(result.out);
}

TEST(StationE2e, DemoProvisionsFiveOfSixAndRejectsTheStuckGpio) {
  TempDir dir;
  const auto demo = run_espfab({"--log-level", "error", "demo", "--dir", dir.path().string(), "--json", "--emulator",
                                emulator_binary().string()});
  ASSERT_EQ(demo.exit_code, 0) << demo.out << demo.err;
  const auto summary = json::parse(demo.out);
  EXPECT_TRUE(summary["as_planned"].get<bool>());
  ASSERT_EQ(summary["devices"].size(), 6u);
  unsigned provisioned = 0;
  for (const auto& device : summary["devices"]) {
    for (const char* key : {"serial", "mac", "result", "reason", "seconds"}) EXPECT_TRUE(device.contains(key)) << key;
    if (device["result"] == "provisioned") {
      ++provisioned;
      EXPECT_EQ(device["serial"].get<std::string>().rfind("DEMO-", 0), 0u);
    } else {
      EXPECT_EQ(device["mac"], "7c:df:a1:00:00:01") << "the stuck-GPIO board";
      EXPECT_NE(device["reason"].get<std::string>().find("gpio.4_5 failed"), std::string::npos);
    }
  }
  EXPECT_EQ(provisioned, 5u);
  const std::filesystem::path records = summary["records_dir"].get<std::string>();
  const std::filesystem::path labels = summary["labels_dir"].get<std::string>();
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(records), std::filesystem::directory_iterator{}), 6);
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(labels), std::filesystem::directory_iterator{}), 5);
  // Registered with the demo's local Mosquitto; each label's QR decodes (zbarimg) to its payload.
  EXPECT_EQ(summary["registration"].get<std::string>().rfind("mosquitto dynamic security at mqtts://localhost:", 0), 0u)
      << summary["registration"];
  EXPECT_EQ(summary["outbox_pending"], 0);
  for (const auto& device : summary["devices"]) {
    if (device["result"] != "provisioned") continue;
    const std::string serial = device["serial"];
    const auto decoded =
        run_command("/usr/bin/zbarimg", {"--raw", "-q", "--nodbus", (labels / (serial + ".png")).string()});
    std::string mac = device["mac"];
    mac.erase(std::remove(mac.begin(), mac.end(), ':'), mac.end());
    EXPECT_EQ(decoded.out.substr(0, decoded.out.find('\n')),
              fmt::format("EF1;SN:{};D:{};MAC:{}", serial, decoded.out.substr(decoded.out.find(";D:") + 3, 10), mac));
    const auto record = json::parse(read_text_file(records / (serial + ".json")));
    for (const auto& step : record["steps"]) {
      if (step["name"] == "verify-hello") {
        // The device's own firmware said hello with the identity it was given, and the broker took it.
        ASSERT_TRUE(step["details"].contains("puback")) << step.dump();
        const int puback = step["details"]["puback"];
        EXPECT_TRUE(puback == 0 || puback == 16) << step.dump();
        EXPECT_NE(step["details"]["hello"].get<std::string>().find("devices/" + serial + "/hello"), std::string::npos);
      }
      // The host's work done while the device was busy (background_work.hpp); verify-hello proves the
      // images encrypted in the background were the right ones.
      if (step["name"] == "issue-identity") {
        EXPECT_EQ(step["details"]["key_made_in_background"], true) << step.dump();
      }
      if (step["name"] == "flash-production") {
        EXPECT_EQ(step["details"]["encrypted_in_background"], true) << step.dump();
      }
      if (step["name"] == "register") {
        EXPECT_NE(step["details"]["delivered_to"].get<std::string>().find(serial + " registered with mosquitto"),
                  std::string::npos)
            << step.dump();
      }
    }
  }
  // The demo key is private to its owner; the CA key too.
  EXPECT_EQ(std::filesystem::status(dir / "keys" / "secure_boot_signing.pem").permissions() &
                std::filesystem::perms::group_read,
            std::filesystem::perms::none);
  // A second run reuses the CA (serial numbers continue) and key.
  const auto again = run_espfab({"--log-level", "error", "demo", "--dir", dir.path().string(), "--json", "--emulator",
                                 emulator_binary().string()});
  ASSERT_EQ(again.exit_code, 0) << again.out << again.err;
  std::ifstream index(dir / "ca" / "index.txt");
  unsigned issued = 0;
  for (std::string line; std::getline(index, line);) issued += line.find("CN=DEMO-") != std::string::npos;
  EXPECT_EQ(issued, 10u);  // device certificates (the demo broker's own certificates come from the CA too)
}

TEST(StationE2e, EightDevicesTwoFaultyOneRun) {
  TempDir dir;
  const auto profile = station_profile(dir);
  // Device 2: the hardware test's loopback input is stuck. Device 5: the cable dies after 6000
  // bytes from the host, every time (mid factory flash: past the flasher stub's upload, ~9 KB).
  EmulatorProcess emulator(EmulatorOptions{
      8, "rfc2217", dir / "devices8", {"--fault", "2:gpio_stuck=5:low", "--fault", "5:drop_after=16000"}});
  const auto run = run_espfab(station_run_args(profile, emulator, 8));
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  const auto summary = json::parse(run.out);
  ASSERT_EQ(summary["devices"].size(), 8u);
  std::map<std::string, json> by_mac;
  for (const auto& device : summary["devices"]) by_mac[device["mac"]] = device;
  std::set<std::string> serials;
  for (unsigned i = 0; i < 8; ++i) {
    const std::string mac = fmt::format("7c:df:a1:00:00:{:02x}", i);
    ASSERT_TRUE(by_mac.count(mac)) << mac;
    const auto& device = by_mac[mac];
    const auto efuses = efuses_of(dir / "devices8", i);
    if (i == 2 || i == 5) {
      EXPECT_EQ(device["result"], "rejected") << device.dump();
      EXPECT_EQ(device["serial"], "") << "a rejected device gets no serial";
      const std::string reason = device["reason"];
      if (i == 2) {
        EXPECT_EQ(reason.rfind("hardware-test: gpio.4_5 failed: pin 5", 0), 0u) << reason;
      }
      if (i == 5) {
        EXPECT_EQ(reason.rfind("flash-factory: ", 0), 0u) << reason;
        EXPECT_NE(reason.find("while writing bootloader @0x0"), std::string::npos) << reason;
      }
      // Nothing burned.
      EXPECT_EQ(efuses["SPI_BOOT_CRYPT_CNT"]["value"], "Disable") << mac;
      EXPECT_EQ(efuses["KEY_PURPOSE_0"]["value"], "USER") << mac;
      EXPECT_EQ(efuses["KEY_PURPOSE_1"]["value"], "USER") << mac;
      EXPECT_EQ(efuses["SOFT_DIS_JTAG"]["value"], 0) << mac;
      for (const char* field : {"SECURE_BOOT_EN", "DIS_PAD_JTAG", "ENABLE_SECURITY_DOWNLOAD"}) {
        EXPECT_EQ(efuses[field]["value"], false) << mac << " " << field;
      }
      continue;
    }
    EXPECT_EQ(device["result"], "provisioned") << device.dump();
    EXPECT_TRUE(serials.insert(device["serial"].get<std::string>()).second);
    EXPECT_EQ(efuses["SPI_BOOT_CRYPT_CNT"]["value"], "Enable") << mac;
    EXPECT_EQ(efuses["KEY_PURPOSE_0"]["value"], "XTS_AES_128_KEY") << mac;
    EXPECT_EQ(efuses["SECURE_BOOT_EN"]["value"], true) << mac;
    EXPECT_EQ(efuses["DIS_PAD_JTAG"]["value"], true) << mac;
    EXPECT_EQ(efuses["DIS_USB_JTAG"]["value"], true) << mac;
    EXPECT_EQ(efuses["SOFT_DIS_JTAG"]["value"], 7) << mac;
    EXPECT_EQ(efuses["ENABLE_SECURITY_DOWNLOAD"]["value"], true) << mac;
    // What the device itself says after a normal boot, against the station DB.
    const auto record = run_espfab({"report", "--profile", profile.string(), "--device", mac});
    ASSERT_EQ(record.exit_code, 0) << record.err;
    const auto cert = json::parse(record.out)["certificate"];
    const auto id = boot_identity(emulator, i);
    EXPECT_EQ(id.serial, device["serial"]) << mac;
    EXPECT_TRUE(id.locked_down) << mac;
    EXPECT_EQ(id.cert_sha256, cert["sha256"]) << mac;
  }
  EXPECT_EQ(serials.size(), 6u);
  const auto audit = run_espfab({"audit", "verify", "--profile", profile.string()});
  EXPECT_EQ(audit.exit_code, 0) << audit.out;
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir / "station-data" / "records"),
                          std::filesystem::directory_iterator{}),
            8);
}

TEST(StationE2e, AnotherChipIsRejectedUntouched) {
  TempDir dir;
  const auto profile = station_profile(dir);
  EmulatorProcess emulator(EmulatorOptions{2, "rfc2217", dir / "devices2", {"--fault", "1:wrong_chip"}});
  const auto run = run_espfab(station_run_args(profile, emulator, 2));
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  const auto summary = json::parse(run.out);
  ASSERT_EQ(summary["devices"].size(), 2u);
  unsigned provisioned = 0;
  for (const auto& device : summary["devices"]) {
    if (device["result"] == "provisioned") {
      ++provisioned;
      continue;
    }
    EXPECT_EQ(device["result"], "rejected");
    EXPECT_NE(device["reason"].get<std::string>().find("ESP32-C3"), std::string::npos) << device.dump();
  }
  EXPECT_EQ(provisioned, 1u);
  // Nothing written: its flash is still erased, its eFuses untouched.
  const Bytes flash = read_file(dir / "devices2" / "dev1" / "flash.bin");
  EXPECT_TRUE(std::all_of(flash.begin(), flash.end(), [](std::uint8_t b) { return b == 0xFF; }));
  EXPECT_EQ(efuses_of(dir / "devices2", 1)["SPI_BOOT_CRYPT_CNT"]["value"], "Disable");
}

// Starts espfab with its stdout in `out` (stderr dropped).
Subprocess spawn_espfab(const std::vector<std::string>& args, const std::filesystem::path& out) {
  SpawnOptions options;
  options.argv = {espfab_binary().string()};
  options.argv.insert(options.argv.end(), args.begin(), args.end());
  options.out = Redirect::file(out, false);
  options.err = Redirect::null();
  return Subprocess(std::move(options));
}

// Device records whose `kind` item (register, label) has been tried and is still queued.
unsigned queued_items(const std::filesystem::path& records, const std::string& kind) {
  unsigned queued = 0;
  if (!std::filesystem::exists(records)) return 0;
  for (const auto& entry : std::filesystem::directory_iterator(records)) {
    const auto record = json::parse(read_text_file(entry.path()), nullptr, false);
    if (record.is_discarded()) continue;
    for (const auto& item : record["handoff"])
      if (item["kind"] == kind && item["state"] == "pending" && item["attempts"].get<int>() >= 1) ++queued;
  }
  return queued;
}

// Waits (up to 2 minutes) until `count` records have their `kind` item tried and still queued.
unsigned wait_for_queued(const std::filesystem::path& records, const std::string& kind, unsigned count) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (queued_items(records, kind) < count && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  return queued_items(records, kind);
}

// The station retries its outbox every 200 ms and waits up to 2 minutes for it at the end.
void retry_outbox_quickly(std::string& profile_text) {
  profile_text.replace(profile_text.find("[station]\n"), 10, "[station]\noutbox_retry_ms = 200\noutbox_wait_s = 120\n");
}

TEST(StationE2e, BrokerDownDuringARunRegistrationsCompleteWhenItReturns) {
  TempDir dir;
  const auto profile = station_profile(dir);
  MosquittoBroker broker(dir / "broker", {dir / "ca" / "ca.crt"});
  // The station registers with the real broker; it retries its outbox every 200 ms and waits for it.
  std::string text = read_text_file(profile);
  retry_outbox_quickly(text);
  text += "\n[registration]\nbroker = \"" + broker.url() + "\"\nca_file = \"" + broker.ca_file().string() +
          "\"\ncert_file = \"" + broker.admin_cert().string() + "\"\nkey_file = \"" + broker.admin_key().string() +
          "\"\ntimeout_ms = 1000\nattempts = 1\n";
  write_text_file_atomic(profile, text);
  broker.stop();
  EmulatorProcess emulator(EmulatorOptions{4, "rfc2217", {}, {}});
  const auto out = dir / "run.json";
  Subprocess station = spawn_espfab(station_run_args(profile, emulator, 4), out);
  // All four devices finish (their records written) with their registration queued.
  const auto records = dir / "station-data" / "records";
  ASSERT_EQ(wait_for_queued(records, "register", 4), 4u) << "the devices did not finish with their registration queued";
  broker.start();
  EXPECT_EQ(station.wait(Deadline::never()), 0);
  const auto summary = json::parse(read_text_file(out));
  EXPECT_EQ(summary["outbox_pending"], 0);
  ASSERT_EQ(summary["devices"].size(), 4u);
  registry::BrokerSettings admin;
  admin.url = broker.url();
  admin.ca_file = broker.ca_file();
  admin.cert_file = broker.admin_cert();
  admin.key_file = broker.admin_key();
  registry::DynsecRegistrar registrar(admin);
  for (const auto& device : summary["devices"]) {
    EXPECT_EQ(device["result"], "provisioned") << device.dump();
    const std::string serial = device["serial"];
    const auto client = registrar.lookup(serial);
    ASSERT_TRUE(client.has_value()) << serial << " lost: not on the broker's allowed list";
    EXPECT_EQ((*client)["roles"][0]["rolename"], "espfab-device-" + serial);
    // The record says so: the registration was queued, tried more than once, then delivered.
    const auto record = json::parse(read_text_file(records / (serial + ".json")));
    bool delivered = false;
    for (const auto& item : record["handoff"]) {
      if (item["kind"] != "register") continue;
      delivered = item["state"] == "done" && item["attempts"].get<int>() >= 2;
    }
    EXPECT_TRUE(delivered) << record["handoff"].dump();
  }
  // By hand: deregister takes a device off the list, register puts it back.
  const std::string first = summary["devices"][0]["serial"];
  const auto off = run_espfab({"deregister", "--profile", profile.string(), first});
  EXPECT_EQ(off.exit_code, 0) << off.err;
  EXPECT_FALSE(registrar.lookup(first).has_value());
  const auto on = run_espfab({"register", "--profile", profile.string(), first});
  EXPECT_EQ(on.exit_code, 0) << on.err;
  EXPECT_NE(on.out.find(first + " registered"), std::string::npos) << on.out;
  EXPECT_TRUE(registrar.lookup(first).has_value());
  const auto unknown = run_espfab({"register", "--profile", profile.string(), "NOPE-1"});
  EXPECT_NE(unknown.exit_code, 0);
  EXPECT_NE(unknown.err.find("no device NOPE-1"), std::string::npos) << unknown.err;
}

// Accepts `jobs` connections on `port` and returns what each sent (the printer's jobs).
std::vector<std::string> receive_print_jobs(int port, unsigned jobs) {
  const int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  const int one = 1;
  ::setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  EXPECT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  ::listen(listener, 8);
  std::vector<std::string> out;
  while (out.size() < jobs) {
    pollfd waiting{listener, POLLIN, 0};
    if (::poll(&waiting, 1, 60000) <= 0) break;
    const int client = ::accept(listener, nullptr, nullptr);
    std::string job;
    char buffer[4096];
    for (ssize_t n; (n = ::read(client, buffer, sizeof buffer)) > 0;) job.append(buffer, static_cast<std::size_t>(n));
    ::close(client);
    out.push_back(job);
  }
  ::close(listener);
  return out;
}

TEST(StationE2e, LabelPrinterDownLabelsAreQueuedAndPrintedWhenItReturns) {
  TempDir dir;
  const auto profile = station_profile(dir);
  const int port = free_loopback_port();  // a label printer that is not there yet
  std::string text = read_text_file(profile);
  retry_outbox_quickly(text);
  text.replace(text.find("[label]\n"), 8,
               "[label]\nprinter = \"tcp\"\naddress = \"127.0.0.1:" + std::to_string(port) + "\"\n");
  write_text_file_atomic(profile, text);
  EmulatorProcess emulator(EmulatorOptions{2, "rfc2217", {}, {}});
  const auto out = dir / "run.json";
  Subprocess station = spawn_espfab(station_run_args(profile, emulator, 2), out);
  const auto records = dir / "station-data" / "records";
  ASSERT_EQ(wait_for_queued(records, "label", 2), 2u) << "the devices did not finish with their label queued";
  // The record says why: the printer's address and that it refused the connection.
  for (const auto& entry : std::filesystem::directory_iterator(records)) {
    const auto record = json::parse(read_text_file(entry.path()));
    for (const auto& item : record["handoff"]) {
      if (item["kind"] == "label") {
        EXPECT_NE(item["last_error"].get<std::string>().find("127.0.0.1:" + std::to_string(port)), std::string::npos)
            << item.dump();
      }
    }
  }
  const auto jobs = receive_print_jobs(port, 2);
  EXPECT_EQ(station.wait(Deadline::never()), 0);
  const auto summary = json::parse(read_text_file(out));
  EXPECT_EQ(summary["outbox_pending"], 0);
  ASSERT_EQ(jobs.size(), 2u);
  std::set<std::string> printed;
  for (const auto& job : jobs) {
    EXPECT_TRUE(job.starts_with("^XA")) << job;
    const auto at = job.find("^FDMA,EF1;SN:");
    ASSERT_NE(at, std::string::npos) << job;
    printed.insert(job.substr(at + 13, job.find(';', at + 13) - at - 13));
  }
  for (const auto& device : summary["devices"]) {
    EXPECT_EQ(printed.count(device["serial"].get<std::string>()), 1u) << device.dump();
    const auto record = json::parse(read_text_file(records / (device["serial"].get<std::string>() + ".json")));
    for (const auto& item : record["handoff"]) {
      if (item["kind"] == "label") {
        EXPECT_EQ(item["state"], "done");
        EXPECT_GE(item["attempts"].get<int>(), 2);
      }
    }
  }
}

// Starts espfab, kills it with SIGKILL after `delay`; returns whether it was still running.
bool run_and_kill(const std::vector<std::string>& args, std::chrono::milliseconds delay) {
  Subprocess station = spawn_espfab(args, "/dev/null");
  std::this_thread::sleep_for(delay);  // a random moment: the point of the test
  const bool running = ::kill(station.pid(), SIGKILL) == 0;
  station.wait(Deadline::never());
  return running;
}

unsigned kill_count() {
  const char* env = std::getenv("ESPFAB_CRASH_KILLS");
  return env ? static_cast<unsigned>(std::stoul(env)) : 20u;
}

TEST(StationE2e, KilledTwentyTimesEveryDeviceCompletesExactlyOnce) {
  TempDir dir;
  const auto profile = station_profile(dir);
  EmulatorProcess emulator(EmulatorOptions{4, "rfc2217", dir / "devices4", {}});
  const auto args = station_run_args(profile, emulator, 4);
  // Fixed: the same campaign every run (ESPFAB_CRASH_SEED picks another).
  const char* seed = std::getenv("ESPFAB_CRASH_SEED");
  std::mt19937 random(seed ? static_cast<unsigned>(std::stoul(seed)) : 20261202u);
  std::uniform_int_distribution<int> delay_ms(60, 900);
  unsigned killed = 0;
  for (unsigned i = 0; i < kill_count(); ++i) {
    if (run_and_kill(args, std::chrono::milliseconds(delay_ms(random)))) ++killed;
  }
  EXPECT_GE(killed, kill_count() / 2) << "most kills must land while the station runs";
  const auto final_run = run_espfab(args);
  ASSERT_EQ(final_run.exit_code, 0) << final_run.out << final_run.err;

  const auto devices = report(profile);
  ASSERT_EQ(devices.size(), 4u) << devices.dump(2);
  std::set<std::string> serials, certificates;
  for (const auto& device : devices) {
    EXPECT_EQ(device["status"], "provisioned") << device.dump();
    serials.insert(device["serial"].get<std::string>());
    certificates.insert(device["certificate_sha256"].get<std::string>());
  }
  EXPECT_EQ(serials.size(), 4u);
  EXPECT_EQ(certificates.size(), 4u);
  for (unsigned i = 0; i < 4; ++i) {
    const auto efuses = efuses_of(dir / "devices4", i);
    EXPECT_EQ(efuses["SPI_BOOT_CRYPT_CNT"]["value"], "Enable");
    EXPECT_EQ(efuses["SECURE_BOOT_EN"]["value"], true);
    EXPECT_EQ(efuses["ENABLE_SECURITY_DOWNLOAD"]["value"], true);
    const auto id = boot_identity(emulator, i);
    EXPECT_TRUE(id.locked_down) << i;
    bool matches = false;
    for (const auto& device : devices) {
      if (device["serial"] == id.serial) matches = device["certificate_sha256"] == id.cert_sha256;
    }
    EXPECT_TRUE(matches) << "device " << i << " reports " << id.serial << " " << id.cert_sha256;
  }
  // No eFuse block burned twice: one audit entry per (device, batch, block) at most.
  std::ifstream audit_file(dir / "station-data" / "audit.jsonl");
  std::map<std::string, int> burns;
  for (std::string line; std::getline(audit_file, line);) {
    const auto entry = json::parse(line);
    if (entry["action"] != "efuse.burned" && entry["action"] != "efuse.final_lock") continue;
    const std::string key =
        fmt::format("{} {} {}", entry["mac"].get<std::string>(), entry["details"]["batch"].get<std::string>(),
                    entry["details"]["block"].get<unsigned>());
    EXPECT_EQ(++burns[key], 1) << key;
  }
  EXPECT_FALSE(burns.empty());
  const auto audit = run_espfab({"audit", "verify", "--profile", profile.string()});
  EXPECT_EQ(audit.exit_code, 0) << audit.out;
}

}  // namespace
}  // namespace espfab::test

#include "emulator/virtual_device.hpp"

#include <cstdio>
#include <string>

#include "util/error.hpp"
#include "util/file_io.hpp"
#include "util/log.hpp"

namespace espfab::emulator {
namespace {

constexpr std::string_view kRomBanner =
    "ESP-ROM:esp32s3-20210327\r\n"
    "Build:Mar 27 2021\r\n";

Bytes text(std::string_view s) { return Bytes(s.begin(), s.end()); }

std::unique_ptr<VirtualFlash> open_flash(const DeviceConfig& config) {
  if (config.state_dir.empty()) return std::make_unique<VirtualFlash>(config.flash_size);
  std::filesystem::create_directories(config.state_dir);
  return std::make_unique<VirtualFlash>(config.state_dir / VirtualDevice::kFlashFile, config.flash_size);
}

}  // namespace

VirtualDevice::VirtualDevice(DeviceConfig config)
    : config_(std::move(config)),
      flash_(open_flash(config_)),
      spi_(*flash_, FlashIdentity::for_size(config_.flash_size)),
      registers_(efuse_, spi_),
      handler_(registers_, efuse_, *flash_),
      baud_(config_.initial_baud) {
  load_efuses();
  reset_into_download();
}

VirtualDevice::~VirtualDevice() {
  try {
    persist();
  } catch (const Error& e) {
    log::get("emulator")->error("could not save eFuse state: {}", e.describe());
  }
}

void VirtualDevice::load_efuses() {
  const auto file = config_.state_dir / kEfuseFile;
  if (config_.state_dir.empty() || !std::filesystem::exists(file)) {
    efuse_.factory_program(config_.mac);
    saved_cycles_ = 0;
    if (!config_.state_dir.empty()) {
      saved_cycles_ = ~0u;  // force the first save
      persist();
    }
    return;
  }
  efuse_.load_file_image(read_file(file));
  const auto hidden = config_.state_dir / kEfuseHiddenFile;
  if (std::filesystem::exists(hidden)) efuse_.load_hidden_state(read_file(hidden));
  saved_cycles_ = efuse_.program_cycles();
}

void VirtualDevice::persist() {
  flash_->sync();
  if (config_.state_dir.empty() || saved_cycles_ == efuse_.program_cycles()) return;
  write_file_atomic(config_.state_dir / kEfuseFile, efuse_.file_image());
  write_file_atomic(config_.state_dir / kEfuseHiddenFile, efuse_.hidden_state(), 0600);
  saved_cycles_ = efuse_.program_cycles();
}

Bytes VirtualDevice::on_host_bytes(ByteView in) {
  if (state_ != State::Download) return {};  // a running app ignores the loader protocol
  const unsigned before = efuse_.program_cycles();
  Bytes out = handler_.on_bytes(in);
  if (efuse_.program_cycles() != before) persist();
  for (const LoaderEvent& event : handler_.take_events()) {
    if (event.kind == LoaderEvent::Kind::BaudChange) pending_events_.push_back(event);
    if (event.kind == LoaderEvent::Kind::ExitLoader) {
      log::get("emulator")->info("loader exit requested; the boot model is not modelled yet, staying in download mode");
    }
  }
  return out;
}

std::vector<LoaderEvent> VirtualDevice::take_events() {
  std::vector<LoaderEvent> events;
  events.swap(pending_events_);
  return events;
}

Bytes VirtualDevice::reset_into_download() {
  state_ = State::Download;
  handler_.reset();
  registers_.reset();
  registers_.set_strapping(0x0);  // GPIO0 low
  baud_ = config_.initial_baud;
  std::string banner(kRomBanner);
  banner += "rst:0x1 (POWERON),boot:0x0 (DOWNLOAD(USB/UART0))\r\nwaiting for download\r\n";
  return text(banner);
}

Bytes VirtualDevice::reset_normal_boot() {
  state_ = State::Running;
  handler_.reset();
  registers_.reset();
  registers_.set_strapping(0x8);  // GPIO0 high
  baud_ = config_.initial_baud;
  std::string out(kRomBanner);
  out += "rst:0x1 (POWERON),boot:0x8 (SPI_FAST_FLASH_BOOT)\r\n";
  const ByteView head = flash_->view(0, 4);
  if (head[0] != 0xE9) {
    char line[48];
    std::snprintf(line, sizeof line, "invalid header: 0x%08x\r\n", load_le32(head, 0));
    out += line;
  }
  return text(out);
}

std::string format_mac(const MacAddress& mac) {
  std::string out;
  for (std::size_t i = 0; i < mac.size(); ++i) {
    if (i) out += ':';
    out += to_hex(ByteView(&mac[i], 1));
  }
  return out;
}

MacAddress parse_mac(std::string_view text_mac) {
  Bytes bytes;
  try {
    std::string cleaned(text_mac);
    for (char& c : cleaned) {
      if (c == '-') c = ':';
    }
    bytes = from_hex(cleaned);
  } catch (const BadInputError&) {
    bytes.clear();
  }
  if (bytes.size() != 6) {
    throw BadInputError("emulator.bad_mac", "'" + std::string(text_mac) + "' is not a MAC address",
                        "write six hex bytes separated by ':', e.g. 7c:df:a1:00:00:00");
  }
  MacAddress mac{};
  std::copy(bytes.begin(), bytes.end(), mac.begin());
  return mac;
}

MacAddress mac_for_index(const MacAddress& base, std::uint32_t index) {
  std::uint32_t nic = static_cast<std::uint32_t>(base[3]) << 16 | static_cast<std::uint32_t>(base[4]) << 8 | base[5];
  nic = (nic + index) & 0xFFFFFF;
  MacAddress mac = base;
  mac[3] = static_cast<std::uint8_t>(nic >> 16);
  mac[4] = static_cast<std::uint8_t>(nic >> 8);
  mac[5] = static_cast<std::uint8_t>(nic);
  return mac;
}

}  // namespace espfab::emulator

#include "emulator/device_server.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <termios.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>

#include "emulator/control_command.hpp"
#include "util/error.hpp"
#include "util/log.hpp"

namespace espfab::emulator {
namespace {

[[noreturn]] void throw_os(const std::string& what) {
  throw IoError("emulator.server_os", what + ": " + std::strerror(errno), {});
}

void set_nonblocking(int fd) {
  const int flags = fcntl(fd, F_GETFL, 0);
  if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) throw_os("fcntl(O_NONBLOCK)");
}

}  // namespace

ServeProtocol parse_protocol(std::string_view text) {
  if (text == "socket") return ServeProtocol::Socket;
  if (text == "rfc2217") return ServeProtocol::Rfc2217;
  if (text == "pty") return ServeProtocol::Pty;
  if (text == "usb") return ServeProtocol::Usb;
  throw BadInputError("emulator.bad_protocol", "unknown protocol '" + std::string(text) + "'",
                      "use socket, rfc2217, pty or usb");
}

namespace {

constexpr std::uint64_t kTimerTag = ~std::uint64_t{0};
constexpr std::uint64_t kControlListenerTag = ~std::uint64_t{1};
constexpr std::uint64_t kAppOutputTag = ~std::uint64_t{2};
constexpr std::uint64_t kControlClientBit = std::uint64_t{1} << 62;
constexpr std::uint64_t kUsbLinesBit = std::uint64_t{1} << 61;
// Chip output while its USB port is gone waits in the device's FIFO, up to this much.
constexpr std::size_t kUsbHeldOutput = std::size_t{64} * 1024;
// A chip reset takes the device off the bus at once, but the host notices a moment later: until
// then its tty stays (requests on it return, nothing moves).
constexpr auto kUsbDisconnectNoticed = std::chrono::milliseconds(20);

std::string usb_serial_string(const MacAddress& mac) {
  std::string text = format_mac(mac);
  for (char& c : text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return text;
}
constexpr std::size_t kControlLineLimit = 1024;

UniqueFd listen_loopback(std::uint16_t port, std::uint16_t& bound) {
  UniqueFd listener(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!listener) throw_os("socket");
  const int one = 1;
  setsockopt(listener.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  if (bind(listener.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    throw_os("bind 127.0.0.1:" + std::to_string(port));
  }
  if (listen(listener.get(), 4) != 0) throw_os("listen");
  socklen_t len = sizeof addr;
  getsockname(listener.get(), reinterpret_cast<sockaddr*>(&addr), &len);
  bound = ntohs(addr.sin_port);
  return listener;
}
// Deadlines this close are handled in the same wake-up.
constexpr auto kSlack = std::chrono::microseconds(100);

// Control answers on a non-blocking socket: most are a few bytes, a `busy` answer can be tens of
// KiB; a client that reads nothing for a second loses the rest (and only its own answer).
void send_answers(int fd, std::string_view answers) {
  constexpr int kStallMs = 1000;
  while (!answers.empty()) {
    const ssize_t sent = ::send(fd, answers.data(), answers.size(), MSG_NOSIGNAL);
    if (sent > 0) {
      answers.remove_prefix(static_cast<std::size_t>(sent));
      continue;
    }
    if (sent < 0 && errno == EINTR) continue;
    pollfd writable{fd, POLLOUT, 0};
    if (sent < 0 && errno == EAGAIN && ::poll(&writable, 1, kStallMs) == 1) continue;
    return;
  }
}

}  // namespace

struct DeviceServer::ControlClient {
  UniqueFd fd;
  std::string line;
};

struct DeviceServer::Slot {
  std::unique_ptr<VirtualDevice> device;
  std::unique_ptr<DeviceLink> link;
  UniqueFd listener;   // TCP
  UniqueFd client;     // TCP connection, or the pty master
  UniqueFd pty_slave;  // kept open so the master never sees a hang-up between host sessions
  std::string pty_path;
  std::uint16_t port = 0;
  Bytes outbox;
  std::uint32_t interest = 0;  // epoll events registered for `client`
  Rfc2217Session telnet;
  bool download_requested = false;
  bool rts_was_on = false;
  bool dtr_on = false;
  // Since when the auto-reset circuit holds EN or GPIO0 low (RTS xor DTR): the chip is in reset or
  // strapped for its boot mode, busy time of the device (busy_meter.hpp).
  std::optional<LinkTiming::TimePoint> lines_hold_since;
  std::unique_ptr<UsbPort> usb;  // --protocol usb
  UsbSerialJtagLines usb_lines;
  std::optional<LinkTiming::TimePoint> usb_replug_at;
  std::optional<LinkTiming::TimePoint> usb_unplug_at;  // reset: the host's tty goes then
  bool usb_detached = false;                           // off the bus, the host has not noticed yet
};

DeviceServer::DeviceServer(std::vector<std::unique_ptr<VirtualDevice>> devices, ServeProtocol protocol,
                           std::uint16_t first_port, LinkTimingConfig timing, std::uint16_t control_port,
                           UsbOptions usb)
    : protocol_(protocol), usb_(std::move(usb)) {
  epoll_ = UniqueFd(epoll_create1(EPOLL_CLOEXEC));
  if (!epoll_) throw_os("epoll_create1");
  timer_ = UniqueFd(timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC));
  if (!timer_) throw_os("timerfd_create");
  epoll_event timer_event{};
  timer_event.events = EPOLLIN;
  timer_event.data.u64 = kTimerTag;
  if (epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, timer_.get(), &timer_event) != 0) throw_os("epoll_ctl");
  app_output_ = UniqueFd(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
  if (!app_output_) throw_os("eventfd");
  epoll_event output_event{};
  output_event.events = EPOLLIN;
  output_event.data.u64 = kAppOutputTag;
  if (epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, app_output_.get(), &output_event) != 0) throw_os("epoll_ctl");
  control_listener_ = listen_loopback(control_port, control_port_);
  epoll_event control_event{};
  control_event.events = EPOLLIN;
  control_event.data.u64 = kControlListenerTag;
  if (epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, control_listener_.get(), &control_event) != 0) throw_os("epoll_ctl");
  for (std::size_t i = 0; i < devices.size(); ++i) {
    auto slot = std::make_unique<Slot>();
    slot->device = std::move(devices[i]);
    slot->device->set_app_output_notifier([fd = app_output_.get()] {
      const std::uint64_t one = 1;
      [[maybe_unused]] const ssize_t wrote = ::write(fd, &one, sizeof one);
    });
    slot->link = std::make_unique<DeviceLink>(*slot->device, timing);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = i << 1;  // bit 0: 0 = listener, 1 = client or pty master
    if (protocol_ == ServeProtocol::Pty) {
      UniqueFd master(posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC));
      if (!master || grantpt(master.get()) != 0 || unlockpt(master.get()) != 0) throw_os("posix_openpt");
      slot->pty_path = ptsname(master.get());
      slot->pty_slave = UniqueFd(::open(slot->pty_path.c_str(), O_RDWR | O_NOCTTY | O_CLOEXEC));
      if (!slot->pty_slave) throw_os("open " + slot->pty_path);
      termios tio{};
      tcgetattr(slot->pty_slave.get(), &tio);
      cfmakeraw(&tio);
      tcsetattr(slot->pty_slave.get(), TCSANOW, &tio);
      set_nonblocking(master.get());
      slot->client = std::move(master);
      ev.data.u64 |= 1;
      if (epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, slot->client.get(), &ev) != 0) throw_os("epoll_ctl");
      slot->interest = EPOLLIN;
    } else if (protocol_ == ServeProtocol::Usb) {
      slot->device->set_console_usb_serial_jtag();
      slot->usb = std::make_unique<UsbPort>(usb_.by_id_dir, usb_serial_string(slot->device->config().mac));
      slots_.push_back(std::move(slot));
      if (slots_.back()->device->usb_serial_jtag_enabled()) plug_usb(*slots_.back());
      continue;
    } else {
      slot->listener =
          listen_loopback(first_port == 0 ? std::uint16_t{0} : static_cast<std::uint16_t>(first_port + i), slot->port);
      if (epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, slot->listener.get(), &ev) != 0) throw_os("epoll_ctl");
    }
    slots_.push_back(std::move(slot));
  }
}

DeviceServer::~DeviceServer() = default;

std::string DeviceServer::url(std::size_t index) const {
  const Slot& slot = *slots_.at(index);
  switch (protocol_) {
    case ServeProtocol::Socket: return "socket://127.0.0.1:" + std::to_string(slot.port);
    case ServeProtocol::Rfc2217: return "rfc2217://127.0.0.1:" + std::to_string(slot.port);
    case ServeProtocol::Pty: return slot.pty_path;
    case ServeProtocol::Usb: return slot.usb->link_path().string();
  }
  return {};
}

std::uint64_t DeviceServer::client_tag(const Slot& slot) const {
  for (std::size_t i = 0; i < slots_.size(); ++i) {
    if (slots_[i].get() == &slot) return (std::uint64_t{i} << 1) | 1;
  }
  return 1;
}

std::uint16_t DeviceServer::port(std::size_t index) const { return slots_.at(index)->port; }
VirtualDevice& DeviceServer::device(std::size_t index) { return *slots_.at(index)->device; }

void DeviceServer::run(const std::atomic<bool>& stop, std::chrono::milliseconds tick) {
  while (!stop.load()) poll_once(tick);
}

void DeviceServer::poll_once(std::chrono::milliseconds timeout) {
  epoll_event events[32];
  const int n = epoll_wait(epoll_.get(), events, 32, static_cast<int>(timeout.count()));
  if (n < 0 && errno != EINTR) throw_os("epoll_wait");
  for (int i = 0; i < n; ++i) {
    if (events[i].data.u64 == kTimerTag) {
      std::uint64_t expirations = 0;
      [[maybe_unused]] const ssize_t got = ::read(timer_.get(), &expirations, sizeof expirations);
      armed_for_ = {};
      continue;
    }
    if (events[i].data.u64 == kAppOutputTag) {
      std::uint64_t count = 0;
      [[maybe_unused]] const ssize_t got = ::read(app_output_.get(), &count, sizeof count);
      collect_app_output();
      continue;
    }
    if (events[i].data.u64 == kControlListenerTag) {
      accept_control();
      continue;
    }
    if ((events[i].data.u64 & kControlClientBit) != 0) {
      on_control(static_cast<std::size_t>(events[i].data.u64 & ~kControlClientBit));
      continue;
    }
    if ((events[i].data.u64 & kUsbLinesBit) != 0) {
      on_usb_lines(*slots_[static_cast<std::size_t>(events[i].data.u64 & ~kUsbLinesBit)]);
      continue;
    }
    const std::size_t index = events[i].data.u64 >> 1;
    const bool is_client = (events[i].data.u64 & 1) != 0;
    Slot& slot = *slots_[index];
    if (!is_client) {
      accept_client(slot);
      continue;
    }
    if (events[i].events & EPOLLOUT) flush(slot);
    if (events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
      if (slot.client) on_readable(slot);
    }
  }
  const auto now = LinkTiming::Clock::now();
  for (auto& slot : slots_) {
    if (slot->usb_unplug_at && *slot->usb_unplug_at <= now + kSlack) unplug_usb(*slot, now);
    if (slot->usb_replug_at && *slot->usb_replug_at <= now + kSlack) plug_usb(*slot);
    advance(*slot, now);
  }
  arm_timer();
}

void DeviceServer::arm_timer() {
  std::optional<LinkTiming::TimePoint> next;
  for (const auto& slot : slots_) {
    for (const auto deadline : {slot->link->next_deadline(), slot->usb_replug_at, slot->usb_unplug_at}) {
      if (deadline && (!next || *deadline < *next)) next = deadline;
    }
  }
  const LinkTiming::TimePoint target = next.value_or(LinkTiming::TimePoint{});
  if (target == armed_for_) return;
  itimerspec spec{};
  if (next) {
    const auto since_epoch = std::chrono::duration_cast<std::chrono::nanoseconds>(target.time_since_epoch());
    const auto ns = std::max<std::int64_t>(since_epoch.count(), 1);  // 0 would disarm
    spec.it_value.tv_sec = static_cast<time_t>(ns / 1'000'000'000);
    spec.it_value.tv_nsec = static_cast<long>(ns % 1'000'000'000);
  }
  if (timerfd_settime(timer_.get(), TFD_TIMER_ABSTIME, &spec, nullptr) != 0) throw_os("timerfd_settime");
  armed_for_ = target;
}

void DeviceServer::accept_client(Slot& slot) {
  UniqueFd client(accept4(slot.listener.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
  if (!client) return;
  if (slot.client) return;  // one host per device; the extra connection is closed by ~UniqueFd
  const int one = 1;
  setsockopt(client.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = client_tag(slot);
  if (epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, client.get(), &ev) != 0) return;
  slot.client = std::move(client);
  slot.interest = EPOLLIN;
  slot.outbox.clear();
  slot.link->drop(LinkTiming::Clock::now());
  slot.telnet = Rfc2217Session{};
  slot.download_requested = false;
  slot.rts_was_on = false;
  slot.dtr_on = false;
  slot.lines_hold_since.reset();
  if (protocol_ == ServeProtocol::Rfc2217) {
    // The adapter starts at the session's rate until the client sets one; BINARY is asked for.
    slot.device->set_line_baud(slot.telnet.baud());
    const Bytes greeting = slot.telnet.greeting();
    slot.outbox.insert(slot.outbox.end(), greeting.begin(), greeting.end());
    flush(slot);
  }
  log::get("emulator")->debug("host connected to {}", slot.device->config().state_dir.string());
}

void DeviceServer::close_client(Slot& slot) {
  // The master stays; hosts come and go on the slave.
  if (protocol_ == ServeProtocol::Pty || protocol_ == ServeProtocol::Usb) return;
  epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, slot.client.get(), nullptr);
  slot.client.reset();
  slot.interest = 0;
  slot.outbox.clear();
  slot.link->drop(LinkTiming::Clock::now());
}

void DeviceServer::on_readable(Slot& slot) {
  std::uint8_t buffer[16384];
  const ssize_t got = ::read(slot.client.get(), buffer, sizeof buffer);
  if (got == 0 || (got < 0 && errno != EAGAIN && errno != EINTR)) {
    close_client(slot);  // not for a pty: its master reads EIO only if nobody has the slave open
    return;
  }
  if (got < 0 || slot.usb_detached) return;  // off the bus: the bytes go nowhere
  const auto now = LinkTiming::Clock::now();
  const ByteView in(buffer, static_cast<std::size_t>(got));
  VirtualDevice& device = *slot.device;
  if (protocol_ == ServeProtocol::Rfc2217) {
    Rfc2217Session::Output out;
    slot.telnet.set_max_baud(device.config().faults.adapter_max_baud);
    slot.telnet.feed(in, out);
    slot.outbox.insert(slot.outbox.end(), out.reply.begin(), out.reply.end());
    for (const ComPortEvent& event : out.events) {
      if (event.kind == ComPortEvent::Kind::SetBaud) device.set_line_baud(event.value);  // the adapter's rate
      if (event.kind == ComPortEvent::Kind::Dtr || event.kind == ComPortEvent::Kind::Rts) apply_line(slot, event);
    }
    slot.link->host_bytes(now, out.serial_data);
  } else {
    slot.link->host_bytes(now, in);
  }
  advance(slot, now);
}

void DeviceServer::advance(Slot& slot, LinkTiming::TimePoint now) {
  Bytes to_host;
  slot.link->advance(now + kSlack, to_host);
  send_to_host(slot, to_host);
  flush(slot);
}

void DeviceServer::send_to_host(Slot& slot, ByteView device_bytes) {
  if (device_bytes.empty()) return;
  if (!slot.client || slot.usb_detached) {
    if (protocol_ != ServeProtocol::Usb) return;  // nobody listens: the bytes are gone
    // The USB port is re-enumerating: the output waits in the chip until a host can take it.
    const std::size_t room = kUsbHeldOutput - std::min(kUsbHeldOutput, slot.outbox.size());
    slot.outbox.insert(slot.outbox.end(), device_bytes.begin(),
                       device_bytes.begin() + static_cast<std::ptrdiff_t>(std::min(room, device_bytes.size())));
    return;
  }
  if (protocol_ == ServeProtocol::Rfc2217) {
    const Bytes escaped = Rfc2217Session::escape(device_bytes);
    slot.outbox.insert(slot.outbox.end(), escaped.begin(), escaped.end());
  } else {
    slot.outbox.insert(slot.outbox.end(), device_bytes.begin(), device_bytes.end());
  }
}

void DeviceServer::flush(Slot& slot) {
  while (!slot.outbox.empty() && slot.client && !slot.usb_detached) {
    const ssize_t sent = protocol_ == ServeProtocol::Pty || protocol_ == ServeProtocol::Usb
                             ? ::write(slot.client.get(), slot.outbox.data(), slot.outbox.size())
                             : ::send(slot.client.get(), slot.outbox.data(), slot.outbox.size(), MSG_NOSIGNAL);
    if (sent < 0) {
      if (errno == EAGAIN || errno == EINTR) break;
      close_client(slot);
      return;
    }
    slot.outbox.erase(slot.outbox.begin(), slot.outbox.begin() + sent);
  }
  update_interest(slot);
}

void DeviceServer::update_interest(Slot& slot) {
  if (!slot.client) return;
  std::uint32_t want = 0;
  if (slot.link->queued_rx_bytes() < kRxQueueLimit) want |= EPOLLIN;
  if (!slot.outbox.empty()) want |= EPOLLOUT;
  if (want == slot.interest) return;
  epoll_event ev{};
  ev.events = want;
  ev.data.u64 = client_tag(slot);
  epoll_ctl(epoll_.get(), EPOLL_CTL_MOD, slot.client.get(), &ev);
  slot.interest = want;
}

void DeviceServer::apply_line(Slot& slot, const ComPortEvent& event) {
  // Espressif's RFC 2217 server rule (esp_rfc2217_server @ v4.8.1): a client's separate,
  // acknowledged line changes are too slow for the two-transistor circuit's timing, so the
  // server acts on intent: DTR on = reset into download mode, DTR off = leave that state,
  // RTS released without DTR = reset into the app.
  if (event.kind == ComPortEvent::Kind::Dtr) {
    if (event.value != 0 && !slot.download_requested) {
      slot.download_requested = true;
      reset_device(slot, true);
    } else if (event.value == 0) {
      slot.download_requested = false;
    }
  } else if (event.kind == ComPortEvent::Kind::Rts) {
    if (event.value == 0 && slot.rts_was_on && !slot.download_requested) reset_device(slot, false);
    slot.rts_was_on = event.value != 0;
  }
  if (event.kind == ComPortEvent::Kind::Dtr) slot.dtr_on = event.value != 0;
  account_reset_lines(slot);
}

void DeviceServer::account_reset_lines(Slot& slot) {
  // On the two-transistor circuit RTS alone pulls EN low (the chip is held in reset) and DTR alone
  // pulls GPIO0 low (the ROM samples its boot mode): either way the chip is not waiting for data.
  const bool holding = slot.rts_was_on != slot.dtr_on;
  const auto now = LinkTiming::Clock::now();
  if (holding && !slot.lines_hold_since) slot.lines_hold_since = now;
  if (!holding && slot.lines_hold_since) {
    slot.link->add_busy(*slot.lines_hold_since, now);
    slot.lines_hold_since.reset();
  }
}

void DeviceServer::reset_device(Slot& slot, bool download) {
  const Bytes console = download ? slot.device->reset_into_download() : slot.device->reset_normal_boot();
  const auto now = LinkTiming::Clock::now();
  slot.link->on_chip_reset(now);
  if (slot.usb) detach_usb(slot, now);
  slot.link->chip_output(now, console);
}

// ---------------------------------------------------------------- USB-Serial/JTAG

void DeviceServer::plug_usb(Slot& slot) {
  slot.usb_replug_at.reset();
  slot.usb_detached = false;
  slot.client = slot.usb->plug();
  slot.usb_lines.enumerate();
  const auto index = static_cast<std::uint64_t>(client_tag(slot) >> 1);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = client_tag(slot);
  if (epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, slot.client.get(), &ev) != 0) throw_os("epoll_ctl");
  slot.interest = EPOLLIN;
  epoll_event lines{};
  lines.events = EPOLLIN;
  lines.data.u64 = kUsbLinesBit | index;
  if (epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, slot.usb->lines_listener(), &lines) != 0) throw_os("epoll_ctl");
  log::get("emulator")->debug("USB port {} -> {}", slot.usb->link_path().string(), slot.usb->tty());
  flush(slot);
}

void DeviceServer::detach_usb(Slot& slot, LinkTiming::TimePoint now) {
  slot.outbox.clear();  // what the chip had not handed to the host before its reset is lost
  if (slot.usb_detached || !slot.usb->present()) return;
  slot.usb_detached = true;
  slot.usb_unplug_at = now + kUsbDisconnectNoticed;
}

void DeviceServer::unplug_usb(Slot& slot, LinkTiming::TimePoint now) {
  slot.usb_unplug_at.reset();
  if (slot.client) {
    epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, slot.client.get(), nullptr);
    slot.client.reset();
    slot.interest = 0;
  }
  if (slot.usb->present()) epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, slot.usb->lines_listener(), nullptr);
  slot.usb->unplug();
  // The eFuses the reset loaded decide whether the device comes back on the bus.
  if (slot.device->usb_serial_jtag_enabled()) {
    slot.usb_replug_at = now + usb_.reenumeration;
  } else {
    slot.usb_replug_at.reset();
    log::get("emulator")
        ->warn("{}: USB-Serial/JTAG is off (DIS_USB_SERIAL_JTAG or USB_PHY_SEL): the port does not come back",
               slot.usb->link_path().string());
  }
}

void DeviceServer::on_usb_lines(Slot& slot) {
  if (!slot.usb->present()) return;
  auto request = slot.usb->accept_lines_request(slot.usb_lines.lines());
  if (!request) return;
  if (slot.usb_detached) {  // the device has left; the host's driver answers until it notices
    UsbPort::answer(*request, request->lines);
    return;
  }
  const auto reset = slot.usb_lines.set(request->lines);
  if (reset) {
    // A core reset: the USB-Serial/JTAG controller itself is not reset, the port stays.
    const Bytes console = slot.device->usb_core_reset(reset->download_requested);
    const auto now = LinkTiming::Clock::now();
    slot.link->on_chip_reset(now);
    slot.outbox.clear();
    // ... unless the eFuses this reset loaded turn the controller off: then it leaves the bus.
    if (!slot.device->usb_serial_jtag_enabled()) detach_usb(slot, now);
    slot.link->chip_output(now, console);
  }
  UsbPort::answer(*request, slot.usb_lines.lines());
}

void DeviceServer::collect_app_output() {
  const auto now = LinkTiming::Clock::now();
  for (auto& slot : slots_) {
    const Bytes output = slot->device->take_app_output();
    if (!output.empty()) slot->link->chip_output(now, output);
  }
}

// ---------------------------------------------------------------- control channel

void DeviceServer::accept_control() {
  UniqueFd fd(accept4(control_listener_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
  if (!fd) return;
  const std::size_t id = control_clients_.size();
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = kControlClientBit | id;
  if (epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd.get(), &ev) != 0) return;
  auto client = std::make_unique<ControlClient>();
  client->fd = std::move(fd);
  control_clients_.push_back(std::move(client));
}

void DeviceServer::on_control(std::size_t id) {
  if (id >= control_clients_.size() || !control_clients_[id]) return;
  ControlClient& client = *control_clients_[id];
  char buffer[512];
  const ssize_t got = ::read(client.fd.get(), buffer, sizeof buffer);
  if (got < 0 && (errno == EAGAIN || errno == EINTR)) return;
  if (got <= 0) {
    epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, client.fd.get(), nullptr);
    control_clients_[id].reset();
    return;
  }
  client.line.append(buffer, static_cast<std::size_t>(got));
  std::string answers;
  std::size_t newline = 0;
  while ((newline = client.line.find('\n')) != std::string::npos) {
    answers += run_control(std::string_view(client.line).substr(0, newline)) + "\n";
    client.line.erase(0, newline + 1);
  }
  if (client.line.size() > kControlLineLimit) {
    answers += "error line too long\n";
    client.line.clear();
  }
  send_answers(client.fd.get(), answers);
}

std::string DeviceServer::run_control(std::string_view line) {
  const auto command = parse_control_command(line);
  if (!command) return "error " + command.error().message();
  if (command->device >= slots_.size()) {
    return "error no device " + std::to_string(command->device) + " (there are " + std::to_string(slots_.size()) + ")";
  }
  Slot& slot = *slots_[command->device];
  if (command->kind == ControlCommand::Kind::Busy) {
    const auto steady_to_system =
        std::chrono::system_clock::now().time_since_epoch() -
        std::chrono::duration_cast<std::chrono::system_clock::duration>(LinkTiming::Clock::now().time_since_epoch());
    return "ok " + describe_busy(slot.link->busy(), steady_to_system);
  }
  if (command->kind == ControlCommand::Kind::BusyClear) {
    slot.link->clear_busy();
    return "ok";
  }
  if (command->kind == ControlCommand::Kind::Fault) {
    try {
      slot.device->set_faults(parse_device_faults(command->knobs));
    } catch (const Error& error) {
      return "error " + error.message();
    }
    log::get("emulator")->info("control: {}", line);
    return "ok";
  }
  slot.download_requested = false;
  reset_device(slot, command->kind == ControlCommand::Kind::ResetDownload);
  log::get("emulator")->info("control: {}", line);
  return "ok";
}

}  // namespace espfab::emulator

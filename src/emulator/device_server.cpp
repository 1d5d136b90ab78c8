#include "emulator/device_server.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "util/error.hpp"
#include "util/log.hpp"

namespace espfab::emulator {
namespace {

// Owns one file descriptor.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() { reset(); }
  Fd(Fd&& other) noexcept : fd_(other.release()) {}
  Fd& operator=(Fd&& other) noexcept {
    if (this != &other) {
      reset();
      fd_ = other.release();
    }
    return *this;
  }
  int get() const noexcept { return fd_; }
  explicit operator bool() const noexcept { return fd_ >= 0; }
  int release() noexcept {
    const int fd = fd_;
    fd_ = -1;
    return fd;
  }
  void reset() noexcept {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

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
  throw BadInputError("emulator.bad_protocol", "unknown protocol '" + std::string(text) + "'",
                      "use socket, rfc2217 or pty");
}

struct DeviceServer::Slot {
  std::unique_ptr<VirtualDevice> device;
  Fd listener;   // TCP
  Fd client;     // TCP connection, or the pty master
  Fd pty_slave;  // kept open so the master never sees a hang-up between host sessions
  std::string pty_path;
  std::uint16_t port = 0;
  Bytes outbox;
  bool want_write = false;
  Rfc2217Session telnet;
  bool download_requested = false;
  bool rts_was_on = false;
};

DeviceServer::DeviceServer(std::vector<std::unique_ptr<VirtualDevice>> devices, ServeProtocol protocol,
                           std::uint16_t first_port)
    : protocol_(protocol) {
  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd_ < 0) throw_os("epoll_create1");
  for (std::size_t i = 0; i < devices.size(); ++i) {
    auto slot = std::make_unique<Slot>();
    slot->device = std::move(devices[i]);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = i << 1;  // bit 0: 0 = listener/pty master, 1 = client
    if (protocol_ == ServeProtocol::Pty) {
      Fd master(posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC));
      if (!master || grantpt(master.get()) != 0 || unlockpt(master.get()) != 0) throw_os("posix_openpt");
      slot->pty_path = ptsname(master.get());
      slot->pty_slave = Fd(::open(slot->pty_path.c_str(), O_RDWR | O_NOCTTY | O_CLOEXEC));
      if (!slot->pty_slave) throw_os("open " + slot->pty_path);
      termios tio{};
      tcgetattr(slot->pty_slave.get(), &tio);
      cfmakeraw(&tio);
      tcsetattr(slot->pty_slave.get(), TCSANOW, &tio);
      set_nonblocking(master.get());
      slot->client = std::move(master);
      ev.data.u64 |= 1;
      if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, slot->client.get(), &ev) != 0) throw_os("epoll_ctl");
    } else {
      Fd listener(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
      if (!listener) throw_os("socket");
      const int one = 1;
      setsockopt(listener.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
      sockaddr_in addr{};
      addr.sin_family = AF_INET;
      addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      addr.sin_port = htons(first_port == 0 ? 0 : static_cast<std::uint16_t>(first_port + i));
      if (bind(listener.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) throw_os("bind");
      if (listen(listener.get(), 4) != 0) throw_os("listen");
      socklen_t len = sizeof addr;
      getsockname(listener.get(), reinterpret_cast<sockaddr*>(&addr), &len);
      slot->port = ntohs(addr.sin_port);
      slot->listener = std::move(listener);
      if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, slot->listener.get(), &ev) != 0) throw_os("epoll_ctl");
    }
    slots_.push_back(std::move(slot));
  }
}

DeviceServer::~DeviceServer() {
  slots_.clear();
  if (epoll_fd_ >= 0) ::close(epoll_fd_);
}

std::string DeviceServer::url(std::size_t index) const {
  const Slot& slot = *slots_.at(index);
  switch (protocol_) {
    case ServeProtocol::Socket: return "socket://127.0.0.1:" + std::to_string(slot.port);
    case ServeProtocol::Rfc2217: return "rfc2217://127.0.0.1:" + std::to_string(slot.port);
    case ServeProtocol::Pty: return slot.pty_path;
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
  const int n = epoll_wait(epoll_fd_, events, 32, static_cast<int>(timeout.count()));
  if (n < 0 && errno != EINTR) throw_os("epoll_wait");
  for (int i = 0; i < n; ++i) {
    const std::size_t index = events[i].data.u64 >> 1;
    const bool is_client = (events[i].data.u64 & 1) != 0;
    Slot& slot = *slots_[index];
    if (!is_client) {
      accept_client(slot);
      continue;
    }
    if (events[i].events & EPOLLOUT) on_writable(slot);
    if (events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
      if (slot.client) on_readable(slot, slot.client.get());
    }
  }
}

void DeviceServer::accept_client(Slot& slot) {
  Fd client(accept4(slot.listener.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
  if (!client) return;
  if (slot.client) return;  // one host per device; the extra connection is closed by ~Fd
  const int one = 1;
  setsockopt(client.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = client_tag(slot);
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, client.get(), &ev) != 0) return;
  slot.client = std::move(client);
  slot.outbox.clear();
  slot.want_write = false;
  slot.telnet = Rfc2217Session{};
  slot.download_requested = false;
  slot.rts_was_on = false;
  log::get("emulator")->debug("host connected to {}", slot.device->config().state_dir.string());
}

void DeviceServer::close_client(Slot& slot) {
  if (protocol_ == ServeProtocol::Pty) return;  // the master stays; hosts come and go on the slave
  epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, slot.client.get(), nullptr);
  slot.client.reset();
  slot.outbox.clear();
}

void DeviceServer::on_readable(Slot& slot, int fd) {
  std::uint8_t buffer[16384];
  const ssize_t got = ::read(fd, buffer, sizeof buffer);
  if (got == 0 || (got < 0 && errno != EAGAIN && errno != EINTR)) {
    if (protocol_ != ServeProtocol::Pty) close_client(slot);
    return;  // a pty master reads EIO while no host has the slave open; our slave fd prevents that
  }
  if (got < 0) return;
  const ByteView in(buffer, static_cast<std::size_t>(got));
  VirtualDevice& device = *slot.device;
  Bytes serial_in;
  if (protocol_ == ServeProtocol::Rfc2217) {
    Rfc2217Session::Output out;
    slot.telnet.feed(in, out);
    if (!out.reply.empty()) {
      slot.outbox.insert(slot.outbox.end(), out.reply.begin(), out.reply.end());
    }
    for (const ComPortEvent& event : out.events) {
      if (event.kind == ComPortEvent::Kind::SetBaud) device.set_baud(event.value);
      if (event.kind == ComPortEvent::Kind::Dtr || event.kind == ComPortEvent::Kind::Rts) apply_line(slot, event);
    }
    serial_in = std::move(out.serial_data);
  } else {
    serial_in.assign(in.begin(), in.end());
  }
  if (!serial_in.empty()) {
    send_to_host(slot, device.on_host_bytes(serial_in));
    for (const LoaderEvent& event : device.take_events()) {
      if (event.kind == LoaderEvent::Kind::BaudChange) device.set_baud(event.value);
    }
  }
  flush(slot);
}

void DeviceServer::send_to_host(Slot& slot, ByteView device_bytes) {
  if (device_bytes.empty()) return;
  if (protocol_ == ServeProtocol::Rfc2217) {
    const Bytes escaped = Rfc2217Session::escape(device_bytes);
    slot.outbox.insert(slot.outbox.end(), escaped.begin(), escaped.end());
  } else {
    slot.outbox.insert(slot.outbox.end(), device_bytes.begin(), device_bytes.end());
  }
}

void DeviceServer::flush(Slot& slot) {
  while (!slot.outbox.empty() && slot.client) {
    const ssize_t sent = protocol_ == ServeProtocol::Pty
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

void DeviceServer::on_writable(Slot& slot) { flush(slot); }

void DeviceServer::update_interest(Slot& slot) {
  const bool want = !slot.outbox.empty();
  if (!slot.client || want == slot.want_write) return;
  epoll_event ev{};
  ev.events = EPOLLIN | (want ? EPOLLOUT : 0u);
  ev.data.u64 = client_tag(slot);
  epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, slot.client.get(), &ev);
  slot.want_write = want;
}

void DeviceServer::apply_line(Slot& slot, const ComPortEvent& event) {
  // Espressif's RFC 2217 server rule (esp_rfc2217_server @ v4.8.1): a client's separate,
  // acknowledged line changes are too slow for the two-transistor circuit's timing, so the
  // server acts on intent: DTR on = reset into download mode, DTR off = leave that state,
  // RTS released without DTR = reset into the app.
  Bytes console;
  if (event.kind == ComPortEvent::Kind::Dtr) {
    if (event.value != 0 && !slot.download_requested) {
      slot.download_requested = true;
      console = slot.device->reset_into_download();
    } else if (event.value == 0) {
      slot.download_requested = false;
    }
  } else if (event.kind == ComPortEvent::Kind::Rts) {
    if (event.value == 0 && slot.rts_was_on && !slot.download_requested) console = slot.device->reset_normal_boot();
    slot.rts_was_on = event.value != 0;
  }
  send_to_host(slot, console);
}

}  // namespace espfab::emulator

// RawTcpLabelSink against loopback sockets: a listener gets exactly the ZPL; a closed port and a
// printer that takes no data are transient errors naming the address.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <future>
#include <string>
#include <thread>

#include "label/label_printer.hpp"
#include "label/label_render.hpp"
#include "label_test_support.hpp"
#include "util/unique_fd.hpp"

namespace espfab::label {
namespace {

using test::sample_fields;

// A listening socket on 127.0.0.1 with a free port.
class Listener {
 public:
  explicit Listener(bool listen = true) {
    fd_.reset(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(fd_.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    socklen_t size = sizeof addr;
    ::getsockname(fd_.get(), reinterpret_cast<sockaddr*>(&addr), &size);
    port_ = ntohs(addr.sin_port);
    if (listen) {
      EXPECT_EQ(::listen(fd_.get(), 1), 0);
    }
  }
  ~Listener() { close(); }
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;
  std::uint16_t port() const { return port_; }
  int fd() const { return fd_.get(); }
  void close() { fd_.reset(); }

 private:
  UniqueFd fd_;
  std::uint16_t port_ = 0;
};

// Accepts one connection and returns everything it sends until it closes.
std::string receive_one(int listen_fd) {
  const int client = ::accept(listen_fd, nullptr, nullptr);
  if (client < 0) return "accept failed";
  std::string data;
  char buffer[4096];
  for (;;) {
    const ssize_t n = ::read(client, buffer, sizeof buffer);
    if (n <= 0) break;
    data.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(client);
  return data;
}

TEST(label_raw_tcp_sink, PrinterReceivesExactlyTheZpl) {
  const Listener printer;
  auto received = std::async(std::launch::async, [&] { return receive_one(printer.fd()); });
  RawTcpLabelSink sink("127.0.0.1", printer.port(), {50, 30, 300}, std::chrono::seconds(5));
  const std::string expected = render_label_zpl(sample_fields(), {50, 30, 300});
  const std::string result = sink.print(sample_fields());
  ASSERT_EQ(received.wait_for(std::chrono::seconds(5)), std::future_status::ready);
  EXPECT_EQ(received.get(), expected);
  EXPECT_EQ(result,
            "sent " + std::to_string(expected.size()) + " bytes of ZPL to 127.0.0.1:" + std::to_string(printer.port()));
  EXPECT_EQ(sink.describe(), "raw ZPL printer 127.0.0.1:" + std::to_string(printer.port()));
}

TEST(label_raw_tcp_sink, ByHostName) {
  const Listener printer;
  auto received = std::async(std::launch::async, [&] { return receive_one(printer.fd()); });
  RawTcpLabelSink("localhost", printer.port()).send("^XA^XZ\n");
  ASSERT_EQ(received.wait_for(std::chrono::seconds(5)), std::future_status::ready);
  EXPECT_EQ(received.get(), "^XA^XZ\n");
}

TEST(label_raw_tcp_sink, ClosedPortIsATransientIoErrorAtOnce) {
  Listener unused(false);
  const std::uint16_t port = unused.port();
  unused.close();
  RawTcpLabelSink sink("127.0.0.1", port, {}, std::chrono::seconds(5));
  const auto start = std::chrono::steady_clock::now();
  const Error error = test::thrown_by([&] { sink.print(sample_fields()); });
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
  EXPECT_EQ(error.kind(), ErrorKind::Io);
  EXPECT_EQ(error.code(), "label.printer_unreachable");
  EXPECT_NE(error.message().find("127.0.0.1:" + std::to_string(port)), std::string::npos) << error.message();
  EXPECT_NE(error.message().find("refused"), std::string::npos) << error.message();
  EXPECT_NE(error.hint().find("switched on"), std::string::npos) << error.hint();
  EXPECT_THROW(sink.print(sample_fields()), IoError);
}

TEST(label_raw_tcp_sink, PrinterThatTakesNoDataTimesOut) {
  // The listener never accepts or reads: once the socket buffers are full, send waits.
  const Listener printer;
  RawTcpLabelSink sink("127.0.0.1", printer.port(), {}, std::chrono::milliseconds(300));
  const std::string huge(64u << 20, 'Z');
  const auto start = std::chrono::steady_clock::now();
  const Error error = test::thrown_by([&] { sink.send(huge); });
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  EXPECT_EQ(error.kind(), ErrorKind::Timeout);
  EXPECT_EQ(error.code(), "label.printer_timeout");
  EXPECT_NE(error.message().find("127.0.0.1:" + std::to_string(printer.port())), std::string::npos) << error.message();
}

TEST(label_raw_tcp_sink, InvalidFieldsSendNothing) {
  const Listener printer;
  RawTcpLabelSink sink("127.0.0.1", printer.port());
  LabelFields fields = sample_fields();
  fields.serial = "ESP^XZ";
  EXPECT_THROW(sink.print(fields), BadInputError);
  // Nothing connected: no connection is waiting to be accepted.
  pollfd entry{printer.fd(), POLLIN, 0};
  EXPECT_EQ(::poll(&entry, 1, 100), 0);
}

TEST(label_raw_tcp_sink, RejectsAnEmptyAddress) {
  EXPECT_EQ(test::thrown_by([] { RawTcpLabelSink sink("", 9100); }).code(), "label.bad_printer_address");
  EXPECT_EQ(test::thrown_by([] { RawTcpLabelSink sink("printer", 0); }).code(), "label.bad_printer_address");
}

}  // namespace
}  // namespace espfab::label

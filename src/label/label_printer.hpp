// Where a finished label goes: files in a directory, a CUPS queue (PDF through `lp`), or a network
// label printer that takes raw ZPL on a TCP port. An unreachable printer is an IoError or a
// TimeoutError, both transient: a caller's outbox keeps the label and tries again later.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "label/label_format.hpp"
#include "label/label_layout.hpp"
#include "label/label_payload.hpp"

namespace espfab::label {

class LabelSink {
 public:
  LabelSink() = default;
  virtual ~LabelSink() = default;
  LabelSink(const LabelSink&) = delete;
  LabelSink& operator=(const LabelSink&) = delete;
  LabelSink(LabelSink&&) = delete;
  LabelSink& operator=(LabelSink&&) = delete;
  // Renders and delivers one label; returns what was done ("wrote /labels/ESP-1.png", ...).
  // Invalid fields: BadInputError before anything is delivered.
  virtual std::string print(const LabelFields& fields) = 0;
  // "directory /labels (png, zpl)", "CUPS queue zebra1", "raw ZPL printer 10.0.0.5:9100".
  virtual std::string describe() const = 0;
};

// <dir>/<serial>.<ext> for each format, each written atomically (temp file, fsync, rename), so a
// watcher never picks up half a label. The directory is created if missing.
class DirectoryLabelSink : public LabelSink {
 public:
  // Throws BadInputError label.no_formats for an empty set.
  DirectoryLabelSink(std::filesystem::path dir, std::set<LabelFormat> formats, LabelSize size = {});

  std::vector<std::filesystem::path> write(const LabelFields& fields);
  std::string print(const LabelFields& fields) override;
  std::string describe() const override;

 private:
  std::filesystem::path dir_;
  std::set<LabelFormat> formats_;
  LabelSize size_;
};

// The label as a PDF in a temporary file, handed to `lp -d <queue> <file>` (run directly, no
// shell), the file removed afterwards. lp failing: IoError label.lp_failed with lp's stderr; lp
// missing: IoError label.lp_not_found; lp hanging past `timeout`: TimeoutError label.lp_timeout.
class CupsLabelSink : public LabelSink {
 public:
  // Throws BadInputError label.bad_queue for an empty queue name or one with blanks, '/' or '#'.
  explicit CupsLabelSink(std::string queue, std::string lp_program = "lp", LabelSize size = {},
                         std::chrono::milliseconds timeout = std::chrono::seconds(30));

  std::string print(const LabelFields& fields) override;  // lp's answer ("request id is zebra1-7 ...")
  std::string describe() const override;

 private:
  std::string queue_;
  std::string lp_program_;
  LabelSize size_;
  std::chrono::milliseconds timeout_;
};

// The label as ZPL sent over TCP (port 9100, "raw"/"JetDirect"), then the connection closed.
// Cannot resolve or connect (refused, unreachable): IoError label.printer_unreachable; no
// connection or send progress within `timeout`: TimeoutError label.printer_timeout. Both name the
// printer's address and the fix.
class RawTcpLabelSink : public LabelSink {
 public:
  explicit RawTcpLabelSink(std::string host, std::uint16_t port = 9100, LabelSize size = {},
                           std::chrono::milliseconds timeout = std::chrono::seconds(5));

  std::string print(const LabelFields& fields) override;
  std::string describe() const override;
  // Sends `zpl` as is (what print() does after rendering).
  void send(const std::string& zpl) const;

 private:
  std::string host_;
  std::uint16_t port_;
  LabelSize size_;
  std::chrono::milliseconds timeout_;
};

}  // namespace espfab::label

// The production firmware's report of its own hello to the broker (docs/emulator.md, "device
// hello"): "espfab_hello: devices/<CN>/hello puback=<reason code> (<reason string>)", or the same
// line without puback= when it could not reach the broker.
#pragma once

#include <optional>
#include <string_view>

namespace espfab::station {

struct HelloLine {
  bool reached_broker = false;  // the line has "puback="
  // The MQTT v5 PUBACK reason code (0..255); unset when what follows "puback=" is not one.
  std::optional<unsigned> puback;
};

// `line` is the text after "espfab_hello: ". Strict: "puback=0x", "puback=-1", "puback=" and
// "puback=garbage" have no reason code.
HelloLine read_hello_line(std::string_view line);

}  // namespace espfab::station

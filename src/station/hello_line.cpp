#include "station/hello_line.hpp"

#include <charconv>

namespace espfab::station {

HelloLine read_hello_line(std::string_view line) {
  constexpr std::string_view kKey = "puback=";
  HelloLine out;
  const auto at = line.find(kKey);
  if (at == std::string_view::npos) return out;
  out.reached_broker = true;
  const std::string_view value = line.substr(at + kKey.size());
  const auto end = value.find(' ');
  const std::string_view digits = value.substr(0, end);
  unsigned code = 0;
  const auto [next, error] = std::from_chars(digits.data(), digits.data() + digits.size(), code);
  if (error == std::errc{} && next == digits.data() + digits.size() && !digits.empty() && code <= 255)
    out.puback = code;
  return out;
}

}  // namespace espfab::station

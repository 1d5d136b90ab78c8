#include "station/test_plan.hpp"

#include <fmt/format.h>

namespace espfab::station {
namespace {

using nlohmann::json;

bool within(const MeasurementResult& r, double value) {
  return (!r.min || value >= *r.min) && (!r.max || value <= *r.max);
}

std::string limits_text(const MeasurementResult& r) {
  if (r.min && r.max) return fmt::format("[{}, {}]", *r.min, *r.max);
  if (r.min) return fmt::format(">= {}", *r.min);
  if (r.max) return fmt::format("<= {}", *r.max);
  return "pass";
}

void judge_number(MeasurementResult& r, const json& value) {
  if (!value.is_number()) {
    r.note = "the device returned no value";
    return;
  }
  r.value = value;
  r.pass = within(r, value.get<double>());
  if (!r.pass) r.note = fmt::format("{} {} outside {}", value.get<double>(), r.unit, limits_text(r));
}

}  // namespace

json request_for(const MeasurementSpec& spec) {
  switch (spec.kind) {
    case MeasurementSpec::Kind::GpioLoopback:
      return {{"cmd", "gpio_loopback"}, {"pairs", json::array({json::array({spec.gpio_out, spec.gpio_in})})}};
    case MeasurementSpec::Kind::Sensor: return {{"cmd", "sensor"}, {"name", spec.target}};
    case MeasurementSpec::Kind::WifiRssi: return {{"cmd", "wifi_scan"}, {"ssid", spec.target}};
    case MeasurementSpec::Kind::MemTest: return {{"cmd", "mem_test"}, {"region", spec.target}};
    case MeasurementSpec::Kind::Adc: return {{"cmd", "adc_read"}, {"channel", spec.channel}, {"samples", 16}};
  }
  return {};
}

MeasurementResult evaluate(const MeasurementSpec& spec, const json& reply) {
  MeasurementResult r;
  r.name = spec.name;
  r.min = spec.min;
  r.max = spec.max;
  r.unit = spec.unit;
  r.value = nullptr;
  if (!reply.is_object() || !reply.value("ok", false)) {
    r.note = fmt::format("the device answered with an error: {}",
                         reply.is_object() ? reply.value("error", std::string("(none given)")) : "(no reply)");
    return r;
  }
  switch (spec.kind) {
    case MeasurementSpec::Kind::GpioLoopback: {
      const json results = reply.value("results", json::array());
      if (!results.is_array() || results.empty() || !results[0].is_object()) {
        r.note = "no loopback result";
        break;
      }
      const json& first = results[0];
      r.pass = first.value("pass", false);
      r.value = r.pass;
      if (!r.pass) {
        r.note = fmt::format("pin {} read {} while pin {} was driven high, {} while driven low", spec.gpio_in,
                             first.value("read_high", false) ? "high" : "low", spec.gpio_out,
                             first.value("read_low", false) ? "high" : "low");
      }
      break;
    }
    case MeasurementSpec::Kind::Sensor:
      if (!reply.value("present", false)) {
        r.note = fmt::format("sensor '{}' not present", spec.target);
        break;
      }
      judge_number(r, reply.value("value", json()));
      break;
    case MeasurementSpec::Kind::WifiRssi: {
      const json aps = reply.value("aps", json::array());
      std::optional<double> best;
      if (aps.is_array()) {
        for (const auto& ap : aps) {
          if (ap.is_object() && ap.value("ssid", "") == spec.target && ap.contains("rssi") && ap["rssi"].is_number()) {
            best = std::max(best.value_or(-1000.0), ap["rssi"].get<double>());
          }
        }
      }
      if (!best) {
        r.note = fmt::format("access point '{}' not found", spec.target);
        break;
      }
      judge_number(r, json(*best));
      break;
    }
    case MeasurementSpec::Kind::MemTest:
      r.pass = reply.value("pass", false);
      r.value = r.pass;
      if (!r.pass) r.note = fmt::format("{} memory test failed", spec.target);
      break;
    case MeasurementSpec::Kind::Adc: judge_number(r, reply.value("mv", json())); break;
  }
  return r;
}

json to_json(const MeasurementResult& r) {
  json out = {{"name", r.name}, {"value", r.value}, {"pass", r.pass}};
  if (r.min) out["min"] = *r.min;
  if (r.max) out["max"] = *r.max;
  if (!r.unit.empty()) out["unit"] = r.unit;
  if (!r.note.empty()) out["note"] = r.note;
  return out;
}

std::string describe_failure(const MeasurementResult& r) { return fmt::format("{} failed: {}", r.name, r.note); }

}  // namespace espfab::station

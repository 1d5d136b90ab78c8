// `espfab label`: one device label as PNG, PDF or ZPL, the format taken from the output file's
// extension. See docs/label.md.
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <iostream>
#include <memory>
#include <string>

#include "cli_support.hpp"
#include "command_registry.hpp"
#include "label/label_format.hpp"
#include "label/label_layout.hpp"
#include "service/label_operations.hpp"

namespace espfab::cli {
namespace {

struct LabelArgs {
  label::LabelFields fields;
  label::LabelSize size;
  std::string output;
  bool json = false;
};

void make_label(const LabelArgs& args) {
  const auto result = service::make_label({.fields = args.fields, .size = args.size, .output = args.output});
  const label::LabelPlan& plan = result.plan;
  const label::LabelLayout& layout = plan.layout;
  std::string format_name(label::extension(result.format));
  for (char& c : format_name) c = static_cast<char>(c - 'a' + 'A');
  if (args.json) {
    const nlohmann::json out = {
        {"path", args.output},
        {"format", label::extension(result.format)},
        {"payload", plan.payload},
        {"width_dots", layout.width_dots},
        {"height_dots", layout.height_dots},
        {"dpi", layout.dpi},
        {"qr_modules", layout.qr_modules},
        {"module_dots", layout.module_dots},
    };
    std::cout << out.dump(2) << "\n";
    return;
  }
  std::cout << fmt::format(
      "{}: {} label {} x {} mm ({} x {} dots at {} dpi), QR {}x{} modules at {} dots per module\n  payload: {}\n",
      args.output, format_name, layout.width_mm, layout.height_mm, layout.width_dots, layout.height_dots, layout.dpi,
      layout.qr_modules, layout.qr_modules, layout.module_dots, plan.payload);
}

const RegisterCommand kLabelCommand{{
    "label",
    "Render a device label (QR code + serial, MAC, date) as PNG, PDF or ZPL",
    [](CLI::App& app) {
      auto args = std::make_shared<LabelArgs>();
      app.add_option("--serial", args->fields.serial, "device serial number: 1-32 of A-Z a-z 0-9 - _")->required();
      app.add_option("--mac", args->fields.mac, "base MAC address: aa:bb:cc:dd:ee:ff or aabbccddeeff")->required();
      app.add_option("--date", args->fields.provisioned_date, "provisioning date YYYY-MM-DD (default: today, UTC)");
      app.add_option("--width-mm", args->size.width_mm, "label width in millimetres")->capture_default_str();
      app.add_option("--height-mm", args->size.height_mm, "label height in millimetres")->capture_default_str();
      app.add_option("--dpi", args->size.dpi, "printer resolution in dots per inch (203, 300, 600)")
          ->capture_default_str();
      app.add_option("-o,--output", args->output, "file to write: .png, .pdf or .zpl (the extension picks the format)")
          ->required();
      app.add_flag("--json", args->json, "print the result as JSON");
      app.footer(
          "The QR code holds EF1;SN:<serial>;D:<YYYY-MM-DD>;MAC:<12 hex digits> (ECC level M). Its modules are\n"
          "the largest whole number of dots (at most 10) with which the code and a 4-module quiet zone fit the\n"
          "label height; fewer than 3 dots per module is an error (exit 2): use a larger label or a higher dpi.\n"
          "Example:\n"
          "  espfab label --serial ESP-000123 --mac 7c:df:a1:00:00:01 --date 2026-11-23 -o ESP-000123.zpl\n");
      app.callback([args] { make_label(*args); });
    },
}};

}  // namespace
}  // namespace espfab::cli

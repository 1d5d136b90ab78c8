// `espfab efuse summary --file F | --port URL [--json]` and `espfab efuse check ...`: every ESP32-S3
// eFuse field decoded with espefuse's names and values (JSON in `espefuse summary --format json`
// shape, text in espefuse's layout), from a virtual eFuse file or a live device. See docs/security.md.
#include <fmt/format.h>

#include <algorithm>
#include <functional>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>

#include "chip/esp32s3_efuse.hpp"
#include "cli_support.hpp"
#include "command_registry.hpp"
#include "connection_options.hpp"
#include "security/efuse_summary.hpp"
#include "security/key_purpose.hpp"
#include "service/efuse_operations.hpp"
#include "util/file_io.hpp"

namespace espfab::cli {
namespace {

namespace efuse = chip::esp32s3_efuse;

struct SummaryArgs {
  std::string file;
  std::shared_ptr<ConnectionOptions> connection;
  bool json() const { return connection->json; }
};

security::EfuseImage load_image(const SummaryArgs& args) {
  if (!args.file.empty()) {
    try {
      return security::EfuseImage::from_virtual_file(read_file(args.file));
    } catch (Error& error) {
      error.with_context("reading eFuse file " + args.file);
      throw;
    }
  }
  // Like espefuse: read every block and the error registers, change nothing.
  Device device(*args.connection);
  auto image = service::read_device_efuses(device.session());
  device.finish();
  return image;
}

nlohmann::json value_json(const security::FieldValue& value) {
  return std::visit([](const auto& v) { return nlohmann::json(v); }, value);
}

nlohmann::json summary_json(const std::vector<security::FieldSummary>& summary) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& item : summary) {
    const auto& f = *item.field;
    out[std::string(f.name)] = {{"name", f.name},
                                {"value", value_json(item.value)},
                                {"block", f.block},
                                {"word", f.calculated() ? nlohmann::json() : nlohmann::json(f.word)},
                                {"pos", f.calculated() ? nlohmann::json() : nlohmann::json(f.pos)},
                                {"bit_len", f.bit_len},
                                {"efuse_type", f.efuse_type},
                                {"readable", item.readable},
                                {"writeable", item.writeable},
                                {"category", f.category},
                                {"description", f.description}};
  }
  return out;
}

// Python's "%-Ns": pad to N characters by string length (newlines count).
std::string pad(const std::string& text, std::size_t width) {
  return text.size() >= width ? text : text + std::string(width - text.size(), ' ');
}

std::string title(std::string_view category) {
  std::string out(category);
  bool start = true;
  for (auto& c : out) {
    c = static_cast<char>(start ? std::toupper(static_cast<unsigned char>(c))
                                : std::tolower(static_cast<unsigned char>(c)));
    start = !std::isalpha(static_cast<unsigned char>(c));
  }
  return out;
}

// The field's bits as espefuse's bitstring prints them: hex when the length is a multiple of 4.
std::string raw_bits(const security::EfuseImage& image, const efuse::FieldInfo& field) {
  std::uint64_t value = 0;
  if (field.calculated()) {
    value = (image.field_uint("WAFER_VERSION_MINOR_HI") << 3) + image.field_uint("WAFER_VERSION_MINOR_LO");
  } else {
    value = image.field_uint(field);
  }
  if (field.bit_len % 4 == 0) return fmt::format("(0x{:0{}x})", value, field.bit_len / 4);
  return fmt::format("(0b{:0{}b})", value, field.bit_len);
}

std::string summary_text(const security::EfuseImage& image, const std::vector<security::FieldSummary>& summary) {
  std::ostringstream out;
  out << "EFUSE_NAME (Block) Description  = [Meaningful Value] [Readable/Writeable] (Hex Value)\n";
  out << std::string(88, '-') << "\n";
  std::vector<std::string_view> categories;
  categories.reserve(summary.size());
  for (const auto& item : summary) categories.push_back(item.field->category);
  std::sort(categories.begin(), categories.end(), [](auto a, auto b) { return title(a) < title(b); });
  categories.erase(std::unique(categories.begin(), categories.end()), categories.end());
  for (const auto category : categories) {
    out << title(category) << " fuses:\n";
    for (const auto& item : summary) {
      const auto& f = *item.field;
      if (f.category != category) continue;
      std::string info = fmt::format("{} (BLOCK{})", f.name, f.block);
      const auto errors = image.block_errors(f.block);
      if (errors.fail || (f.block != 0 && errors.count != 0)) info += "[error]";
      if (f.field_class == efuse::FieldClass::KeyBlock && f.block >= efuse::kBlockKey0 &&
          f.block < efuse::kBlockKey0 + efuse::kKeyBlockCount) {
        const auto purpose = image.field_uint(fmt::format("KEY_PURPOSE_{}", f.block - efuse::kBlockKey0));
        info += fmt::format("\n  Purpose: {}\n ", security::key_purpose_name(static_cast<std::uint32_t>(purpose)));
      }
      const std::string value = security::value_text(item.value);
      const std::string perms = item.readable && item.writeable ? "R/W"
                                : item.readable                 ? "R/-"
                                : item.writeable                ? "-/W"
                                                                : "-/-";
      const std::string raw = f.type == efuse::FieldType::Bytes ? "" : raw_bits(image, f);
      const std::string_view description = f.description;
      out << pad(info, 50) << " " << pad(std::string(description.substr(0, 50)), 50)
          << (value.size() > 20 ? "\n  " : "") << " = " << value << " " << perms << " " << raw << "\n";
      for (std::size_t i = 50; i < description.size(); i += 50) {
        out << std::string(50, ' ') << " " << pad(std::string(description.substr(i, 50)), 50) << "\n";
      }
    }
    out << "\n";
  }
  if (image.field_uint("VDD_SPI_FORCE") == 0) {
    out << "Flash voltage (VDD_SPI) determined by GPIO45 on reset (GPIO45=High: VDD_SPI pin is powered from "
           "internal 1.8V LDO\nGPIO45=Low or NC: VDD_SPI pin is powered directly from VDD3P3_RTC_IO via resistor "
           "Rspi. Typically this voltage is 3.3 V).\n";
  } else if (image.field_uint("VDD_SPI_XPD") == 0) {
    out << "Flash voltage (VDD_SPI) internal regulator disabled by efuse.\n";
  } else if (image.field_uint("VDD_SPI_TIEH") == 0) {
    out << "Flash voltage (VDD_SPI) set to 1.8V by efuse.\n";
  } else {
    out << "Flash voltage (VDD_SPI) set to 3.3V by efuse.\n";
  }
  if (image.any_errors()) out << "WARNING: Coding scheme has encoding bit error warnings\n";
  return out.str();
}

void run_summary(const SummaryArgs& args) {
  const auto image = load_image(args);
  const auto summary = security::summarize(image);
  if (args.json()) {
    std::cout << summary_json(summary).dump(4) << "\n";
  } else {
    std::cout << summary_text(image, summary);
  }
}

void run_check(const SummaryArgs& args) {
  const auto image = load_image(args);
  nlohmann::json blocks = nlohmann::json::array();
  bool failed = false;
  for (unsigned b = 0; b < efuse::kBlockCount; ++b) {
    const auto errors = image.block_errors(b);
    failed = failed || errors.fail;
    if (args.json()) {
      blocks.push_back(
          {{"block", b}, {"name", efuse::kBlocks[b].name}, {"errors", errors.count}, {"fail", errors.fail}});
    } else if (errors.fail || errors.count != 0) {
      std::cout << fmt::format("Error(s) in BLOCK{} [ERRORS:{} FAIL:{}]\n", b, errors.count, errors.fail ? 1 : 0);
    }
  }
  if (args.json()) {
    std::cout << nlohmann::json{{"blocks", blocks}, {"ok", !image.any_errors()}}.dump(2) << "\n";
  } else if (!image.any_errors()) {
    std::cout << "No eFuse coding errors\n";
  }
  if (failed) throw ExitRequest{kExitCheckFailed};
}

void configure_file_options(CLI::App& app, const std::shared_ptr<SummaryArgs>& args) {
  app.add_option("--file", args->file,
                 "virtual eFuse file (espefuse --virt --path-efuse-file, 512 bytes); read instead of --port");
  args->connection = add_connection_options(app);
}

void with_source(const SummaryArgs& args, const std::function<void()>& body) {
  if (args.file.empty() && args.connection->port.empty()) {
    throw BadInputError("cli.no_efuse_source", "no eFuse source given",
                        "pass --port URL (a device) or --file FILE (an espefuse virtual eFuse file)");
  }
  body();
}

const RegisterGroup kGroup{"efuse", "ESP32-S3 eFuses: decode, check, plan and burn"};

const RegisterCommand kSummaryCommand{{
    "efuse summary",
    "Print every eFuse field with espefuse's names and values (espefuse summary)",
    [](CLI::App& app) {
      auto args = std::make_shared<SummaryArgs>();
      configure_file_options(app, args);
      app.footer(
          "--json prints `espefuse summary --format json`'s shape: field name -> {name, value, block, word, pos,\n"
          "bit_len, efuse_type, readable, writeable, category, description}. Read-protected values show '?'\n"
          "for every '0'.\n");
      app.callback([args] { with_source(*args, [&] { run_summary(*args); }); });
    },
}};

const RegisterCommand kCheckCommand{{
    "efuse check",
    "Decode the eFuse error registers (RS errors of blocks 1-10, BLOCK0 repeat errors)",
    [](CLI::App& app) {
      auto args = std::make_shared<SummaryArgs>();
      configure_file_options(app, args);
      app.footer("Exit code 1 when a block reports a failed (uncorrectable) read.\n");
      app.callback([args] { with_source(*args, [&] { run_check(*args); }); });
    },
}};

}  // namespace
}  // namespace espfab::cli

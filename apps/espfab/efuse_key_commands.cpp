// `espfab efuse burn-key | burn-key-digest | write-protect | read-protect`: espefuse's direct
// commands, each a one-batch plan through the same planner (refusals) and executor (verify, never
// twice), a dry run until --confirm. See docs/security.md.
#include <fmt/format.h>

#include <memory>
#include <string>
#include <vector>

#include "cli_support.hpp"
#include "command_registry.hpp"
#include "connection_options.hpp"
#include "efuse_burn_job.hpp"
#include "security/key_purpose.hpp"
#include "security/sbv2_key.hpp"
#include "util/file_io.hpp"

namespace espfab::cli {
namespace {

struct KeyArgs {
  std::shared_ptr<ConnectionOptions> connection;
  std::string block;
  std::string file;
  std::string purpose;
  bool no_read_protect = false;
  bool no_write_protect = false;
  bool confirm = false;
};

void configure_key_command(CLI::App& app, const std::shared_ptr<KeyArgs>& args, const char* file_help) {
  args->connection = add_connection_options(app);
  app.add_option("block", args->block, "BLOCK_KEY0 .. BLOCK_KEY5")->required();
  app.add_option("keyfile", args->file, file_help)->required()->check(CLI::ExistingFile);
  app.add_option("purpose", args->purpose, "key purpose, espefuse's name")->required();
  app.add_flag("--no-write-protect", args->no_write_protect, "leave the key block writable (not recommended)");
  add_confirm(app, args->confirm);
  app.footer(kRefusalFooter);
}

const RegisterCommand kBurnKeyCommand{{
    "efuse burn-key",
    "Burn a 32-byte key file (XTS, HMAC, ...) into a key block with its purpose (espefuse burn_key)",
    [](CLI::App& app) {
      auto args = std::make_shared<KeyArgs>();
      configure_key_command(app, args, "32-byte key file (burned reversed, as burn_key does)");
      app.add_flag("--no-read-protect", args->no_read_protect, "leave the key readable (development only)");
      app.callback([args] {
        const auto purpose = parse_purpose(args->purpose);
        const auto info = security::key_purpose_info(static_cast<std::uint32_t>(purpose));
        if (info && info->digest) {
          throw BadInputError("cli.key_purpose_unsupported", fmt::format("{} takes a public key digest", args->purpose),
                              "use espfab efuse burn-key-digest BLOCK PUBKEY.pem " + args->purpose);
        }
        SecretBytes bytes(read_file(args->file));
        if (bytes.size() != 32) {
          throw BadInputError("cli.key_size", args->file + " must hold exactly 32 bytes",
                              "burn each half of an XTS-AES-256 key with its own purpose");
        }
        BurnJob job;
        job.inputs.profile = bare_profile();
        security::KeyBlockWrite write;
        write.key_block = parse_key_block(args->block);
        write.purpose = purpose;
        if (security::is_xts_purpose(purpose)) {
          // burn_key reverses XTS keys for the AES-XTS peripheral.
          job.inputs.key.emplace(std::move(bytes));
          write.source = security::KeySource::DeviceFlashEncryptionKey;
        } else {
          job.inputs.secret_keys.push_back(std::move(bytes));  // HMAC/DS keys: as they are
          write.source = security::KeySource::SecretKey;
        }
        write.read_protect = !args->no_read_protect && info && info->needs_read_protect;
        write.write_protect = !args->no_write_protect;
        job.inputs.profile.extra_keys.push_back(std::move(write));
        job.confirm = args->confirm;
        run_job(*args->connection, job);
      });
    },
}};

const RegisterCommand kBurnKeyDigestCommand{{
    "efuse burn-key-digest",
    "Burn a Secure Boot V2 public key digest into a key block (espefuse burn_key_digest)",
    [](CLI::App& app) {
      auto args = std::make_shared<KeyArgs>();
      configure_key_command(app, args, "RSA-3072 PEM key (public or private); its SBv2 digest is burned");
      app.callback([args] {
        const auto purpose = parse_purpose(args->purpose);
        const auto info = security::key_purpose_info(static_cast<std::uint32_t>(purpose));
        if (!info || !info->digest) {
          throw BadInputError("cli.key_purpose_unsupported",
                              fmt::format("{} is not a Secure Boot digest purpose", args->purpose),
                              "use SECURE_BOOT_DIGEST0, SECURE_BOOT_DIGEST1 or SECURE_BOOT_DIGEST2");
        }
        const auto key = security::load_sbv2_key_file(args->file, false);
        const auto digest = security::sbv2_public_key(key.get()).digest();
        BurnJob job;
        job.inputs.profile = bare_profile();
        security::KeyBlockWrite write;
        write.key_block = parse_key_block(args->block);
        write.purpose = purpose;
        write.digest = Bytes(digest.begin(), digest.end());
        write.write_protect = !args->no_write_protect;
        job.inputs.profile.extra_keys.push_back(std::move(write));
        job.confirm = args->confirm;
        run_job(*args->connection, job);
      });
    },
}};

struct ProtectArgs {
  std::shared_ptr<ConnectionOptions> connection;
  std::vector<std::string> names;
  bool confirm = false;
};

const RegisterCommand kWriteProtectCommand{{
    "efuse write-protect",
    "Write-protect eFuse fields or blocks (espefuse write_protect_efuse)",
    [](CLI::App& app) {
      auto args = std::make_shared<ProtectArgs>();
      args->connection = add_connection_options(app);
      app.add_option("fields", args->names, "field names (their whole WR_DIS group is protected)")->required();
      add_confirm(app, args->confirm);
      app.footer(kRefusalFooter);
      app.callback([args] {
        BurnJob job;
        job.inputs.profile = bare_profile();
        job.inputs.profile.extra_write_protect = args->names;
        job.confirm = args->confirm;
        run_job(*args->connection, job);
      });
    },
}};

const RegisterCommand kReadProtectCommand{{
    "efuse read-protect",
    "Read-protect key blocks (RD_DIS; espefuse read_protect_efuse)",
    [](CLI::App& app) {
      auto args = std::make_shared<ProtectArgs>();
      args->connection = add_connection_options(app);
      app.add_option("blocks", args->names, "BLOCK_KEY0 .. BLOCK_KEY5")->required();
      add_confirm(app, args->confirm);
      app.footer(kRefusalFooter);
      app.callback([args] {
        BurnJob job;
        job.inputs.profile = bare_profile();
        std::uint64_t bits = 0;
        for (const auto& name : args->names) bits |= std::uint64_t{1} << parse_key_block(name);
        job.inputs.profile.extra_fields.emplace_back("RD_DIS", bits);
        job.confirm = args->confirm;
        run_job(*args->connection, job);
      });
    },
}};

}  // namespace
}  // namespace espfab::cli

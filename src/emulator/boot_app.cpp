#include "emulator/boot_app.hpp"

#include <fmt/format.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <memory>

#include "image/secure_cert_tlv.hpp"
#include "util/bytes.hpp"
#include "util/crypto.hpp"
#include "util/error.hpp"
#include "util/openssl_handle.hpp"
#include "util/secret_bytes.hpp"

namespace espfab::emulator {
namespace {

constexpr std::uint8_t kSecureCertPartitionType = 0x3F;

// The §5 rule of esp_get_flash_encryption_mode, as the app prints it.
void print_flash_encryption_mode(const BootContext& context, BootConsole& console) {
  if (!context.flash_encryption_enabled()) return;
  if (context.flash_encryption_release_mode()) {
    console.info("flash_encrypt", "Flash encryption mode is RELEASE");
  } else {
    console.warn("flash_encrypt", "Flash encryption mode is DEVELOPMENT (not secure)");
  }
}

}  // namespace

std::optional<image::SecureCertIdentity> read_secure_cert(const BootContext& context,
                                                          const image::PartitionTable& table) {
  for (const auto& entry : table.entries) {
    if (entry.type != kSecureCertPartitionType) continue;
    Bytes partition = context.read(entry.offset, entry.size);
    std::optional<image::SecureCertIdentity> identity;
    try {
      identity = image::read_secure_cert_identity(partition);
    } catch (const Error&) {
    }
    secure_wipe(partition.data(), partition.size());  // it holds the private key
    return identity;
  }
  return std::nullopt;
}

std::optional<image::SecureCertDsIdentity> read_secure_cert_ds(const BootContext& context,
                                                               const image::PartitionTable& table) {
  for (const auto& entry : table.entries) {
    if (entry.type != kSecureCertPartitionType) continue;
    const Bytes partition = context.read(entry.offset, entry.size);
    try {
      return image::read_secure_cert_ds_identity(partition);
    } catch (const Error&) {
      return std::nullopt;
    }
  }
  return std::nullopt;
}

std::optional<DeviceIdentity> identity_of_certificate(std::string_view pem) {
  OpenSslHandle<BIO, BIO_free> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return std::nullopt;
  OpenSslHandle<X509, X509_free> cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (!cert) return std::nullopt;
  DeviceIdentity identity;
  const X509_NAME* subject = X509_get_subject_name(cert.get());
  const int index = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
  if (index < 0) return std::nullopt;
  const ASN1_STRING* cn = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, index));
  identity.serial.assign(reinterpret_cast<const char*>(ASN1_STRING_get0_data(cn)),
                         static_cast<std::size_t>(ASN1_STRING_length(cn)));
  unsigned char* der = nullptr;
  const int length = i2d_X509(cert.get(), &der);
  if (length <= 0) return std::nullopt;
  const auto digest = crypto::sha256(ByteView(der, static_cast<std::size_t>(length)));
  OPENSSL_free(der);
  identity.cert_sha256 = to_hex(digest);
  return identity;
}

std::optional<DeviceIdentity> read_device_identity(const BootContext& context, const image::PartitionTable& table) {
  const auto secure_cert = read_secure_cert(context, table);
  if (!secure_cert) return std::nullopt;
  return identity_of_certificate(secure_cert->device_cert);
}

std::string run_app_startup(const BootContext& context, BootConsole& console, const LoadedApp& app) {
  console.advance_ms(12);
  console.info("cpu_start", "Pro cpu start user code");
  console.info("cpu_start", "cpu freq: 160000000 Hz");
  std::string project;
  if (app.image.app_descriptor) {
    const auto& desc = *app.image.app_descriptor;
    project = desc.project_name;
    console.info("app_init", "Application information:");
    console.info("app_init", fmt::format("{:<18}{}", "Project name:", desc.project_name));
    console.info("app_init", fmt::format("{:<18}{}", "App version:", desc.version));
    console.info("app_init", fmt::format("{:<18}{} {}", "Compile time:", desc.date, desc.time));
    console.info(
        "app_init",
        fmt::format("{:<18}{}...", "ELF file SHA256:", to_hex(ByteView(desc.app_elf_sha256.data(), 9)).substr(0, 9)));
    console.info("app_init", fmt::format("{:<18}{}", "ESP-IDF:", desc.idf_version));
  }
  console.info("efuse_init", fmt::format("{:<18}v{}.{}", "Min chip rev:", 0, 0));
  console.info("efuse_init", fmt::format("{:<18}v{}.{} {}", "Max chip rev:", 0, 99, ""));
  console.info("efuse_init", fmt::format("{:<18}v{}.{}", "Chip rev:", 0, 2));
  print_flash_encryption_mode(context, console);
  return project;
}

}  // namespace espfab::emulator

// The DS-backed OpenSSL key: signatures made through the emulated DS verify with the device
// certificate's public key, and a TLS client authenticates with it (TLS 1.3 RSA-PSS, TLS 1.2
// PKCS#1 v1.5) against a server that trusts the device CA, in memory. Parameters and HMAC key are
// those of esp_secure_cert_mgr's own DS partition (tests/vectors/ds).
#include "emulator/ds_rsa_key.hpp"

#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/ssl.h>

#include <string>

#include "efuse_key_burn.hpp"
#include "image/secure_cert_tlv.hpp"
#include "support/test_paths.hpp"
#include "util/openssl_handle.hpp"

namespace espfab::emulator {
namespace {

using test_burn::burn_key;
using X509Ptr = OpenSslHandle<X509, X509_free>;
using SslCtxPtr = OpenSslHandle<SSL_CTX, SSL_CTX_free>;
using SslPtr = OpenSslHandle<SSL, SSL_free>;
using MdCtxPtr = OpenSslHandle<EVP_MD_CTX, EVP_MD_CTX_free>;

X509Ptr load_cert(const std::string& pem) {
  OpenSslHandle<BIO, BIO_free> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  return X509Ptr(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
}

// A chip whose key block holds the tool's HMAC key, and the DS identity of the tool's partition.
struct DsDevice {
  EfuseController efuse;
  HmacPeripheral hmac{efuse};
  DsPeripheral ds{hmac};
  image::SecureCertDsIdentity identity =
      image::read_secure_cert_ds_identity(test::read_vector("ds/esp_secure_cert_ds_rsa3072.bin"));
  X509Ptr certificate = load_cert(identity.device_cert);

  explicit DsDevice(chip::esp32s3_efuse::KeyPurpose purpose) {
    burn_key(efuse, identity.efuse_key_id, test::read_vector("ds/ds_hmac_key.bin"), purpose);
  }
  DsData data() const {
    return {.rsa_length = chip::esp32s3_ds::rsa_length_field(identity.rsa_bits),
            .iv = identity.iv,
            .ciphertext = identity.ciphertext};
  }
  crypto::EvpPkeyPtr key() const {
    return make_ds_rsa_key(X509_get0_pubkey(certificate.get()), ds, data(), identity.efuse_key_id);
  }
};

bool sign_and_verify(EVP_PKEY* key, EVP_PKEY* public_key, int padding) {
  const Bytes message = to_bytes("CertificateVerify content");
  MdCtxPtr sign(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;
  if (EVP_DigestSignInit(sign.get(), &pctx, EVP_sha256(), nullptr, key) != 1 ||
      EVP_PKEY_CTX_set_rsa_padding(pctx, padding) != 1) {
    return false;
  }
  Bytes signature(512);
  std::size_t length = signature.size();
  if (EVP_DigestSign(sign.get(), signature.data(), &length, message.data(), message.size()) != 1) return false;
  signature.resize(length);
  MdCtxPtr verify(EVP_MD_CTX_new());
  return EVP_DigestVerifyInit(verify.get(), &pctx, EVP_sha256(), nullptr, public_key) == 1 &&
         EVP_PKEY_CTX_set_rsa_padding(pctx, padding) == 1 &&
         EVP_DigestVerify(verify.get(), signature.data(), signature.size(), message.data(), message.size()) == 1;
}

TEST(DsRsaKey, SignaturesVerifyWithTheCertificate) {
  const DsDevice device(chip::esp32s3_efuse::KeyPurpose::HmacDownDigitalSignature);
  const crypto::EvpPkeyPtr key = device.key();
  EVP_PKEY* public_key = X509_get0_pubkey(device.certificate.get());
  EXPECT_TRUE(sign_and_verify(key.get(), public_key, RSA_PKCS1_PADDING));
  EXPECT_TRUE(sign_and_verify(key.get(), public_key, RSA_PKCS1_PSS_PADDING));
}

TEST(DsRsaKey, SigningFailsWhenTheDsRefuses) {
  const DsDevice device(chip::esp32s3_efuse::KeyPurpose::HmacUp);  // the key block cannot serve the DS
  const crypto::EvpPkeyPtr key = device.key();
  EXPECT_FALSE(sign_and_verify(key.get(), X509_get0_pubkey(device.certificate.get()), RSA_PKCS1_PADDING));
}

// One in-memory TLS handshake; the server requires a client certificate from the device CA.
bool handshake(EVP_PKEY* client_key, X509* client_cert, int version, const char* client_sigalgs) {
  const std::string ca_pem = test::read_vector_text("ds/ca_cert.pem");
  const SecretBytes ca_key_pem(test::read_vector("secure_cert/ca_key.pem"));
  const X509Ptr ca = load_cert(ca_pem);
  const crypto::EvpPkeyPtr ca_key = crypto::load_private_key_pem(ca_key_pem);

  SslCtxPtr server_ctx(SSL_CTX_new(TLS_server_method()));
  SSL_CTX_set_min_proto_version(server_ctx.get(), version);
  SSL_CTX_set_max_proto_version(server_ctx.get(), version);
  SSL_CTX_use_certificate(server_ctx.get(), ca.get());  // the CA's self-signed certificate serves
  SSL_CTX_use_PrivateKey(server_ctx.get(), ca_key.get());
  X509_STORE_add_cert(SSL_CTX_get_cert_store(server_ctx.get()), ca.get());
  SSL_CTX_set_verify(server_ctx.get(), SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);

  SslCtxPtr client_ctx(SSL_CTX_new(TLS_client_method()));
  SSL_CTX_set_min_proto_version(client_ctx.get(), version);
  SSL_CTX_set_max_proto_version(client_ctx.get(), version);
  if (SSL_CTX_use_certificate(client_ctx.get(), client_cert) != 1 ||
      SSL_CTX_use_PrivateKey(client_ctx.get(), client_key) != 1) {
    return false;
  }
  if (client_sigalgs != nullptr) SSL_CTX_set1_client_sigalgs_list(client_ctx.get(), client_sigalgs);

  SslPtr server(SSL_new(server_ctx.get()));
  SslPtr client(SSL_new(client_ctx.get()));
  BIO* client_bio = nullptr;
  BIO* server_bio = nullptr;
  BIO_new_bio_pair(&client_bio, 0, &server_bio, 0);
  SSL_set_bio(client.get(), client_bio, client_bio);
  SSL_set_bio(server.get(), server_bio, server_bio);
  SSL_set_connect_state(client.get());
  SSL_set_accept_state(server.get());
  bool client_done = false;
  bool server_done = false;
  for (int round = 0; round < 20 && !(client_done && server_done); ++round) {
    if (!client_done) {
      const int rc = SSL_do_handshake(client.get());
      if (rc == 1)
        client_done = true;
      else if (SSL_get_error(client.get(), rc) != SSL_ERROR_WANT_READ)
        return false;
    }
    if (!server_done) {
      const int rc = SSL_do_handshake(server.get());
      if (rc == 1)
        server_done = true;
      else if (SSL_get_error(server.get(), rc) != SSL_ERROR_WANT_READ)
        return false;
    }
  }
  if (!server_done || !client_done) return false;
  // TLS 1.3 sends the client's certificate after the client finished: one read settles it.
  char byte = 0;
  SSL_write(client.get(), "x", 1);
  if (SSL_read(server.get(), &byte, 1) != 1) return false;
  X509Ptr peer(SSL_get1_peer_certificate(server.get()));
  return peer && X509_cmp(peer.get(), client_cert) == 0 && SSL_get_verify_result(server.get()) == X509_V_OK;
}

TEST(DsRsaKey, TlsClientAuthenticatesThroughTheDs) {
  const DsDevice device(chip::esp32s3_efuse::KeyPurpose::HmacDownDigitalSignature);
  const crypto::EvpPkeyPtr key = device.key();
  EXPECT_TRUE(handshake(key.get(), device.certificate.get(), TLS1_3_VERSION, nullptr));       // RSA-PSS
  EXPECT_TRUE(handshake(key.get(), device.certificate.get(), TLS1_2_VERSION, "RSA+SHA256"));  // PKCS#1 v1.5
}

TEST(DsRsaKey, TlsFailsWithAKeyBlockOfAnotherPurpose) {
  const DsDevice device(chip::esp32s3_efuse::KeyPurpose::HmacDownJtag);
  const crypto::EvpPkeyPtr key = device.key();
  EXPECT_FALSE(handshake(key.get(), device.certificate.get(), TLS1_3_VERSION, nullptr));
}

}  // namespace
}  // namespace espfab::emulator

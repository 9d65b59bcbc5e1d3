#include "tests/support/test_certs.h"

#include <doctest/doctest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdio>

namespace holdfast::testing {
namespace {

struct KeyDeleter {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct CertDeleter {
  void operator()(X509* c) const { X509_free(c); }
};
using Key = std::unique_ptr<EVP_PKEY, KeyDeleter>;
using Cert = std::unique_ptr<X509, CertDeleter>;

Key NewKey() {
  Key key(EVP_RSA_gen(2048));
  REQUIRE(key);
  return key;
}

void AddExtension(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  REQUIRE(ext != nullptr);
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

// A certificate for `cn`, valid from now + from_s to now + to_s, signed by
// issuer (self-signed when issuer is null).
Cert MakeCert(const char* cn, EVP_PKEY* key, X509* issuer, EVP_PKEY* issuer_key, long from_s, long to_s, bool ca,
              long serial) {
  Cert cert(X509_new());
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), serial);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), from_s);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), to_s);
  X509_set_pubkey(cert.get(), key);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(cn), -1, -1, 0);
  X509_set_issuer_name(cert.get(), issuer ? X509_get_subject_name(issuer) : name);
  X509* signer = issuer ? issuer : cert.get();
  if (ca) {
    AddExtension(cert.get(), signer, NID_basic_constraints, "critical,CA:TRUE");
    AddExtension(cert.get(), signer, NID_key_usage, "critical,keyCertSign,cRLSign");
    AddExtension(cert.get(), signer, NID_subject_key_identifier, "hash");
  } else {
    AddExtension(cert.get(), signer, NID_subject_alt_name, "IP:127.0.0.1");
    AddExtension(cert.get(), signer, NID_ext_key_usage, "serverAuth");
  }
  REQUIRE(X509_sign(cert.get(), issuer_key ? issuer_key : key, EVP_sha256()) > 0);
  return cert;
}

void WriteCert(const std::filesystem::path& path, X509* cert) {
  FILE* f = std::fopen(path.c_str(), "w");
  REQUIRE(f != nullptr);
  PEM_write_X509(f, cert);
  std::fclose(f);
}

}  // namespace

TestCerts MakeTestCerts(const std::filesystem::path& dir) {
  TestCerts certs{dir / "ca.pem", dir / "server.pem", dir / "server.key", dir / "expired.pem"};
  Key ca_key = NewKey();
  Cert ca = MakeCert("Holdfast Test CA", ca_key.get(), nullptr, nullptr, -3600, 86400, true, 1);
  Key server_key = NewKey();
  Cert server = MakeCert("127.0.0.1", server_key.get(), ca.get(), ca_key.get(), -3600, 86400, false, 2);
  Cert expired = MakeCert("127.0.0.1", server_key.get(), ca.get(), ca_key.get(), -86400 * 3, -86400 * 2, false, 3);
  WriteCert(certs.ca_pem, ca.get());
  WriteCert(certs.server_pem, server.get());
  WriteCert(certs.expired_pem, expired.get());
  FILE* f = std::fopen(certs.server_key.c_str(), "w");
  REQUIRE(f != nullptr);
  PEM_write_PrivateKey(f, server_key.get(), nullptr, nullptr, 0, nullptr, nullptr);
  std::fclose(f);
  return certs;
}

}  // namespace holdfast::testing

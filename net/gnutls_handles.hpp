// GnuTLS handles owned by RAII and the one checker that turns GnuTLS return
// codes into errors carrying GnuTLS's text and what was attempted (docs/architecture.md
// §3-4). Private to the files that wrap GnuTLS: certificate, dtls_endpoint.
#pragma once

#include <gnutls/gnutls.h>
#include <gnutls/abstract.h>
#include <gnutls/dtls.h>
#include <gnutls/x509.h>

#include <memory>
#include <stdexcept>
#include <string>

namespace sigtrust::gnutls {

template <auto Fn>
struct Deleter {
  template <typename T>
  void operator()(T* p) const {
    if (p) Fn(p);
  }
};

using SessionPtr = std::unique_ptr<gnutls_session_int, Deleter<gnutls_deinit>>;
using CredentialsPtr = std::unique_ptr<gnutls_certificate_credentials_st, Deleter<gnutls_certificate_free_credentials>>;
using CrtPtr = std::unique_ptr<gnutls_x509_crt_int, Deleter<gnutls_x509_crt_deinit>>;
using PrivkeyPtr = std::unique_ptr<gnutls_x509_privkey_int, Deleter<gnutls_x509_privkey_deinit>>;
using PubkeyPtr = std::unique_ptr<gnutls_pubkey_st, Deleter<gnutls_pubkey_deinit>>;
using AbsPrivkeyPtr = std::unique_ptr<gnutls_privkey_st, Deleter<gnutls_privkey_deinit>>;
using PriorityPtr = std::unique_ptr<gnutls_priority_st, Deleter<gnutls_priority_deinit>>;

// Thrown only for failures of the simulator itself (e.g. key generation);
// the engine turns it into an `error` run, never an attack outcome.
struct Failure : std::runtime_error {
  using std::runtime_error::runtime_error;
};

inline int check(int ret, const char* what) {
  if (ret < 0) throw Failure(std::string(what) + ": " + gnutls_strerror(ret));
  return ret;
}

}  // namespace sigtrust::gnutls

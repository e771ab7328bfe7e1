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

#include "core/c_ptr.hpp"

namespace sigtrust::gnutls {

using SessionPtr = CPtr<gnutls_session_int, gnutls_deinit>;
using CredentialsPtr = CPtr<gnutls_certificate_credentials_st, gnutls_certificate_free_credentials>;
using CrtPtr = CPtr<gnutls_x509_crt_int, gnutls_x509_crt_deinit>;
using PrivkeyPtr = CPtr<gnutls_x509_privkey_int, gnutls_x509_privkey_deinit>;
using PubkeyPtr = CPtr<gnutls_pubkey_st, gnutls_pubkey_deinit>;
using AbsPrivkeyPtr = CPtr<gnutls_privkey_st, gnutls_privkey_deinit>;
using PriorityPtr = CPtr<gnutls_priority_st, gnutls_priority_deinit>;
// What GnuTLS allocated into a gnutls_datum_t it filled (gnutls_free is a
// variable, not a function, hence the one-line function).
inline void free_data(unsigned char* p) { gnutls_free(p); }
using DataPtr = CPtr<unsigned char, free_data>;

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

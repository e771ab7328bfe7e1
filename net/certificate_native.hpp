// Certificate::Native, shared by certificate.cpp and dtls_endpoint.cpp only.
#pragma once

#include "net/certificate.hpp"
#include "net/gnutls_handles.hpp"

namespace sigtrust {

struct Certificate::Native {
  gnutls::CredentialsPtr credentials;
};

}  // namespace sigtrust

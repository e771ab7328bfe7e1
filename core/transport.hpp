// What a connection settled on, as results record it: the ICE pair selected
// and the DTLS role taken. The network layer produces these; reports read them.
#pragma once

#include <string>
#include <string_view>

namespace sigtrust {

// RFC 5763 §5: the a=setup answer decides who is the DTLS client.
enum class DtlsRole { Client, Server };

inline std::string_view to_string(DtlsRole r) { return r == DtlsRole::Client ? "client" : "server"; }

struct SelectedPair {
  std::string local_type, remote_type;  // host, srflx, prflx, relay
  std::string local, remote;  // "127.0.0.2:40001"
};

}  // namespace sigtrust

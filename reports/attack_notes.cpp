#include "reports/attack_notes.hpp"

#include <array>

namespace sigtrust::reports {
namespace {

constexpr std::array kNotes = {
    AttackNote{"none", "-", "Honest run: the relay forwards every message unchanged.",
               "The baseline. Each end's certificate matches the fingerprint its peer sent (RFC 8122 §5, "
               "RFC 5763 §5), so every trust configuration ends secure."},
    AttackNote{"swap-mitm", "signaling",
               "The signaling relay replaces fingerprint, ICE credentials and candidates with its own and bridges "
               "two DTLS sessions.",
               "Whoever relays the SDP can write its own a=fingerprint, ICE ufrag/password and candidates into the "
               "offer and the answer, then terminate DTLS towards each peer with its own certificate. Nothing in "
               "RFC 8122 §5 or RFC 5763 §5 is violated: each victim's certificate check passes against the SDP it "
               "received, and ICE succeeds because the attacker chose the credentials (RFC 8445 §19). This is the "
               "attack RFC 8826 §4.3 and RFC 8827 describe; only something outside the SDP (an out-of-band "
               "fingerprint comparison, a short authentication string, an identity assertion, a pinned key) "
               "detects it."},
    AttackNote{"strip-mitm", "signaling", "The relay removes every a=fingerprint and bridges.",
               "An offer or answer for DTLS must carry at least one fingerprint (RFC 8842 §5, RFC 5763 §5). A "
               "conforming sdp-fingerprint check refuses the attacker's certificate (alarm fingerprint-missing) "
               "before any data; a peer that does not verify, or that accepts a missing fingerprint "
               "(missing-accepted-bug), is man-in-the-middled without noticing."},
    AttackNote{"append-mitm", "signaling",
               "The relay adds its own fingerprint after the real one, under the same hash, and bridges.",
               "RFC 8122 §5 lets an SDP list several fingerprints under one hash and accepts a certificate that "
               "matches any of them, so a receiver cannot tell an added fingerprint from a second certificate of "
               "the real peer: the attack passes an RFC-conformant check. A stack that keeps only one a=fingerprint "
               "line passes it if it keeps the last line and refuses it if it keeps the first. An out-of-band check "
               "must compare the certificate presented in DTLS, not look for the expected fingerprint in the SDP "
               "text."},
    AttackNote{"prepend-mitm", "signaling",
               "The relay adds its own fingerprint before the real one, under the same hash, and bridges.",
               "The mirror of append-mitm: an RFC 8122 §5 check accepts it for the same reason, and a stack that "
               "keeps only one a=fingerprint line passes it if it keeps the first line and refuses it if it keeps "
               "the last. Between the two, an attacker always finds the position a given stack looks at."},
    AttackNote{"downgrade-mitm", "signaling",
               "The relay keeps the real sha-256 fingerprint and adds its own under a weaker hash (sha-1 or md5), "
               "and bridges.",
               "RFC 8122 §5: the receiver uses the most preferred hash among those offered, here sha-256, so a "
               "conforming check compares the attacker's certificate with the real sha-256 fingerprint and refuses "
               "it (alarm fingerprint-mismatch). A check that accepts a match under any listed hash "
               "(sdp-fingerprint-any) takes the attacker's weaker line, with sha-1 and even with md5. The attacker "
               "fingerprints its own certificate and needs no collision: what a downgrade exploits is the "
               "receiver's choice of line, not a weakness of the hash."},
    AttackNote{"hash-swap-mitm", "signaling",
               "The relay replaces the fingerprint with its own under another hash (sha-1 or md5) and bridges.",
               "swap-mitm under another hash name. With sha-1, which RFC 8122 does not forbid, a conforming check "
               "accepts the attacker's certificate like any swap; MD2 and MD5 are forbidden, so the md5 variant is "
               "refused (alarm fingerprint-weak-hash). It shows that a hash ban stops only the weak-hash form of an "
               "attack the SDP's author can always make with a strong hash."},
    AttackNote{"sas-grind-mitm", "signaling",
               "swap-mitm that, on the leg where it is the DTLS client, tries key shares until that leg's short "
               "authentication string equals the other leg's.",
               "DTLS 1.2 has no commitment step: the client sees the server's random, ECDHE share and signature "
               "before it picks its own share, so the attacker can try shares offline (each a fresh GnuTLS client "
               "session replaying the same ClientHello and the server's recorded flight) and send only one whose "
               "RFC 5705 exporter renders to the SAS the other victim reads. It succeeds when the budget covers "
               "about 2^bits tries: a 5- or 8-bit string falls in well under a second, the 20-bit default within "
               "its 64 tries almost never (alarm sas-mismatch). ZRTP avoids this by committing to its share "
               "before seeing the other's."},
    AttackNote{"identity-strip-mitm", "signaling", "swap-mitm that also removes a=identity.",
               "Like swap-mitm, and it removes the RFC 8827 identity assertion. A peer that requires an identity "
               "assertion (identity) detects it; one that only verifies an assertion when present "
               "(identity-optional) does not."},
    AttackNote{"fingerprint-only", "signaling",
               "The relay replaces the fingerprint in offer and answer with one it owns, without bridging.",
               "The peers still reach each other directly, so each sees the other's real certificate, which does "
               "not match the fingerprint it received; RFC 8122 §5 and RFC 8842 §5 require the session to end "
               "(alarm fingerprint-mismatch). Without verification the forged fingerprint is harmless because "
               "nobody is in the path."},
    AttackNote{"sdp-rules", "signaling",
               "The relay applies the scenario's SDP line rules to offers and answers, with or without bridging.",
               "A signaling attack written as data: each rule is a regular expression searched in every SDP line "
               "and a replacement ({attacker-fingerprint} is the attacker's own sha-256 fingerprint). Without the "
               "bridge the peers still reach each other, so what the rules change is judged by the peers' checks "
               "against each other's real certificates; with bridge: true the attacker writes its own ICE data and "
               "terminates DTLS towards each peer, and the rules decide what fingerprints the peers see. The "
               "outcome, as for every attack, comes from the certificates the DTLS layers authenticated "
               "(docs/attacks.md, sdp-rules)."},
    AttackNote{"setup-flip", "signaling",
               "The relay inverts a=setup in the answer so both ends take the same DTLS role.",
               "a=setup is not authenticated (RFC 5763 §5, RFC 8842 §5). Both ends become DTLS clients, the "
               "handshake fails before any certificate is exchanged and no alarm can be raised: a denial of "
               "service that gives the attacker nothing that dropping a message would not."},
    AttackNote{"drop-answer", "signaling", "The relay never delivers the answer.",
               "Without the answer the offerer lacks the ICE credentials, candidates and fingerprint (RFC 8445), "
               "so ICE fails and the session never starts. No trust configuration protects against a signaling "
               "server that refuses service."},
    AttackNote{"turn-eavesdrop", "TURN", "A TURN server records every relayed datagram.",
               "A TURN server relays datagrams but cannot read them: DTLS is authenticated by the SDP fingerprint, "
               "which the TURN server cannot edit, so it sees only ciphertext."},
    AttackNote{"turn-tamper", "TURN", "A TURN server flips bytes in relayed DTLS records.",
               "Tampered DTLS records fail their integrity check and are dropped or end the session; the attacker "
               "can deny service but not read or change data."},
    AttackNote{"turn-mitm", "TURN", "A TURN server terminates DTLS towards each peer with its own certificate.",
               "Its certificate does not match the fingerprint in the SDP it cannot edit, so sdp-fingerprint "
               "refuses it (RFC 8122 §5); only a peer that does not verify is man-in-the-middled."},
    AttackNote{"stun-lie", "STUN",
               "A STUN server answers Binding requests with the attacker's address as mapped address and forwards.",
               "A lying STUN server can steer traffic through itself, but the DTLS handshake is still authenticated "
               "by the SDP fingerprint, so it sees only ciphertext unless a peer skips verification."},
};

}  // namespace

std::span<const AttackNote> attack_notes() { return kNotes; }

AttackNote attack_note(std::string_view name) {
  for (const auto& n : kNotes)
    if (n.name == name) return n;
  return {name, "-", "An attack without notes in this build.",
          "See docs/attacks.md and `sigtrust list attacks` for what this attack does."};
}

}  // namespace sigtrust::reports

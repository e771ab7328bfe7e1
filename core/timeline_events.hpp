// The kinds of timeline events, declared once. The engine, the peers, the
// relay and the attacks write them; reports (the sequence diagram, the
// timeline tables) and CI read them: a kind is part of the result document's
// contract (docs/reports.md), so it is named here, and
// tests/integration/timeline_kinds_test.cpp checks that every kind a run
// writes is one of these.
#pragma once

#include <algorithm>
#include <array>
#include <string_view>

namespace sigtrust::events {

// The run (actor "engine").
inline constexpr const char* kRunStart = "run.start";
inline constexpr const char* kRunEnd = "run.end";
inline constexpr const char* kRunError = "run.error";
inline constexpr const char* kRunDeadline = "run.deadline";
inline constexpr const char* kRunInterrupted = "run.interrupted";
inline constexpr const char* kRoundStart = "round.start";
inline constexpr const char* kBatchStart = "batch.start";
inline constexpr const char* kSessionUnattacked = "session.unattacked";
inline constexpr const char* kCoturn = "coturn";
// The live relay (`sigtrust relay`).
inline constexpr const char* kRelayError = "relay.error";
inline constexpr const char* kRelayOutcome = "relay.outcome";
inline constexpr const char* kRelayStopped = "relay.stopped";
inline constexpr const char* kRelayClientReport = "relay.client-report";
// The signaling proxy in front of another server (`sigtrust proxy`).
inline constexpr const char* kProxyUpstreamClosed = "proxy.upstream-closed";
inline constexpr const char* kProxyUpstreamError = "proxy.upstream-error";
inline constexpr const char* kProxyUpstreamMalformed = "proxy.upstream-malformed";
// Signaling, as a peer or the relay saw it.
inline constexpr const char* kSignalingConnected = "signaling.connected";
inline constexpr const char* kSignalingJoined = "signaling.joined";
inline constexpr const char* kSignalingLeft = "signaling.left";
inline constexpr const char* kSignalingOfferSent = "signaling.offer-sent";
inline constexpr const char* kSignalingOfferReceived = "signaling.offer-received";
inline constexpr const char* kSignalingAnswerSent = "signaling.answer-sent";
inline constexpr const char* kSignalingAnswerReceived = "signaling.answer-received";
inline constexpr const char* kSignalingCandidate = "signaling.candidate";
inline constexpr const char* kSignalingUnexpected = "signaling.unexpected";
inline constexpr const char* kSignalingMalformed = "signaling.malformed";
inline constexpr const char* kSignalingRejected = "signaling.rejected";
inline constexpr const char* kSignalingReplaced = "signaling.replaced";
inline constexpr const char* kSignalingRateLimited = "signaling.rate-limited";
inline constexpr const char* kSignalingQueued = "signaling.queued";
inline constexpr const char* kSignalingExpired = "signaling.expired";
inline constexpr const char* kSignalingDropped = "signaling.dropped";
inline constexpr const char* kSdpMalformed = "sdp.malformed";
inline constexpr const char* kSdpBadCandidate = "sdp.bad-candidate";
// A peer's connection.
inline constexpr const char* kIceGathered = "ice.gathered";
inline constexpr const char* kIceState = "ice.state";
inline constexpr const char* kIceReady = "ice.ready";
inline constexpr const char* kDtlsRole = "dtls.role";
inline constexpr const char* kDtlsConnected = "dtls.connected";
inline constexpr const char* kDtlsClosed = "dtls.closed";
inline constexpr const char* kTrustAccepted = "trust.accepted";
inline constexpr const char* kTrustRejected = "trust.rejected";
inline constexpr const char* kAlarm = "alarm";
inline constexpr const char* kDataSent = "data.sent";
inline constexpr const char* kDataSendFailed = "data.send-failed";
inline constexpr const char* kDataReceived = "data.received";
// A peer's call (media: [audio]): SRTP keyed, its tone going out, the
// other side's arriving, packets refused, and how the call ended.
inline constexpr const char* kMediaKeyed = "media.keyed";
inline constexpr const char* kMediaSending = "media.sending";
inline constexpr const char* kMediaReceiving = "media.receiving";
inline constexpr const char* kMediaRejected = "media.rejected";
inline constexpr const char* kMediaEnded = "media.ended";
inline constexpr const char* kPeerFailed = "peer.failed";
inline constexpr const char* kPeerClosed = "peer.closed";
// The attacker (actor "mallory").
inline constexpr const char* kAttackIntercept = "attack.intercept";
inline constexpr const char* kAttackRewrite = "attack.rewrite";
inline constexpr const char* kAttackRewriteData = "attack.rewrite-data";
inline constexpr const char* kAttackDropped = "attack.dropped";
inline constexpr const char* kAttackSkipped = "attack.skipped";
inline constexpr const char* kAttackIgnoredCandidate = "attack.ignored-candidate";
inline constexpr const char* kAttackOnPath = "attack.on-path";
inline constexpr const char* kAttackLegReady = "attack.leg-ready";
inline constexpr const char* kAttackLegConnected = "attack.leg-connected";
inline constexpr const char* kAttackLegFailed = "attack.leg-failed";
inline constexpr const char* kAttackLegSendFailed = "attack.leg-send-failed";
inline constexpr const char* kAttackRebridge = "attack.rebridge";
inline constexpr const char* kAttackRead = "attack.read";
inline constexpr const char* kAttackSctp = "attack.sctp";
inline constexpr const char* kAttackMedia = "attack.media";
inline constexpr const char* kAttackMediaRejected = "attack.media-rejected";
inline constexpr const char* kAttackRecording = "attack.recording";
inline constexpr const char* kAttackTamper = "attack.tamper";
inline constexpr const char* kAttackGrind = "attack.grind";
// The attacker's STUN and TURN nodes.
inline constexpr const char* kStunListen = "stun.listen";
inline constexpr const char* kStunLie = "stun.lie";
inline constexpr const char* kStunForward = "stun.forward";
inline constexpr const char* kStunError = "stun.error";
inline constexpr const char* kStunMalformed = "stun.malformed";
inline constexpr const char* kStunDropped = "stun.dropped";
inline constexpr const char* kTurnListen = "turn.listen";
inline constexpr const char* kTurnAllocate = "turn.allocate";
inline constexpr const char* kTurnPermission = "turn.permission";
inline constexpr const char* kTurnChannel = "turn.channel";
inline constexpr const char* kTurnDeallocate = "turn.deallocate";
inline constexpr const char* kTurnAuthFailed = "turn.auth-failed";
inline constexpr const char* kTurnError = "turn.error";
inline constexpr const char* kTurnMalformed = "turn.malformed";
inline constexpr const char* kTurnDropped = "turn.dropped";

inline constexpr std::array kAll = {kRunStart,
                                    kRunEnd,
                                    kRunError,
                                    kRunDeadline,
                                    kRunInterrupted,
                                    kRoundStart,
                                    kBatchStart,
                                    kSessionUnattacked,
                                    kCoturn,
                                    kRelayError,
                                    kRelayOutcome,
                                    kRelayStopped,
                                    kRelayClientReport,
                                    kProxyUpstreamClosed,
                                    kProxyUpstreamError,
                                    kProxyUpstreamMalformed,
                                    kSignalingConnected,
                                    kSignalingJoined,
                                    kSignalingLeft,
                                    kSignalingOfferSent,
                                    kSignalingOfferReceived,
                                    kSignalingAnswerSent,
                                    kSignalingAnswerReceived,
                                    kSignalingCandidate,
                                    kSignalingUnexpected,
                                    kSignalingMalformed,
                                    kSignalingRejected,
                                    kSignalingReplaced,
                                    kSignalingRateLimited,
                                    kSignalingQueued,
                                    kSignalingExpired,
                                    kSignalingDropped,
                                    kSdpMalformed,
                                    kSdpBadCandidate,
                                    kIceGathered,
                                    kIceState,
                                    kIceReady,
                                    kDtlsRole,
                                    kDtlsConnected,
                                    kDtlsClosed,
                                    kTrustAccepted,
                                    kTrustRejected,
                                    kAlarm,
                                    kDataSent,
                                    kDataSendFailed,
                                    kDataReceived,
                                    kMediaKeyed,
                                    kMediaSending,
                                    kMediaReceiving,
                                    kMediaRejected,
                                    kMediaEnded,
                                    kPeerFailed,
                                    kPeerClosed,
                                    kAttackIntercept,
                                    kAttackRewrite,
                                    kAttackRewriteData,
                                    kAttackDropped,
                                    kAttackSkipped,
                                    kAttackIgnoredCandidate,
                                    kAttackOnPath,
                                    kAttackLegReady,
                                    kAttackLegConnected,
                                    kAttackLegFailed,
                                    kAttackLegSendFailed,
                                    kAttackRebridge,
                                    kAttackRead,
                                    kAttackSctp,
                                    kAttackMedia,
                                    kAttackMediaRejected,
                                    kAttackRecording,
                                    kAttackTamper,
                                    kAttackGrind,
                                    kStunListen,
                                    kStunLie,
                                    kStunForward,
                                    kStunError,
                                    kStunMalformed,
                                    kStunDropped,
                                    kTurnListen,
                                    kTurnAllocate,
                                    kTurnPermission,
                                    kTurnChannel,
                                    kTurnDeallocate,
                                    kTurnAuthFailed,
                                    kTurnError,
                                    kTurnMalformed,
                                    kTurnDropped};

inline bool is_declared(std::string_view kind) {
  return std::any_of(kAll.begin(), kAll.end(), [&](const char* k) { return kind == k; });
}

}  // namespace sigtrust::events

// Micro benchmarks of the pure parts (Google Benchmark):
//   sigtrust_micro_bench [--benchmark_filter=REGEX] [--benchmark_repetitions=N] ...
// SDP parse and write, the MITM bridge's SDP rewrite (swap, strip, append,
// downgrade), certificate fingerprint and creation, outcome classification,
// signaling message parse, and rendering the result document in every format.
//
// Inputs are real: at start-up the honest, swap-mitm and strip-mitm catalogue
// scenarios are run once on loopback; the SDP the peers sent, the attacker's
// rewritten SDP and the result document of those runs are what is measured.
// Each benchmark checks its result once before timing and aborts if it is
// wrong, so a figure always stands for work that was done right.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "attacks/registry.hpp"
#include "attacks/media_recorder.hpp"
#include "attacks/mitm_bridge.hpp"
#include "net/srtp_session.hpp"
#include "attacks/vp8_recorder.hpp"
#include "attacks/sdp_rewrite.hpp"
#include "reports/json_report.hpp"
#include "reports/report_set.hpp"
#include "net/certificate.hpp"
#include "net/dtls_endpoint.hpp"
#include "net/main_loop.hpp"
#include "trust/out_of_band.hpp"
#include "sim/engine.hpp"
#include "core/outcome.hpp"
#include "sim/scenario.hpp"
#include "core/sdp.hpp"
#include "core/signaling_message.hpp"

using namespace sigtrust;

namespace {

[[noreturn]] void fail(const std::string& what) {
  std::fprintf(stderr, "sigtrust_micro_bench: wrong result: %s\n", what.c_str());
  std::abort();
}

void check(bool ok, const std::string& what) {
  if (!ok) fail(what);
}

// What the start-up runs produced, read by every benchmark.
struct Inputs {
  std::vector<RunResult> runs;  // honest, swap-mitm, strip-mitm
  nlohmann::json document;  // reports::result_document(runs)
  std::string offer, answer;  // SDP alice and bob sent in the honest run
  std::string forged_offer;  // what bob received from the swap-mitm relay
  sdp::Fingerprint alice_fp;  // alice's certificate's fingerprint
  LocalIce mallory_ice;  // the attacker's ICE data, as it wrote it into the forged offer
  std::unique_ptr<Certificate> mallory;  // an attacker certificate (the bridge makes one per run)
};

Inputs* g_in = nullptr;

Inputs make_inputs() {
  Inputs in;
  const std::string dir = SIGTRUST_SOURCE_DIR "/scenarios/";
  CertificateStore store;
  EngineOptions o;
  o.make_attack = &attacks::make_attack;
  o.certificates = &store;
  for (const char* name : {"honest", "swap-mitm", "strip-mitm"}) {
    auto s = scenario::load_file(dir + name + ".yaml", attacks::vocabulary());
    if (!s) fail(s.error().message);
    in.runs.push_back(run_scenario(*s, o));
    check(all_passed(in.runs.back()), std::string("start-up run of ") + name + " did not meet its expectation");
  }
  in.document = reports::result_document(in.runs);
  const auto& honest = in.runs[0].sessions.at(0);
  in.offer = honest.offerer_result.report.sdp_sent;
  in.answer = honest.answerer_result.report.sdp_sent;
  in.forged_offer = in.runs[1].sessions.at(0).answerer_result.report.sdp_received;
  in.alice_fp = store.get("alice").fingerprint();
  auto forged = sdp::parse(in.forged_offer);
  check(forged.ok(), "the forged offer parses");
  const auto t = sdp::transport_info(*forged);
  check(t.ice_ufrag && t.ice_pwd && !t.candidates.empty(), "the forged offer carries ICE data");
  in.mallory_ice = LocalIce{*t.ice_ufrag, *t.ice_pwd, t.candidates};
  in.mallory = std::make_unique<Certificate>("mallory");
  return in;
}

// ----- SDP ----------------------------------------------------------------

void sdp_parse(benchmark::State& state) {
  const auto& in = *g_in;
  {
    auto s = sdp::parse(in.offer);
    check(s.ok(), "offer parses");
    const auto t = sdp::transport_info(*s);
    check(t.fingerprints.size() == 1 && t.fingerprints[0] == in.alice_fp, "offer carries alice's fingerprint");
    check(!t.candidates.empty() && t.setup == "actpass", "offer carries candidates and a=setup:actpass");
    check(sdp::write(*s) == in.offer, "write(parse(offer)) == offer");
  }
  for (auto _ : state) {
    auto s = sdp::parse(in.offer);
    benchmark::DoNotOptimize(s);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * in.offer.size()));
}

// What a peer does with a received description: parse, then read its transport attributes.
void sdp_parse_transport_info(benchmark::State& state) {
  const auto& in = *g_in;
  check(sdp::transport_info(*sdp::parse(in.answer)).setup.has_value(), "answer has a=setup");
  for (auto _ : state) {
    auto t = sdp::transport_info(*sdp::parse(in.answer));
    benchmark::DoNotOptimize(t);
  }
}

void sdp_write(benchmark::State& state) {
  const auto& in = *g_in;
  const auto s = *sdp::parse(in.offer);
  check(sdp::write(s) == in.offer, "write(parse(offer)) == offer");
  for (auto _ : state) {
    auto text = sdp::write(s);
    benchmark::DoNotOptimize(text);
  }
}

// The MITM bridge's work on one intercepted offer: parse, then
// attacks::forge_sdp (what the bridge forwards: the attacker's ICE data and
// fingerprint(s) substituted), which writes it.
using Style = attacks::FingerprintStyle;

std::string forge(const std::string& text, Style style, const Inputs& in) {
  auto parsed = sdp::parse(text);
  if (!parsed) fail("offer parses");
  return attacks::forge_sdp(*parsed, in.mallory_ice, *in.mallory, attacks::BridgeOptions{style, "sha-1", {}});
}

void sdp_rewrite(benchmark::State& state, Style style) {
  const auto& in = *g_in;
  {
    const auto out = forge(in.offer, style, in);
    const auto t = sdp::transport_info(*sdp::parse(out));
    check(t.ice_ufrag == in.mallory_ice.ufrag && t.candidates == in.mallory_ice.candidates,
          "rewrite puts the attacker's ICE data in");
    const auto mallory_fp = in.mallory->fingerprint();
    switch (style) {
      case Style::Swap:
        check(t.fingerprints == std::vector{mallory_fp}, "swap leaves only the attacker's fingerprint");
        break;
      case Style::Strip: check(t.fingerprints.empty(), "strip removes every fingerprint"); break;
      case Style::Append:
        check(t.fingerprints == std::vector{in.alice_fp, mallory_fp}, "append keeps alice's and adds the attacker's");
        break;
      case Style::Prepend:
        check(t.fingerprints == std::vector{mallory_fp, in.alice_fp}, "prepend puts the attacker's before alice's");
        break;
      case Style::Downgrade:
        check(t.fingerprints == std::vector{in.alice_fp, *in.mallory->fingerprint("sha-1")},
              "downgrade keeps alice's sha-256 and adds the attacker's sha-1 fingerprint");
        break;
      case Style::HashSwap:
        check(t.fingerprints == std::vector{*in.mallory->fingerprint("sha-1")},
              "hash-swap writes only the attacker's sha-1 fingerprint");
        break;
      case Style::Keep: check(t.fingerprints == std::vector{in.alice_fp}, "keep leaves alice's fingerprint"); break;
    }
  }
  for (auto _ : state) {
    auto out = forge(in.offer, style, in);
    benchmark::DoNotOptimize(out);
  }
}

// ----- Certificates -------------------------------------------------------

void fingerprint_sha256(benchmark::State& state) {
  const auto& cert = *g_in->mallory;
  {
    auto fp = fingerprint_of(cert.der(), "sha-256");
    check(fp.ok() && *fp == cert.fingerprint(), "fingerprint_of(der) == the certificate's");
  }
  for (auto _ : state) {
    auto fp = fingerprint_of(cert.der(), "sha-256");
    benchmark::DoNotOptimize(fp);
  }
}

// What a trust policy does per handshake: fingerprint the certificate it got
// and compare with what the SDP listed.
void fingerprint_verify(benchmark::State& state) {
  const auto& in = *g_in;
  const auto expected = in.mallory->fingerprint();
  check(*fingerprint_of(in.mallory->der(), expected.hash) == expected, "the fingerprints match");
  check(*fingerprint_of(in.mallory->der(), expected.hash) != in.alice_fp, "alice's does not");
  for (auto _ : state) {
    const bool same = *fingerprint_of(in.mallory->der(), expected.hash) == expected;
    benchmark::DoNotOptimize(same);
  }
}

void certificate_create(benchmark::State& state) {
  {
    Certificate c("bob");
    check(c.der().size() > 100 && c.fingerprint().hash == "sha-256" &&
              *fingerprint_of(c.der(), "sha-256") == c.fingerprint(),
          "a new certificate has a DER body and its own sha-256 fingerprint");
  }
  for (auto _ : state) {
    Certificate c("bob");
    benchmark::DoNotOptimize(c.der().data());
  }
}

// ----- SAS grind (sas-grind-mitm) ------------------------------------------

// One grind of `state.range(0)` tries on a held DTLS client handshake against
// a GnuTLS server, both in memory. items_per_second is tries per second: what
// decides how long a SAS of a given length holds (docs/trust.md, `sas`).
// Checked once: a grind for the server's own SAS finds it, and the server's
// exporter after the handshake is the one the try predicted.
struct GrindPair {
  MainLoop loop;
  Certificate client_cert{"mallory"}, server_cert{"alice"};
  std::unique_ptr<DtlsEndpoint> client, server;
  bool held = false;
  GrindPair() {
    DtlsOptions hold;
    hold.hold_key_exchange = true;
    server =
        std::make_unique<DtlsEndpoint>(loop, server_cert, DtlsRole::Server,
                                       DtlsCallbacks{[this](std::span<const std::uint8_t> d) { client->receive(d); },
                                                     nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr});
    client = std::make_unique<DtlsEndpoint>(
        loop, client_cert, DtlsRole::Client,
        DtlsCallbacks{[this](std::span<const std::uint8_t> d) { server->receive(d); }, nullptr, nullptr, nullptr,
                      nullptr, nullptr, nullptr, [this] { held = true; }},
        hold);
    client->start();
    loop.run_until([this] { return held; }, Clock::now() + std::chrono::seconds(5));
    check(held, "the client holds its key exchange after the server's flight");
  }
  GrindResult grind(std::uint64_t budget, const std::function<bool(const std::vector<std::uint8_t>&)>& accept) {
    std::optional<GrindResult> r;
    client->grind(kSasExporterLabel, kSasExporterBytes, accept, budget, [&](const GrindResult& g) { r = g; });
    loop.run_until([&] { return r.has_value(); }, Clock::now() + std::chrono::seconds(60));
    check(r.has_value() && r->error.empty(), "the grind ends without error");
    return *r;
  }
};

void sas_grind(benchmark::State& state) {
  {
    GrindPair p;
    std::vector<std::uint8_t> predicted;
    const auto r = p.grind(4096, [&](const std::vector<std::uint8_t>& b) {
      if (render_sas(b, 5) != "y") return false;  // a 5-bit target: about 32 tries
      predicted = b;
      return true;
    });
    check(r.found, "a 5-bit SAS is found within 4096 tries");
    p.loop.run_until([&] { return p.server->state() == DtlsEndpoint::State::Connected; },
                     Clock::now() + std::chrono::seconds(5));
    const auto got = p.server->export_keying_material(kSasExporterLabel, kSasExporterBytes);
    check(got && *got == predicted, "the server's exporter is the one the winning try predicted");
  }
  std::uint64_t tries = 0;
  for (auto _ : state) {
    state.PauseTiming();
    GrindPair p;
    state.ResumeTiming();
    tries += p.grind(static_cast<std::uint64_t>(state.range(0)), [](const auto&) { return false; }).tries;
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(tries));
}

// ----- Bad scenario files --------------------------------------------------

// Every file of tests/data/bad-scenarios loaded and refused (what `sigtrust
// run` does before exiting 2): a timing target out of the CLI tests, which
// check only the exit status, the message and bounded memory.
void scenario_load_bad(benchmark::State& state) {
  std::vector<std::string> files;
  for (const auto& e : std::filesystem::directory_iterator(SIGTRUST_SOURCE_DIR "/tests/data/bad-scenarios"))
    if (e.path().extension() == ".yaml") files.push_back(e.path().string());
  check(!files.empty(), "bad scenario files exist");
  const auto vocab = attacks::vocabulary();
  for (const auto& f : files) check(!scenario::load_file(f, vocab), "every bad scenario file is refused: " + f);
  for (auto _ : state)
    for (const auto& f : files) benchmark::DoNotOptimize(scenario::load_file(f, vocab));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * files.size()));
}

// ----- Outcome classification --------------------------------------------

SessionTruth truth(bool mitm, bool alarm, bool connected) {
  SessionTruth t;
  for (EndTruth* e : {&t.offerer, &t.answerer}) {
    e->handshake_done = connected;
    e->entered_data_phase = connected;
    e->dtls_peer_owner = connected ? (mitm ? "mallory" : (e == &t.offerer ? "bob" : "alice")) : "";
    e->intended_peer = e == &t.offerer ? "bob" : "alice";
  }
  if (alarm) t.answerer.alarms = {"fingerprint-mismatch"};
  t.attacker_read_plaintext = mitm && connected;
  return t;
}

void outcome_classify(benchmark::State& state) {
  const std::vector<std::pair<SessionTruth, Outcome>> cases = {
      {truth(false, false, true), Outcome::Secure},         {truth(true, false, true), Outcome::MitmUndetected},
      {truth(true, true, true), Outcome::MitmDetectedLate}, {truth(true, true, false), Outcome::Detected},
      {truth(false, false, false), Outcome::Failed},
  };
  for (const auto& [t, want] : cases) check(classify(t) == want, "classify gives " + std::string(to_string(want)));
  for (auto _ : state)
    for (const auto& c : cases) {
      auto o = classify(c.first);
      benchmark::DoNotOptimize(o);
    }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * cases.size()));
}

// ----- Signaling ----------------------------------------------------------

void signaling_parse(benchmark::State& state) {
  const auto& in = *g_in;
  const std::string text = serialize(SignalingMessage{SignalingMessage::Type::Offer, in.offer, {}, {}});
  {
    auto m = parse_signaling(text);
    check(m.ok() && m->type == SignalingMessage::Type::Offer && m->sdp == in.offer, "offer message parses back");
  }
  for (auto _ : state) {
    auto m = parse_signaling(text);
    benchmark::DoNotOptimize(m);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
}

// ----- Reports ------------------------------------------------------------

void result_document(benchmark::State& state) {
  const auto& in = *g_in;
  check(reports::result_document(in.runs)["summary"]["expectations_failed"] == 0, "document of passing runs");
  for (auto _ : state) {
    auto doc = reports::result_document(in.runs);
    benchmark::DoNotOptimize(doc);
  }
}

void render(benchmark::State& state, reports::Format format) {
  const auto& doc = g_in->document;
  {
    const std::string out = reports::render(format, doc);
    check(out.size() > 200, "report is not empty");
    for (const char* name : {"swap-mitm", "strip-mitm"})
      check(out.find(name) != std::string::npos, std::string("report names ") + name);
    if (format == reports::Format::Json) check(nlohmann::json::parse(out) == doc, "JSON report reads back");
  }
  for (auto _ : state) {
    auto out = reports::render(format, doc);
    benchmark::DoNotOptimize(out);
  }
}

}  // namespace

namespace {

// What the MITM bridge adds per media packet: SRTP unprotect with one leg's
// keys, RTP header parse, (optionally) Opus decode into a WAV file or VP8
// frame assembly into an IVF file, SRTP protect with the other leg's keys. The victim's own protect is done ahead,
// in batches outside the timing.
SrtpKeys bench_keys() {
  SrtpKeys k;
  k.profile = SrtpProfile::Aes128CmHmacSha1_80;
  for (std::uint8_t i = 0; i < 16; ++i)
    k.client_key.push_back(i), k.server_key.push_back(static_cast<std::uint8_t>(i + 100));
  for (std::uint8_t i = 0; i < 14; ++i)
    k.client_salt.push_back(static_cast<std::uint8_t>(i + 50)),
        k.server_salt.push_back(static_cast<std::uint8_t>(i + 150));
  return k;
}

enum class Record { None, OpusWav, Vp8Ivf };

// A victim's RTP packet `i` of `payload` bytes. Opus: one 20 ms CELT frame
// per packet. VP8: frames of 5 packets (descriptor with a 15-bit PictureID,
// S on the first, the marker on the last), one timestamp each, a key frame
// header on the first packet of every frame.
std::vector<std::uint8_t> bench_rtp(Record record, std::uint64_t n, size_t payload) {
  const bool vp8 = record == Record::Vp8Ivf;
  const bool first = n % 5 == 0, last = n % 5 == 4;
  const auto seq = static_cast<std::uint16_t>(n);
  const auto ts = static_cast<std::uint32_t>(vp8 ? (n / 5) * 3000 : n * 960);
  std::vector<std::uint8_t> p = {0x80,
                                 static_cast<std::uint8_t>(vp8 ? (last ? 0x80 | 96 : 96) : 111),
                                 static_cast<std::uint8_t>(seq >> 8),
                                 static_cast<std::uint8_t>(seq),
                                 static_cast<std::uint8_t>(ts >> 24),
                                 static_cast<std::uint8_t>(ts >> 16),
                                 static_cast<std::uint8_t>(ts >> 8),
                                 static_cast<std::uint8_t>(ts),
                                 1,
                                 2,
                                 3,
                                 4};
  if (vp8) p.insert(p.end(), {static_cast<std::uint8_t>(first ? 0x90 : 0x80), 0x80, 0x80, 0x01});
  if (vp8 && first) p.insert(p.end(), {0x50, 0x1a, 0x00, 0x9d, 0x01, 0x2a, 0x40, 0x01, 0xf0, 0x00});
  if (!vp8) p.push_back(0xF8);  // TOC: CELT fullband 20 ms
  while (p.size() < 12 + payload) p.push_back(static_cast<std::uint8_t>(p.size() * 31 + n));
  return p;
}

void media_bridge_packet(benchmark::State& state, Record record) {
  using D = SrtpContext::Direction;
  constexpr size_t kBatch = 4096;
  const size_t payload = static_cast<size_t>(state.range(0));
  auto context = [](DtlsRole role, D d) {
    auto c = SrtpContext::make(bench_keys(), role, d);
    check(c.ok(), "media: SrtpContext::make");
    return std::move(*c);
  };
  auto victim_out = context(DtlsRole::Client, D::Outbound);
  auto in = context(DtlsRole::Server, D::Inbound);
  auto out = context(DtlsRole::Client, D::Outbound);
  std::unique_ptr<attacks::OpusWavRecorder> opus;
  std::unique_ptr<attacks::Vp8IvfRecorder> vp8;
  if (record == Record::OpusWav) {
    auto r = attacks::OpusWavRecorder::open("/dev/null");
    check(r.ok(), "media: OpusWavRecorder::open");
    opus = std::move(*r);
  } else if (record == Record::Vp8Ivf) {
    auto r = attacks::Vp8IvfRecorder::open("/dev/null");
    check(r.ok(), "media: Vp8IvfRecorder::open");
    vp8 = std::move(*r);
  }
  std::uint64_t n = 0;  // packets made so far
  std::vector<std::vector<std::uint8_t>> batch;
  auto refill = [&] {
    batch.clear();
    for (size_t i = 0; i < kBatch; ++i, ++n) {
      auto p = bench_rtp(record, n, payload);
      check(victim_out.protect(p, false), "media: victim protect");
      batch.push_back(std::move(p));
    }
  };
  refill();
  size_t next = 0, forwarded = 0;
  for (auto _ : state) {
    if (next == batch.size()) {
      state.PauseTiming();
      refill();
      next = 0;
      state.ResumeTiming();
    }
    auto& p = batch[next++];
    if (!in.unprotect(p, false)) continue;
    const auto h = parse_rtp(p);
    if (!h) continue;
    const auto body = std::span(p).subspan(h->header_size, h->payload_size);
    if (opus) opus->add(body);
    if (vp8 && !vp8->add(h->sequence, h->timestamp, h->marker, body)) check(!h->marker, "media: VP8 frame whole");
    if (out.protect(p, false)) ++forwarded;
    benchmark::DoNotOptimize(p.data());
  }
  check(forwarded == static_cast<size_t>(state.iterations()), "media: every packet unprotected and re-protected");
  if (vp8) check(vp8->malformed() == 0 && vp8->dropped() == 0, "media: every VP8 frame written");
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;
  Inputs in = make_inputs();
  g_in = &in;
  std::fprintf(stderr, "inputs: offer %zu bytes, result document of %zu runs (%zu bytes as JSON)\n", in.offer.size(),
               in.runs.size(), in.document.dump().size());

  benchmark::RegisterBenchmark("sdp/parse", sdp_parse);
  benchmark::RegisterBenchmark("sdp/parse+transport_info", sdp_parse_transport_info);
  benchmark::RegisterBenchmark("sdp/write", sdp_write);
  benchmark::RegisterBenchmark("sdp/rewrite/swap", sdp_rewrite, Style::Swap);
  benchmark::RegisterBenchmark("sdp/rewrite/strip", sdp_rewrite, Style::Strip);
  benchmark::RegisterBenchmark("sdp/rewrite/append", sdp_rewrite, Style::Append);
  benchmark::RegisterBenchmark("sdp/rewrite/downgrade-sha1", sdp_rewrite, Style::Downgrade);
  benchmark::RegisterBenchmark("sdp/rewrite/hash-swap-sha1", sdp_rewrite, Style::HashSwap);
  benchmark::RegisterBenchmark("media/bridge-packet", media_bridge_packet, Record::None)->Arg(160)->Arg(1000);
  benchmark::RegisterBenchmark("media/bridge-packet+opus-wav", media_bridge_packet, Record::OpusWav)->Arg(160);
  benchmark::RegisterBenchmark("media/bridge-packet+vp8-ivf", media_bridge_packet, Record::Vp8Ivf)->Arg(1000);
  benchmark::RegisterBenchmark("certificate/fingerprint-sha256", fingerprint_sha256);
  benchmark::RegisterBenchmark("certificate/fingerprint-verify", fingerprint_verify);
  benchmark::RegisterBenchmark("certificate/create", certificate_create)->Unit(benchmark::kMicrosecond);
  benchmark::RegisterBenchmark("scenario/load-bad-files", scenario_load_bad)->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("sas/grind-tries", sas_grind)->Arg(64)->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("outcome/classify-x5", outcome_classify);
  benchmark::RegisterBenchmark("signaling/parse-offer", signaling_parse);
  benchmark::RegisterBenchmark("report/result_document", result_document)->Unit(benchmark::kMicrosecond);
  for (const auto& [name, format] :
       std::vector<std::pair<const char*, reports::Format>>{{"report/json", reports::Format::Json},
                                                            {"report/terminal", reports::Format::Terminal},
                                                            {"report/markdown", reports::Format::Markdown},
                                                            {"report/html", reports::Format::Html},
                                                            {"report/junit", reports::Format::Junit},
                                                            {"report/sarif", reports::Format::Sarif}})
    benchmark::RegisterBenchmark(name, render, format)->Unit(benchmark::kMicrosecond);

  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  g_in = nullptr;
  return 0;
}

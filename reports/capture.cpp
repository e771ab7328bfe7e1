#include "reports/capture.hpp"

#include <pcap/pcap.h>
#include <poll.h>

#include <atomic>
#include <map>
#include <mutex>
#include <thread>

#include "core/c_entry.hpp"
#include "core/c_ptr.hpp"

namespace sigtrust::reports {
namespace {

// RAII for libpcap handles (docs/architecture.md, convention 3).
using PcapHandle = CPtr<pcap_t, pcap_close>;
using DumperHandle = CPtr<pcap_dumper_t, pcap_dump_close>;

constexpr int kSnapLen = 262144;

// libpcap's checker (docs/architecture.md, convention 4): turns a status into a message with
// libpcap's own text and what was being attempted; "" when fine. Warnings
// (positive statuses) are not failures.
std::string check(int status, pcap_t* p, const std::string& what) {
  if (status >= 0) return "";
  std::string detail = status == PCAP_ERROR ? pcap_geterr(p) : pcap_statustostr(status);
  if (status == PCAP_ERROR_PERM_DENIED) detail += " (capturing needs root or CAP_NET_RAW)";
  return what + ": " + detail;
}

}  // namespace

struct Capture::Impl {
  std::string path, interface;
  std::mutex mu;  // guards dead, dumper, sessions
  PcapHandle dead;  // link type and snap length of the file
  DumperHandle dumper;
  std::atomic<std::uint64_t> packets{0};

  struct Session {
    PcapHandle live;
    std::atomic<bool> stop{false};
    std::thread reader;
  };
  std::map<std::string, std::unique_ptr<Session>> sessions;

  static void on_packet(u_char* user, const pcap_pkthdr* header, const u_char* bytes) {
    c_entry("libpcap's packet handler", [&] {
      auto* self = reinterpret_cast<Impl*>(user);
      std::lock_guard lock(self->mu);
      pcap_dump(reinterpret_cast<u_char*>(self->dumper.get()), header, bytes);
      ++self->packets;
    });
  }

  // Reads until told to stop, then takes what is left in the buffer.
  void read(Session& s) {
    pollfd pfd{pcap_get_selectable_fd(s.live.get()), POLLIN, 0};
    while (!s.stop.load()) {
      if (pfd.fd >= 0) ::poll(&pfd, 1, 20);
      if (pcap_dispatch(s.live.get(), -1, &Impl::on_packet, reinterpret_cast<u_char*>(this)) < 0) break;
    }
    while (pcap_dispatch(s.live.get(), -1, &Impl::on_packet, reinterpret_cast<u_char*>(this)) > 0) {}
  }

  void finish(std::unique_ptr<Session> s) {
    s->stop = true;
    if (s->reader.joinable()) s->reader.join();
    std::lock_guard lock(mu);
    if (dumper) pcap_dump_flush(dumper.get());
  }
};

Capture::Capture(std::string path, std::string interface) : impl_(std::make_unique<Impl>()) {
  impl_->path = std::move(path);
  impl_->interface = std::move(interface);
}

Capture::~Capture() {
  std::map<std::string, std::unique_ptr<Impl::Session>> left;
  {
    std::lock_guard lock(impl_->mu);
    left.swap(impl_->sessions);
  }
  for (auto& [network, s] : left) impl_->finish(std::move(s));
}

std::string Capture::start(const std::string& network) {
  char errbuf[PCAP_ERRBUF_SIZE] = {};
  PcapHandle live(pcap_create(impl_->interface.c_str(), errbuf));
  if (!live) return "cannot capture on " + impl_->interface + ": " + errbuf;
  // Immediate mode: packets are handed over as they arrive, not when a
  // buffer fills, so stopping after a short drain loses nothing.
  pcap_set_snaplen(live.get(), kSnapLen);
  pcap_set_immediate_mode(live.get(), 1);
  pcap_set_buffer_size(live.get(), 8 << 20);
  if (auto e = check(pcap_activate(live.get()), live.get(), "cannot capture on " + impl_->interface); !e.empty())
    return e;
  bpf_program filter{};
  const std::string expression = "net " + network;
  if (auto e = check(pcap_compile(live.get(), &filter, expression.c_str(), 1, PCAP_NETMASK_UNKNOWN), live.get(),
                     "bad capture filter '" + expression + "'");
      !e.empty())
    return e;
  const int set = pcap_setfilter(live.get(), &filter);
  pcap_freecode(&filter);
  if (auto e = check(set, live.get(), "cannot set capture filter '" + expression + "'"); !e.empty()) return e;
  if (pcap_setnonblock(live.get(), 1, errbuf) < 0)
    return std::string("cannot make the capture non-blocking: ") + errbuf;

  std::lock_guard lock(impl_->mu);
  if (impl_->sessions.count(network)) return "already capturing " + network;
  if (!impl_->dumper) {
    impl_->dead.reset(pcap_open_dead(pcap_datalink(live.get()), kSnapLen));
    if (!impl_->dead) return "cannot prepare " + impl_->path;
    impl_->dumper.reset(pcap_dump_open(impl_->dead.get(), impl_->path.c_str()));
    if (!impl_->dumper) return "cannot write " + impl_->path + ": " + pcap_geterr(impl_->dead.get());
  } else if (pcap_datalink(live.get()) != pcap_datalink(impl_->dead.get())) {
    return "link type of " + impl_->interface + " differs from the one " + impl_->path + " was opened with";
  }
  auto s = std::make_unique<Impl::Session>();
  s->live = std::move(live);
  Impl::Session& ref = *s;
  s->reader = std::thread([this, &ref] { impl_->read(ref); });
  impl_->sessions.emplace(network, std::move(s));
  return "";
}

void Capture::stop(const std::string& network, std::chrono::milliseconds drain) {
  std::this_thread::sleep_for(drain);
  std::unique_ptr<Impl::Session> s;
  {
    std::lock_guard lock(impl_->mu);
    auto it = impl_->sessions.find(network);
    if (it == impl_->sessions.end()) return;
    s = std::move(it->second);
    impl_->sessions.erase(it);
  }
  impl_->finish(std::move(s));
}

const std::string& Capture::path() const { return impl_->path; }

bool Capture::opened() const {
  std::lock_guard lock(impl_->mu);
  return impl_->dumper != nullptr;
}

std::uint64_t Capture::packets() const { return impl_->packets.load(); }

}  // namespace sigtrust::reports

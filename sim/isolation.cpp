#include "sim/isolation.hpp"

#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <set>

namespace sigtrust {
namespace {

bool write_file(const char* path, const std::string& text) {
  const int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return false;
  const bool ok = write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  close(fd);
  return ok;
}

std::string errno_text(const char* what) { return std::string(what) + ": " + std::strerror(errno); }

}  // namespace

IsolationResult enter_private_network() {
  const uid_t uid = getuid();
  const gid_t gid = getgid();
  if (unshare(CLONE_NEWUSER | CLONE_NEWNET) != 0) return {false, errno_text("unshare(CLONE_NEWUSER|CLONE_NEWNET)")};
  // Map ourselves to root inside the namespace, so we may configure its lo
  // (user_namespaces(7): setgroups must be denied before an unprivileged gid_map).
  write_file("/proc/self/setgroups", "deny");
  if (!write_file("/proc/self/uid_map", "0 " + std::to_string(uid) + " 1\n"))
    return {false, errno_text("writing uid_map")};
  if (!write_file("/proc/self/gid_map", "0 " + std::to_string(gid) + " 1\n"))
    return {false, errno_text("writing gid_map")};
  const int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return {false, errno_text("socket")};
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
  bool up = ioctl(fd, SIOCGIFFLAGS, &ifr) == 0;
  if (up) {
    ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP);
    up = ioctl(fd, SIOCSIFFLAGS, &ifr) == 0;
  }
  const std::string why = up ? "" : errno_text("bringing lo up");
  close(fd);
  // A namespace without a working lo is worse than none, but we cannot go
  // back: report it, and the runs will fail visibly as simulator errors.
  return {up, why};
}

std::string visible_interfaces() {
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return "";
  std::set<std::string> names;
  for (ifaddrs* i = list; i; i = i->ifa_next) names.insert(i->ifa_name);
  freeifaddrs(list);
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ",") + n;
  return out;
}

}  // namespace sigtrust

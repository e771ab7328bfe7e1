// `sigtrust relay` as a process: what it refuses (exit 2), the demo page it
// serves, and how it ends (SIGTERM or --duration) with a result document.
// Real browsers through it: tests/browser/live_relay.test.mjs (PeerJS: tests/peerjs/).
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <regex>

#include <nlohmann/json.hpp>

#include "run_helpers.hpp"

namespace sigtrust {
namespace {

namespace fs = std::filesystem;

struct Relay {
  pid_t pid = -1;
  int out = -1;  // its stdout
  int port = 0;
};

// Starts `sigtrust relay --listen 127.0.0.1:0 ARGS...` and reads the port it printed.
Relay start_relay(std::vector<std::string> args) {
  int fds[2];
  if (pipe(fds) != 0) return {};
  args.insert(args.begin(), {SIGTRUST_BINARY, "relay", "--listen", "127.0.0.1:0"});
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(fds[1], STDOUT_FILENO);
    close(fds[0]);
    close(fds[1]);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(fds[1]);
  Relay r{pid, fds[0], 0};
  std::string text;
  std::array<char, 512> buf{};
  const std::regex url(R"(http://127\.0\.0\.1:(\d+)/)");
  std::smatch m;
  while (!std::regex_search(text, m, url)) {
    const ssize_t n = read(r.out, buf.data(), buf.size());
    if (n <= 0) return r;
    text.append(buf.data(), static_cast<size_t>(n));
  }
  r.port = std::stoi(m[1]);
  return r;
}

int wait_exit(const Relay& r) {
  int st = 0;
  waitpid(r.pid, &st, 0);
  close(r.out);
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

// One HTTP/1.1 request over a plain socket; returns the whole response.
std::string http(int port, const std::string& request) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string response;
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
      write(fd, request.data(), request.size()) == static_cast<ssize_t>(request.size())) {
    std::array<char, 4096> buf{};
    ssize_t n;
    while ((n = read(fd, buf.data(), buf.size())) > 0) response.append(buf.data(), static_cast<size_t>(n));
  }
  close(fd);
  return response;
}

std::string get(int port, const std::string& path) {
  return http(port, "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
}

int relay_status(const std::string& args, std::string* err) {
  const fs::path err_file = fs::temp_directory_path() / ("sigtrust-relay-" + std::to_string(getpid()) + ".err");
  const int st =
      std::system((std::string(SIGTRUST_BINARY) + " relay " + args + " >/dev/null 2>" + err_file.string()).c_str());
  *err = testing::read_text(err_file.string());
  fs::remove(err_file);
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

TEST(RelayCommand, RefusesWhatItCannotServeWithExitTwo) {
  const std::pair<const char*, const char*> cases[] = {
      {"--listen 0.0.0.0:8765", "loopback only"},
      {"--listen 192.168.1.10:8765", "loopback only"},
      {"--listen ::1:8765", "loopback only"},
      {"--listen 127.0.0.1", "HOST:PORT"},
      {"--listen 127.0.0.1:70000", "is not a port"},
      {"--listen 127.0.0.1:12ab", "is not a port"},
      {"--attack no-such-attack", "unknown attack 'no-such-attack'"},
      {"--attack turn-mitm", "turn position"},
      {"--attack stun-lie", "stun position"},
      {"--attack sdp-rules", "takes its rules from a scenario file"},
      {"--rewrite nothing-to-replace", "FROM=TO"},
      {"--duration -1", "--duration"},
      {"--no-such-flag", "unrecognised option"},
  };
  for (const auto& [args, says] : cases) {
    std::string err;
    EXPECT_EQ(relay_status(args, &err), 2) << args;
    EXPECT_NE(err.find(says), std::string::npos) << args << ": " << err;
  }
}

TEST(RelayCommand, ServesTheDemoPageAtTheRootAndNothingElse) {
  const Relay r = start_relay({});
  ASSERT_GT(r.port, 0);
  const std::string page = get(r.port, "/");
  EXPECT_NE(page.find("HTTP/1.1 200"), std::string::npos) << page.substr(0, 200);
  EXPECT_NE(page.find("text/html"), std::string::npos);
  EXPECT_NE(page.find("getStats"), std::string::npos) << "the demo page reads the certificate its browser saw";
  EXPECT_NE(page.find("short authentication string"), std::string::npos);
  EXPECT_NE(get(r.port, "/some-room").find("HTTP/1.1 404"), std::string::npos);
  EXPECT_NE(get(r.port, "/favicon.ico").find("HTTP/1.1 204"), std::string::npos);
  EXPECT_NE(
      http(r.port, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n").find("HTTP/1.1 405"),
      std::string::npos);
  kill(r.pid, SIGTERM);
  EXPECT_EQ(wait_exit(r), 0);
}

TEST(RelayCommand, WritesTheResultDocumentWhenStoppedBySignal) {
  const fs::path json = fs::temp_directory_path() / ("sigtrust-relay-" + std::to_string(getpid()) + ".json");
  const fs::path dir = fs::temp_directory_path() / ("sigtrust-relay-reports-" + std::to_string(getpid()));
  const Relay r = start_relay({"--attack", "swap-mitm", "--json", json.string(), "--report-dir", dir.string(), "-q"});
  ASSERT_GT(r.port, 0);
  kill(r.pid, SIGINT);
  EXPECT_EQ(wait_exit(r), 0);
  const auto doc = nlohmann::json::parse(testing::read_text(json.string()));
  ASSERT_EQ(doc["runs"].size(), 1u);
  EXPECT_EQ(doc["runs"][0]["scenario"], "live-relay");
  EXPECT_EQ(doc["runs"][0]["attack"], "swap-mitm");
  EXPECT_TRUE(doc["runs"][0]["sessions"].empty());
  for (const char* f : {"result.json", "report.html", "report.md", "junit.xml", "results.sarif"})
    EXPECT_TRUE(fs::exists(dir / f)) << f;
  fs::remove(json);
  fs::remove_all(dir);
}

TEST(RelayCommand, EndsByItselfAtItsDeadline) {
  const Relay r = start_relay({"--duration", "0.3", "-q"});
  ASSERT_GT(r.port, 0);
  EXPECT_EQ(wait_exit(r), 0);
}

// `relay --protocol peerjs` and `sigtrust proxy` (browsers through them: tests/peerjs/): what they refuse.
TEST(RelayCommand, PeerJsAndProxyRefuseWhatTheyCannotServeWithExitTwo) {
  const std::pair<const char*, const char*> relay_cases[] = {
      {"--protocol xmpp", "sigtrust or peerjs"},
      {"--peerjs-script /etc/hostname", "--peerjs-script goes with --protocol peerjs"},
      {"--protocol peerjs --peerjs-script /nonexistent/peerjs.min.js", "cannot read"},
  };
  for (const auto& [args, says] : relay_cases) {
    std::string err;
    EXPECT_EQ(relay_status(args, &err), 2) << args;
    EXPECT_NE(err.find(says), std::string::npos) << args << ": " << err;
  }
  const std::pair<const char*, const char*> proxy_cases[] = {
      {"", "--upstream URL is required"},
      {"--upstream http://10.0.0.1:9000", "loopback only"},
      {"--upstream http://localhost:9000", "loopback only"},
      {"--upstream ftp://127.0.0.1:9000", "http:// or ws://"},
      {"--upstream http://127.0.0.1:9000/app", "without a path"},
      {"--upstream http://127.0.0.1", "with a port"},
      {"--upstream http://127.0.0.1:9000 --listen 0.0.0.0:0", "loopback only"},
      {"--upstream http://127.0.0.1:9000 --protocol json", "needs --sdp-path"},
      {"--upstream http://127.0.0.1:9000 --protocol json --sdp-path body/sdp", "starts with '/'"},
      {"--upstream http://127.0.0.1:9000 --protocol json --sdp-path /a/~2", "not a JSON Pointer"},
      {"--upstream http://127.0.0.1:9000 --sdp-path /sdp", "go with --protocol json"},
      {"--upstream http://127.0.0.1:9000 --protocol xmpp", "peerjs or json"},
      {"--upstream http://127.0.0.1:9000 --attack turn-mitm", "turn position"},
  };
  const fs::path err_file = fs::temp_directory_path() / ("sigtrust-proxy-" + std::to_string(getpid()) + ".err");
  for (const auto& [args, says] : proxy_cases) {
    const int st =
        std::system((std::string(SIGTRUST_BINARY) + " proxy " + args + " >/dev/null 2>" + err_file.string()).c_str());
    const std::string err = testing::read_text(err_file.string());
    EXPECT_EQ(WIFEXITED(st) ? WEXITSTATUS(st) : -1, 2) << args;
    EXPECT_NE(err.find(says), std::string::npos) << args << ": " << err;
  }
  fs::remove(err_file);
}

// The PeerServer's HTTP side as peerjs 1.5 uses it, and the wallet page.
TEST(RelayCommand, PeerJsServesIdsTheWalletPageAndRefusesAnotherKey) {
  const Relay r = start_relay({"--protocol", "peerjs", "--peerjs-script", SIGTRUST_SOURCE_DIR "/web/wallet.html"});
  ASSERT_GT(r.port, 0);
  const std::string id = get(r.port, "/peerjs/id?ts=123");
  EXPECT_NE(id.find("HTTP/1.1 200"), std::string::npos) << id.substr(0, 200);
  EXPECT_TRUE(
      std::regex_search(id, std::regex("\r\n\r\n[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")))
      << id;
  const std::string other = get(r.port, "/otherkey/id");
  EXPECT_NE(other.find("HTTP/1.1 401"), std::string::npos) << other.substr(0, 200);
  EXPECT_NE(other.find("Invalid key provided"), std::string::npos);
  const std::string page = get(r.port, "/");
  EXPECT_NE(page.find("2-of-2 wallet"), std::string::npos);
  EXPECT_NE(page.find("getStats"), std::string::npos) << "the page reads the certificate its browser authenticated";
  EXPECT_NE(get(r.port, "/sigtrust/peerjs.min.js").find("HTTP/1.1 200"), std::string::npos);
  const std::string bad = http(r.port,
                               "POST /sigtrust/report HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                               "Content-Length: 8\r\nConnection: close\r\n\r\nnot json");
  EXPECT_NE(bad.find("HTTP/1.1 400"), std::string::npos) << bad.substr(0, 200);
  // A report body over the 64 KiB message limit is refused from its headers, before it is read.
  const std::string huge = http(r.port,
                                "POST /sigtrust/report HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                                "Content-Length: 1073741824\r\nConnection: close\r\n\r\n{");
  EXPECT_NE(huge.find("HTTP/1.1 413"), std::string::npos) << huge.substr(0, 200);
  const std::string chunked = http(r.port,
                                   "POST /sigtrust/report HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                                   "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n1\r\n{\r\n");
  EXPECT_NE(chunked.find("HTTP/1.1 413"), std::string::npos) << chunked.substr(0, 200);
  EXPECT_NE(get(r.port, "/peerjs/id").find("HTTP/1.1 200"), std::string::npos) << "still serving";
  kill(r.pid, SIGTERM);
  EXPECT_EQ(wait_exit(r), 0);
}

}  // namespace
}  // namespace sigtrust

// `sigtrust interop`: real WebRTC stacks (interop/<stack>/ adapters, listed in
// interop/stacks.yaml) against each other through `sigtrust relay` under each
// signaling attack, every cell judged by the relay's live-session judging and
// checked against scenarios/interop/expected.yaml.
#pragma once

#include <atomic>
#include <string>
#include <vector>

namespace sigtrust::cli {

int interop_command(const std::vector<std::string>& args, const std::atomic<bool>* stop);

}  // namespace sigtrust::cli

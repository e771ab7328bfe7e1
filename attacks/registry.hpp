// The one explicit registry of attack plug-ins, by stable name (docs/architecture.md).
// Each declares its parameters once; the scenario loader, `sigtrust list
// attacks` and the docs read the declarations.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "sim/attack.hpp"
#include "core/params.hpp"

namespace sigtrust::attacks {

struct AttackPlugin {
  AttackDecl decl;
  std::function<std::unique_ptr<Attack>(AttackWorld&)> make;  // null for "none"
};

const std::vector<AttackPlugin>& registry();

// Null if the name is unknown.
std::unique_ptr<Attack> make_attack(const std::string& name, AttackWorld& world);

// Everything a scenario may name: attacks from the registry, trust
// configurations from the sim library.
Vocabulary vocabulary();

}  // namespace sigtrust::attacks

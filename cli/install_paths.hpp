// Where the `sigtrust` binary finds its data: the scenario catalogue and the
// matrix expectations. An installed binary (PREFIX/bin/sigtrust) reads
// PREFIX/share/sigtrust/scenarios; the binary in a build tree reads the
// source tree's scenarios/; SIGTRUST_SCENARIOS overrides both.
#pragma once

#include <string>

namespace sigtrust::cli {

// The scenario catalogue directory.
std::string catalogue_dir();

// The matrix expectations file: catalogue_dir()/matrix/expected.yaml.
std::string matrix_expectations_path();

}  // namespace sigtrust::cli

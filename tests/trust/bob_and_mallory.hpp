// The trust tests' two parties, with real certificates made once per suite:
// `bob` is the peer alice means to talk to, `mallory` an attacker.
#pragma once

#include <gtest/gtest.h>

#include "net/certificate.hpp"

namespace sigtrust::testing_support {

class BobAndMallory : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    bob_ = new Certificate("bob");
    mallory_ = new Certificate("mallory");
  }
  static void TearDownTestSuite() {
    delete bob_;
    delete mallory_;
    bob_ = mallory_ = nullptr;
  }
  inline static Certificate* bob_ = nullptr;
  inline static Certificate* mallory_ = nullptr;
};

}  // namespace sigtrust::testing_support

// JUnit XML (the Apache Ant format CI systems read): a test suite per run, a
// test case per session expectation (classname = scenario, name = "offerer->
// answerer [attack / trust]"), a failure carrying expected vs got and the
// alarms, an error when the simulator failed. Validates against the Ant JUnit
// schema kept in tests/data/junit/JUnit.xsd.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

namespace sigtrust::reports {

std::string junit_report(const nlohmann::json& doc);

}  // namespace sigtrust::reports

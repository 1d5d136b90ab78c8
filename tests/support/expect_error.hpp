// Runs an action that must throw an espfab error of type E with the given code and a hint; returns
// the error for further checks. Any other outcome fails the test.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <stdexcept>
#include <string>

#include "util/error.hpp"

namespace espfab::test {

template <typename E>
E expect_error(const std::function<void()>& action, const std::string& code) {
  try {
    action();
  } catch (const E& e) {
    EXPECT_EQ(e.code(), code) << e.what();
    EXPECT_FALSE(e.hint().empty()) << e.what();
    return e;
  } catch (const Error& e) {
    ADD_FAILURE() << "expected " << code << ", got " << e.code() << ": " << e.what();
    throw;
  }
  ADD_FAILURE() << "expected " << code << ", nothing thrown";
  throw std::runtime_error("no error");
}

}  // namespace espfab::test

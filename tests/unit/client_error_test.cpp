// client/error: a node's "CODE: message" split into a code a program switches on and a message.
#include "client/error.hpp"

#include <catch2/catch.hpp>

using tagd::client::error_from_description;

TEST_CASE("client error codes are parsed from a description") {
  auto e = error_from_description("remote exception: NOT_FOUND: no group 'x'", "INTERNAL");
  CHECK(e.code() == "NOT_FOUND");
  CHECK(e.message() == "no group 'x'");
  CHECK(std::string(e.what()) == "NOT_FOUND: no group 'x'");
  e = error_from_description("INVALID_EXPRESSION: column 9: expected a value", "INTERNAL");
  CHECK(e.code() == "INVALID_EXPRESSION");
  CHECK(e.message() == "column 9: expected a value");
  e = error_from_description("connect(): Connection refused", "DISCONNECTED");
  CHECK(e.code() == "DISCONNECTED");
  CHECK(e.message() == "connect(): Connection refused");
  CHECK(error_from_description("A: one letter is no code", "INTERNAL").code() == "INTERNAL");
  CHECK(error_from_description("Not upper: x", "INTERNAL").code() == "INTERNAL");
}

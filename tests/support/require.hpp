#pragma once
// Catch2 checks for tagd's status and result<T> values that print the error on failure.

#include "shards/status.hpp"

#include <catch2/catch.hpp>

#define REQUIRE_OK(expr)                                                                           \
  do {                                                                                             \
    auto&& require_ok_ = (expr);                                                                   \
    INFO((require_ok_.is_ok() ? std::string("ok") : require_ok_.error().to_string()));             \
    REQUIRE(require_ok_.is_ok());                                                                  \
  } while (0)

#define REQUIRE_STATUS_OK(expr)                                                                    \
  do {                                                                                             \
    ::tagd::status require_status_ = (expr);                                                       \
    INFO(require_status_.to_string());                                                             \
    REQUIRE(require_status_.is_ok());                                                              \
  } while (0)

#pragma once
// tagctl's subcommands: one entry each, with its arguments, options, help and what it runs.

#include "client/tagctl_support.hpp"

#include <cstddef>
#include <vector>

namespace tagd::tagctl {

struct command {
  const char* name;
  const char* arguments; // for the usage line, e.g. "TABLE LABEL FILE..."
  size_t min_args;
  size_t max_args;
  const char* summary;
  const char* details; // more help, may be empty
  void (*add_options)(po::options_description& options);
  int (*run)(invocation& call);
};

const std::vector<command>& commands();

} // namespace tagd::tagctl

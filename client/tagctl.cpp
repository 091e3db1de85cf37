// tagctl: the command-line client of a tagd node (docs/client.md).
//   tagctl [--connect HOST:PORT] [--deadline-ms N] [--json] COMMAND [ARGS...] [OPTIONS]
// Exit status: 0 success; 1 an error from the node or a local file, printed on stderr as
// "error: CODE: message"; 2 a usage error ("error: INVALID_ARGUMENT: ...").

#include "client/tagctl_commands.hpp"

#include <cstdlib>
#include <iostream>

namespace tagd::tagctl {

namespace {

constexpr const char* global_help =
    "global options (anywhere on the line):\n"
    "  -c, --connect HOST:PORT  the node (default: $TAGD_CONNECT, else 127.0.0.1:7411)\n"
    "  --deadline-ms N          deadline of each query on the node; tagctl itself gives up\n"
    "                           5 s after it\n"
    "  --json                   print JSON instead of readable tables\n"
    "  -h, --help               this help; 'tagctl COMMAND --help' for a command's\n";

void print_help(std::ostream& out) {
  out << "usage: tagctl [global options] COMMAND [ARGS...] [options]\n\n"
         "The command-line client of a tagd node.\n\ncommands:\n";
  for (const auto& c : commands()) {
    std::string name = c.name;
    out << "  " << name << std::string(name.size() < 18 ? 18 - name.size() : 1, ' ') << c.summary
        << "\n";
  }
  out << "\n"
      << global_help
      << "\nexit status: 0 success; 1 an error from the node or a file, printed as\n"
         "'error: CODE: message'; 2 a usage error.\n";
}

po::options_description options_of(const command& c) {
  po::options_description options("options");
  c.add_options(options);
  return options;
}

void print_help(const command& c) {
  std::cout << "usage: tagctl [global options] " << c.name
            << (*c.arguments ? std::string(" ") + c.arguments : "") << " [options]\n\n"
            << c.summary << "\n";
  if (*c.details)
    std::cout << "\n" << c.details;
  auto options = options_of(c);
  if (!options.options().empty())
    std::cout << "\n" << options;
  std::cout << "\n" << global_help;
}

const command* find_command(const std::string& name) {
  for (const auto& c : commands())
    if (name == c.name)
      return &c;
  return nullptr;
}

// Takes the value of a global option: "--name=value" or "--name value".
bool take_value(const std::string& arg, const char* name, const char* short_name, int& i, int argc,
                char** argv, std::string& value) {
  std::string prefix = std::string(name) + "=";
  if (arg.compare(0, prefix.size(), prefix) == 0) {
    value = arg.substr(prefix.size());
    return true;
  }
  if (arg != name && (short_name == nullptr || arg != short_name))
    return false;
  if (i + 1 >= argc)
    throw usage_error(std::string(name) + " needs a value");
  value = argv[++i];
  return true;
}

uint32_t parse_deadline(const std::string& text) {
  char* end = nullptr;
  unsigned long value = std::strtoul(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || text[0] == '-' || value > 0xffffffffUL)
    throw usage_error("--deadline-ms '" + text + "': expected milliseconds");
  return static_cast<uint32_t>(value);
}

int run(int argc, char** argv, const command*& chosen) {
  global_options globals;
  if (const char* address = std::getenv("TAGD_CONNECT"); address && *address)
    globals.address = address;
  bool help = false;
  bool options_ended = false;
  std::vector<std::string> rest;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    std::string value;
    if (options_ended) {
      rest.push_back(arg);
    } else if (arg == "--") {
      options_ended = true;
      rest.push_back(arg);
    } else if (take_value(arg, "--connect", "-c", i, argc, argv, value)) {
      globals.address = value;
    } else if (take_value(arg, "--deadline-ms", nullptr, i, argc, argv, value)) {
      globals.deadline_ms = parse_deadline(value);
    } else if (arg == "--json") {
      globals.json = true;
    } else if (arg == "--help" || arg == "-h") {
      help = true;
    } else if (chosen == nullptr && !arg.empty() && arg[0] != '-') {
      if (arg == "help") {
        help = true;
        continue;
      }
      chosen = find_command(arg);
      if (chosen == nullptr)
        throw usage_error("unknown command '" + arg + "' (see 'tagctl --help')");
    } else {
      rest.push_back(arg);
    }
  }
  if (chosen == nullptr) {
    print_help(help ? std::cout : std::cerr);
    return help ? 0 : 2;
  }
  if (help) {
    print_help(*chosen);
    return 0;
  }

  po::options_description all = options_of(*chosen);
  all.add_options()("args", po::value<std::vector<std::string>>());
  po::positional_options_description positional;
  positional.add("args", -1);
  po::variables_map options;
  try {
    po::store(
        po::command_line_parser(rest)
            .options(all)
            .positional(positional)
            .style(po::command_line_style::unix_style ^ po::command_line_style::allow_guessing)
            .run(),
        options);
    po::notify(options);
  } catch (const po::error& e) {
    throw usage_error(e.what());
  }
  std::vector<std::string> args;
  if (options.count("args"))
    args = options["args"].as<std::vector<std::string>>();
  if (args.size() < chosen->min_args || args.size() > chosen->max_args)
    throw usage_error(std::string(chosen->name) + " takes " +
                      (*chosen->arguments ? chosen->arguments : std::string("no arguments")) +
                      ", not " + std::to_string(args.size()) + " argument" +
                      (args.size() == 1 ? "" : "s"));
  invocation call(globals, std::move(options), std::move(args));
  return chosen->run(call);
}

} // namespace

} // namespace tagd::tagctl

int main(int argc, char** argv) {
  using namespace tagd;
  const tagctl::command* chosen = nullptr;
  try {
    return tagctl::run(argc, argv, chosen);
  } catch (const tagctl::usage_error& e) {
    std::cerr << "error: INVALID_ARGUMENT: " << e.what();
    if (chosen != nullptr)
      std::cerr << " (see 'tagctl " << chosen->name << " --help')";
    std::cerr << "\n";
    return 2;
  } catch (const client::error& e) {
    std::cerr << "error: " << e.code() << ": " << e.message() << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "error: INTERNAL: " << e.what() << "\n";
    return 1;
  }
}

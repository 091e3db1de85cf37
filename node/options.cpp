#include "node/options.hpp"

#include <boost/program_options.hpp>

#include <fstream>
#include <iostream>
#include <stdexcept>

namespace tagd::node {

namespace po = boost::program_options;

std::optional<node_options> parse_options(int argc, char** argv) {
  node_options o;
  std::string config_file;
  po::options_description general("tagd — a node of the tagd audience engine.\n\nOptions");
  general.add_options()                         //
      ("help,h", "print this help and exit")    //
      ("version", "print the version and exit") //
      ("config", po::value(&config_file), "INI file with any of the options below (name = value)");
  po::options_description settings("Settings (command line or config file)");
  settings.add_options()                                                                //
      ("data-dir", po::value(&o.data_dir)->default_value(o.data_dir), "data directory") //
      ("listen", po::value(&o.listen)->default_value(o.listen),
       "RPC address host:port (port 0: any free port)") //
      ("vshards", po::value(&o.vshards)->default_value(o.vshards),
       "vshard count of a new data directory (a power of two; 0: sized from --expected-keys); "
       "must match an existing directory") //
      ("expected-keys", po::value(&o.expected_keys)->default_value(o.expected_keys),
       "keys expected in the largest entity type, to size a new data directory (about 128 k "
       "keys per vshard)") //
      ("deadline-ms", po::value(&o.deadline_ms)->default_value(o.deadline_ms),
       "default request deadline in milliseconds")                                            //
      ("threads", po::value(&o.threads)->default_value(o.threads), "actor scheduler threads") //
      ("scheduler", po::value(&o.scheduler)->default_value(o.scheduler),
       "actor scheduler policy: sharing (one queue; an idle worker wakes for every new job, so "
       "a fan-out runs on every worker) or stealing (a queue per worker; lower latency for a "
       "single key, but an idle worker may sleep through a fan-out)") //
      ("log-level", po::value(&o.log_level)->default_value(o.log_level),
       "trace, debug, info, warn, error or off")                                           //
      ("port-file", po::value(&o.port_file), "write the bound RPC port to this file")      //
      ("no-sync", po::bool_switch(&o.no_sync), "do not fsync commits (fast, not durable)") //
      ("no-key-index", po::bool_switch(&o.no_key_index),
       "keep no in-memory index of integer keys (saves 18-36 bytes per key; membership checks "
       "and uploads then read every key from LMDB)") //
      ("inject-shard-delay-ms", po::value(&o.inject_shard_delay_ms),
       "for tests: every shard count waits this long (to exercise deadlines)") //
      ("inject-export-fault", po::value(&o.inject_export_fault)->implicit_value("digit"),
       "for tests: every export serves its first part altered after its CRC-32 was taken: "
       "digit (one digit changed; the default) or short (its last byte missing), to exercise "
       "the client's checks") //
      ("max-message-mb", po::value(&o.limit.max_message_mb)->default_value(o.limit.max_message_mb),
       "largest RPC message accepted") //
      ("max-expression-bytes",
       po::value(&o.limit.max_expression_bytes)->default_value(o.limit.max_expression_bytes),
       "longest expression text") //
      ("max-expression-depth",
       po::value(&o.limit.max_expression_depth)->default_value(o.limit.max_expression_depth),
       "deepest nesting of AND/OR/NOT and parentheses") //
      ("max-batch-keys", po::value(&o.limit.max_batch_keys)->default_value(o.limit.max_batch_keys),
       "keys in one containsMany or remove call, rows in one upsert") //
      ("max-import-chunk-mb",
       po::value(&o.limit.max_import_chunk_mb)->default_value(o.limit.max_import_chunk_mb),
       "bytes of one import batch");
  po::options_description all;
  all.add(general).add(settings);

  po::variables_map vm;
  try {
    po::store(po::parse_command_line(argc, argv, all), vm);
    if (vm.count("config")) {
      std::string path = vm["config"].as<std::string>();
      std::ifstream in(path);
      if (!in)
        throw std::runtime_error("cannot read config file " + path);
      po::store(po::parse_config_file(in, settings), vm); // the command line stored first wins
    }
    if (vm.count("help")) {
      std::cout << all << "\n";
      return std::nullopt;
    }
    if (vm.count("version")) {
      std::cout << "tagd " << TAGD_VERSION << "\n";
      return std::nullopt;
    }
    po::notify(vm);
  } catch (const po::error& e) {
    throw std::runtime_error(e.what());
  }
  if (o.vshards != 0 && (o.vshards & (o.vshards - 1)) != 0)
    throw std::runtime_error("--vshards must be a power of two, not " + std::to_string(o.vshards));
  if (o.deadline_ms == 0)
    throw std::runtime_error("--deadline-ms must be positive");
  if (o.scheduler != "sharing" && o.scheduler != "stealing")
    throw std::runtime_error("--scheduler must be sharing or stealing, not '" + o.scheduler + "'");
  if (!o.inject_export_fault.empty() && o.inject_export_fault != "digit" &&
      o.inject_export_fault != "short")
    throw std::runtime_error("--inject-export-fault must be digit or short, not '" +
                             o.inject_export_fault + "'");
  if (o.threads == 0)
    throw std::runtime_error("--threads must be at least 1");
  auto colon = o.listen.rfind(':');
  std::string port = colon == std::string::npos ? "" : o.listen.substr(colon + 1);
  if (colon == 0 || port.empty() || port.size() > 5 ||
      port.find_first_not_of("0123456789") != std::string::npos || std::stoul(port) > 65535)
    throw std::runtime_error("--listen must be host:port with a port from 0 to 65535, not '" +
                             o.listen + "'");
  return o;
}

} // namespace tagd::node

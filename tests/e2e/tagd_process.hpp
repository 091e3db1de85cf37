#pragma once
// A real `tagd` process for end-to-end tests: started on a free loopback port over a data
// directory, stopped with SIGTERM (or killed with SIGKILL to test durability).

#include <catch2/catch.hpp>

#include <chrono>
#include <csignal>
#include <fstream>
#include <string>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

#ifndef TAGD_BINARY
#error "TAGD_BINARY must name the tagd executable"
#endif

namespace tagd::testing {

class tagd_process {
 public:
  // Starts tagd on `data_dir` with extra arguments; waits until it listens (or exits).
  explicit tagd_process(const std::string& data_dir, std::vector<std::string> extra = {})
      : port_file_(data_dir + ".port") {
    ::unlink(port_file_.c_str());
    std::vector<std::string> args = {TAGD_BINARY, "--data-dir",  data_dir,
                                     "--listen",  "127.0.0.1:0", "--port-file",
                                     port_file_,  "--log-level", "warn"};
    args.insert(args.end(), extra.begin(), extra.end());
    pid_ = ::fork();
    REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
      std::vector<char*> argv;
      for (auto& a : args)
        argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < give_up) {
      std::ifstream in(port_file_);
      if (in >> port_ && port_ > 0)
        return;
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        exit_status_ = status;
        pid_ = -1;
        return; // exited: the test inspects exited() / exit_code()
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    FAIL("tagd did not start listening within 30 s");
  }

  ~tagd_process() {
    if (pid_ > 0)
      kill(SIGKILL);
  }

  int port() const { return port_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  bool exited() const { return pid_ < 0; }
  int exit_code() const { return WIFEXITED(exit_status_) ? WEXITSTATUS(exit_status_) : -1; }

  // Sends `signal` and waits for the process; returns its exit code (-1 if killed by a signal).
  int kill(int signal) {
    if (pid_ <= 0)
      return exit_code();
    ::kill(pid_, signal);
    ::waitpid(pid_, &exit_status_, 0);
    pid_ = -1;
    return exit_code();
  }
  int stop() { return kill(SIGTERM); }

 private:
  std::string port_file_;
  pid_t pid_ = -1;
  int port_ = 0;
  int exit_status_ = 0;
};

} // namespace tagd::testing

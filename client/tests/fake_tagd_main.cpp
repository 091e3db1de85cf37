// fake_tagd: a fake node (fake_node.hpp) on a free loopback port. Prints "127.0.0.1:PORT" and
// serves until killed.
#include "fake_node.hpp"

#include <iostream>

#include <unistd.h>

int main() {
  tagd::client::testing::fake_node node;
  std::cout << node.address() << std::endl;
  for (;;)
    pause();
}

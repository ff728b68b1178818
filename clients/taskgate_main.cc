// taskgate: the TaskGate command line client. Thin: everything is in
// clients/cli.h so that tests can run the same code.
#include <iostream>

#include "clients/cli.h"

int main(int argc, char** argv) {
  return taskgate::clients::cli::Run(argc, argv, std::cout, std::cerr);
}

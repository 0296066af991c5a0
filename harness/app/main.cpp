// ipcbench: the command line over the normal registry, whose loops contain no test hooks.
#include "harness/app/cli.hpp"
#include "transports/registry.hpp"

int main(int argc, char** argv) { return ipcbench::cli_main(argc, argv, {ipcbench::registry()}); }

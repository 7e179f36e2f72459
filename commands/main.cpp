#include "commands/cli.hpp"
#include "commands/last_resort.hpp"

int main(int argc, char** argv) {
  cvclone::InstallLastResortHandler();
  return cvclone::RunGuarded([&] { return cvclone::RunMain(argc, argv); });
}

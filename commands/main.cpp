#include "commands/cli.hpp"
#include "commands/last_resort.hpp"

int main(int argc, char** argv) {
  cvclone::InstallLastResortHandler();
  cvclone::InstallCrashReporter();
  return cvclone::RunGuarded([&] { return cvclone::RunMain(argc, argv); });
}

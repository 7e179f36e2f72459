#include "commands/cli.hpp"

int main(int argc, char** argv) { return cvclone::RunMain(argc, argv); }

#include "bot/cli/cli.hpp"

int main(int argc, char** argv) { return mlpath::run_cli(argc, argv); }

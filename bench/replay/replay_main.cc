// zc_replay: replays a compile_commands.json through compiler-cache backends (bench/replay/).
#include "bench/replay/replay_cli.h"

int main(int argc, char** argv) { return zc::bench::ReplayMain(argc, argv); }

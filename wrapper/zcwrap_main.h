// The zcwrap program: the only place where errors become exit codes and messages.
//
// Forms:
//   zcwrap COMPILER ARGS...        compile through the cache (also CMAKE_<LANG>_COMPILER_LAUNCHER)
//   gcc ARGS... (a symlink named like a compiler pointing at zcwrap: masquerade)
//   zcwrap -s | --print-stats | -z | -C | -c | -M SIZE | -p | -V | -h   management
//
// A compile never fails because of zcwrap: if the cache cannot be used, the real compiler runs
// untouched (exec), and its exit code and output are the user's.
#ifndef ZCWRAP_WRAPPER_ZCWRAP_MAIN_H_
#define ZCWRAP_WRAPPER_ZCWRAP_MAIN_H_

namespace zc::wrapper {

int ZcwrapMain(int argc, char** argv);

}  // namespace zc::wrapper

#endif  // ZCWRAP_WRAPPER_ZCWRAP_MAIN_H_

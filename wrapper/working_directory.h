// The directory a compile runs in, as the compiler will see it.
//
//   std::string cwd = zc::wrapper::CompileDirectory();
//
// $PWD when it names the current directory (gcc writes it into debug info, so a shell that
// entered through a symlink keys and compiles with that path), else getcwd(): the engine's rule
// (compile/base_dir.h ApparentCwd), applied to this process. Every front-door
// command that reasons about a compile (compiling, --explain) must use this one, or their keys
// disagree.
#ifndef ZCWRAP_WRAPPER_WORKING_DIRECTORY_H_
#define ZCWRAP_WRAPPER_WORKING_DIRECTORY_H_

#include <string>

namespace zc::wrapper {

std::string CompileDirectory();

}  // namespace zc::wrapper

#endif  // ZCWRAP_WRAPPER_WORKING_DIRECTORY_H_

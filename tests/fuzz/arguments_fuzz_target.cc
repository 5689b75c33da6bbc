#include "tests/fuzz/arguments_fuzz_target.h"

#include <sys/stat.h>

#include <string>
#include <variant>
#include <vector>

#include "absl/strings/string_view.h"
#include "cachecore/compile/arguments.h"
#include "cachecore/compile/response_file.h"
#include "tests/fuzz/scratch_dir.h"

namespace zc::fuzz {
namespace {

// An @file argument that could name something outside the scratch directory.
bool NamesOutside(absl::string_view arg) {
  return arg.size() >= 2 && arg[0] == '@' && arg.find('/') != absl::string_view::npos;
}

void Classify(const std::vector<std::string>& args, compile::Driver driver) {
  compile::Classification c = compile::ClassifyArguments(args, driver);
  compile::Classification again = compile::ClassifyArguments(args, driver);
  if (c.index() != again.index()) __builtin_trap();
  if (const auto* reason = std::get_if<stats::Counter>(&c)) {
    if (*reason != std::get<stats::Counter>(again)) __builtin_trap();
    return;
  }
  const compile::CompilePlan& plan = std::get<compile::CompilePlan>(c);
  const compile::CompilePlan& plan2 = std::get<compile::CompilePlan>(again);
  if (plan.source.empty() || plan.compile_args != args) __builtin_trap();
  if (plan.hashed_args != plan2.hashed_args || plan.output != plan2.output ||
      plan.language != plan2.language) {
    __builtin_trap();
  }
}

}  // namespace

void FuzzArgumentsOnce(const uint8_t* data, size_t size) {
  static const std::string* const cwd = [] {
    auto* d = new std::string(ScratchDir() + "/args");
    ::mkdir(d->c_str(), 0755);
    return d;
  }();
  absl::string_view in(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> argv;
  absl::string_view rsp;
  while (!in.empty()) {
    if (in[0] == '\0') {  // the empty "argument" that ends the list
      rsp = in.substr(1);
      break;
    }
    const size_t end = in.find('\0');
    argv.emplace_back(in.substr(0, end));  // the last one may be unterminated
    if (end == absl::string_view::npos) break;
    in.remove_prefix(end + 1);
  }
  for (const std::string& arg : argv) {
    if (NamesOutside(arg)) return;
  }
  for (const std::string& arg : compile::SplitResponseText(rsp)) {
    if (NamesOutside(arg)) return;
  }
  WriteScratchFile(*cwd + "/rsp", rsp);

  absl::StatusOr<std::vector<std::string>> args = compile::ExpandResponseFiles(argv, *cwd);
  if (!args.ok()) return;
  Classify(*args, compile::Driver{.cxx = false});
  Classify(*args, compile::Driver{.cxx = true});
}

}  // namespace zc::fuzz

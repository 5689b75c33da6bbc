// The files a compile writes, from one table, and how they go into a result entry and come back
// out of it on a hit.
//
//   for (const zc::compile::OutputFile& f : zc::compile::OutputFiles(plan)) ...
//   absl::StatusOr<zc::store::Entry> entry = zc::compile::CollectOutputs(plan, cwd, out, err);
//   absl::Status restored = zc::compile::RestoreOutputs(plan, cwd, *entry, umask);
//
// The table (OutputFiles) holds the object (-o, or the precompiled header), the dependency file,
// the split-DWARF .dwo, the coverage notes .gcno and the plan's side files (-fstack-usage's .su,
// -fcallgraph-info's .ci, assembler listings). Which options write which file, and which make a
// call uncacheable instead, is written in compiler_option.cc and docs/outputs.md.
#ifndef ZCWRAP_CACHECORE_COMPILE_OUTPUTS_H_
#define ZCWRAP_CACHECORE_COMPILE_OUTPUTS_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "cachecore/compile/arguments.h"
#include "cachecore/stats/counter.h"
#include "cachecore/store/entry_format.h"

namespace zc::compile {

struct OutputFile {
  store::PayloadKind kind;
  std::string name;  // the payload's name (side files); empty otherwise
  std::string path;  // where the compiler writes it, relative to the working directory
  // A successful compile always writes it. An optional file (a .dwo the compile had no reason
  // to write, a listing under -S) is stored and restored only when it was written.
  bool required = false;
};

// Every output file of `plan`, in restore order: side files first, the object last (so a build
// tool that looks at the object's timestamp finds everything else in place).
std::vector<OutputFile> OutputFiles(const CompilePlan& plan);

// The result entry of a successful compile of `plan` run in `cwd`: every output file, stdout,
// stderr, exit code 0 and the metadata a restore needs. NotFound: a required output is missing
// (compiler_produced_no_output). FailedPrecondition: an output is not a regular file (-o
// /dev/null, -MF /dev/stdout): the compile is fine, its outputs are just not cacheable.
[[nodiscard]] absl::StatusOr<store::Entry> CollectOutputs(const CompilePlan& plan,
                                                          const std::string& cwd,
                                                          absl::string_view stdout_data,
                                                          absl::string_view stderr_data);
// The counter for a compile whose outputs CollectOutputs refused with `status`.
stats::Counter UncollectedCounter(const absl::Status& status);

// Writes every output of `plan` stored in `entry` into `cwd`, each atomically (temporary file +
// rename; devices such as /dev/null in place), the dependency file's target rewritten for
// plan.output. `umask` >= 0: files get the mode a compiler running under it would give them.
// A .d stored with its base directory marked (portability.h PortableEntry) gets `base` back.
// DataLoss if the entry lacks a required output or cannot be restored for this plan (or has a
// marked .d and there is no base); nothing is written then.
[[nodiscard]] absl::Status RestoreOutputs(const CompilePlan& plan, const std::string& cwd,
                                          const store::Entry& entry, int umask,
                                          absl::string_view base = {});

}  // namespace zc::compile

#endif  // ZCWRAP_CACHECORE_COMPILE_OUTPUTS_H_

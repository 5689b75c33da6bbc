#include "cachecore/compile/outputs.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <optional>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "cachecore/compile/base_dir.h"
#include "cachecore/compile/dep_file.h"
#include "cachecore/util/atomic_file.h"
#include "cachecore/util/file_io.h"
#include "cachecore/util/scoped_fd.h"
#include "cachecore/util/status_macros.h"

namespace zc::compile {
namespace {

using store::PayloadKind;

constexpr absl::string_view kOutputMeta = "output=";
constexpr absl::string_view kDepWrapMeta = "dep_wrap";  // a metadata payload's name

// Reads a compiler output. NotFound if missing; FailedPrecondition if it is not a regular file
// (e.g. -o /dev/null), which must never be stored: its "content" is not what a real file gets.
absl::StatusOr<std::string> ReadOutput(const std::string& path) {
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) return util::ErrnoToStatus(errno, path);
  if (!S_ISREG(st.st_mode)) {
    return absl::FailedPreconditionError(absl::StrCat(path, ": not a regular file"));
  }
  return util::ReadFileToString(path);
}

// Writes a restored output: atomically for files, in place for devices such as /dev/null. With a
// `umask` (>= 0) the file gets the mode a compiler running under it would have given it.
absl::Status WriteOutput(const std::string& path, absl::string_view data, int umask) {
  struct stat st;
  const bool exists = ::stat(path.c_str(), &st) == 0;
  if (exists && !S_ISREG(st.st_mode)) {
    util::ScopedFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
    if (!fd.valid()) return util::ErrnoToStatus(errno, path);
    return util::Annotate(util::WriteAll(fd.get(), data), path);
  }
  ZC_ASSIGN_OR_RETURN(util::AtomicFile file, util::AtomicFile::Create(path));
  ZC_RETURN_IF_ERROR(file.Write(data));
  if (umask >= 0) ZC_RETURN_IF_ERROR(file.SetMode(0666u & ~static_cast<unsigned>(umask)));
  // Renaming over an existing file makes ext4 write the new file's data out at once
  // (auto_da_alloc), which was more than half of a hit's time; after an unlink the rename only
  // links the name. A reader between the two sees no file, never a partial one (the compiler
  // itself rewrites its output in place).
  if (exists) ::unlink(path.c_str());
  return file.Commit();
}

// The .d as this plan wants it: the stored one, its target rewritten from the output it was
// stored for to this plan's output (unless -MT/-MQ named the target).
std::optional<std::string> DependencyFor(const CompilePlan& plan, const store::Entry& entry,
                                         absl::string_view stored, absl::string_view base) {
  // Stored with the base directory marked: this checkout's base goes in.
  std::string expanded;
  if (stored.find(kBaseMarker) != absl::string_view::npos) {
    if (base.empty()) return std::nullopt;
    expanded = ExpandBase(stored, base);
    stored = expanded;
  }
  if (plan.dep_target_explicit && expanded.empty()) return std::string(stored);
  if (plan.dep_target_explicit) {
    const store::Payload* wrap = entry.Find(PayloadKind::kMetadata, kDepWrapMeta);
    if (wrap == nullptr) return std::nullopt;
    return RewrapDependencies(stored, ParseDepWrap(wrap->data));
  }
  const store::Payload* meta = entry.Find(PayloadKind::kMetadata);
  if (meta == nullptr || !absl::StartsWith(meta->data, kOutputMeta)) return std::nullopt;
  absl::string_view stored_output = absl::string_view(meta->data).substr(kOutputMeta.size());
  if (absl::EndsWith(stored_output, "\n")) stored_output.remove_suffix(1);
  std::string output;
  if (stored_output.find(kBaseMarker) != absl::string_view::npos) {
    if (base.empty()) return std::nullopt;
    output = ExpandBase(stored_output, base);
    stored_output = output;
  }
  std::optional<std::string> rewritten = RewriteDepTarget(stored, stored_output, plan.output);
  if (!rewritten || (expanded.empty() && EscapeMakeTarget(stored_output).size() ==
                                             EscapeMakeTarget(plan.output).size())) {
    return rewritten;  // nothing changed width: the compiler's line breaks still hold
  }
  const store::Payload* wrap = entry.Find(PayloadKind::kMetadata, kDepWrapMeta);
  if (wrap == nullptr) return std::nullopt;  // cannot tell where the compiler would break lines
  return RewrapDependencies(*rewritten, ParseDepWrap(wrap->data));
}

}  // namespace

std::vector<OutputFile> OutputFiles(const CompilePlan& plan) {
  std::vector<OutputFile> files;
  for (const CompilePlan::SideFile& side : plan.side_files) {
    files.push_back({PayloadKind::kSideFile, side.name, side.path, false});
  }
  if (!plan.dwo_file.empty()) files.push_back({PayloadKind::kSplitDwarf, "", plan.dwo_file, false});
  if (!plan.gcno_file.empty()) {
    files.push_back({PayloadKind::kCoverageNotes, "", plan.gcno_file, false});
  }
  if (plan.dep_file_wanted) files.push_back({PayloadKind::kDependency, "", plan.dep_file, true});
  files.push_back({PayloadKind::kObject, "", plan.output, true});
  return files;
}

absl::StatusOr<store::Entry> CollectOutputs(const CompilePlan& plan, const std::string& cwd,
                                            absl::string_view stdout_data,
                                            absl::string_view stderr_data) {
  store::Entry entry;
  entry.type = store::EntryType::kResult;
  for (const OutputFile& f : OutputFiles(plan)) {
    absl::StatusOr<std::string> data = ReadOutput(util::JoinPath(cwd, f.path));
    if (!data.ok()) {
      if (absl::IsNotFound(data.status()) && !f.required) continue;
      return data.status();
    }
    entry.Add(f.kind, std::move(*data), f.name);
  }
  entry.Add(PayloadKind::kStdout, std::string(stdout_data));
  entry.Add(PayloadKind::kStderr, std::string(stderr_data));
  entry.Add(PayloadKind::kMetadata, absl::StrCat(kOutputMeta, plan.output, "\n"));
  // How the compiler wraps the .d's lines: a restore that changes a path's length (another
  // target, another checkout) writes it again the same way.
  if (const store::Payload* dep = entry.Find(PayloadKind::kDependency)) {
    const DepWrap wrap = DetectDepWrap(dep->data);
    if (wrap != DepWrap::kNone) {
      entry.Add(PayloadKind::kMetadata, std::string(DepWrapName(wrap)), std::string(kDepWrapMeta));
    }
  }
  entry.SetExitCode(0);
  return entry;
}

absl::Status RestoreOutputs(const CompilePlan& plan, const std::string& cwd,
                            const store::Entry& entry, int umask, absl::string_view base) {
  // Prepare everything before writing anything, so a bad entry leaves no partial outputs.
  struct Write {
    std::string path;
    const std::string* stored = nullptr;
    std::optional<std::string> rewritten;  // the .d, rewritten: written instead of `stored`
  };
  const std::vector<OutputFile> files = OutputFiles(plan);
  std::vector<Write> writes;
  writes.reserve(files.size());
  for (const OutputFile& f : files) {
    const store::Payload* p = entry.Find(f.kind, f.name);
    if (p == nullptr) {
      if (f.required) return absl::DataLossError(absl::StrCat("entry lacks ", f.path));
      continue;
    }
    Write w{util::JoinPath(cwd, f.path), &p->data, std::nullopt};
    if (f.kind == PayloadKind::kDependency) {
      w.rewritten = DependencyFor(plan, entry, p->data, base);
      if (!w.rewritten) return absl::DataLossError("unexpected dependency file target");
    }
    writes.push_back(std::move(w));
  }
  for (const Write& w : writes) {
    ZC_RETURN_IF_ERROR(WriteOutput(w.path, w.rewritten ? *w.rewritten : *w.stored, umask));
  }
  return absl::OkStatus();
}

stats::Counter UncollectedCounter(const absl::Status& status) {
  return absl::IsNotFound(status) ? stats::Counter::kCompilerProducedNoOutput
                                  : stats::Counter::kOutputNotCacheable;
}

}  // namespace zc::compile

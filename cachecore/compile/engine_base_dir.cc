// Engine's base-directory steps: which base a compile has, and where its result is stored so
// that other checkouts find it only when it is theirs too (base_dir.h, portability.h, engine.h).
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "cachecore/compile/base_dir.h"
#include "cachecore/compile/engine.h"
#include "cachecore/compile/portability.h"
#include "cachecore/compile/source_scan.h"
#include "cachecore/util/file_io.h"

namespace zc::compile {

std::string Engine::BaseFor(absl::string_view setting, const std::string& cwd) {
  if (setting == "none") return "";
  if (setting != "auto") return FindBaseDir(setting, cwd);
  // A long-lived engine sees the same few directories again and again. A stale answer (a
  // checkout created or removed since) costs sharing, never correctness: every base is safe.
  const std::string memo_key = absl::StrCat(setting, absl::string_view("\0", 1), cwd);
  {
    std::lock_guard<std::mutex> lock(base_mu_);
    if (auto it = base_memo_.find(memo_key); it != base_memo_.end()) return it->second;
  }
  std::string base = FindBaseDir(setting, cwd);
  std::lock_guard<std::mutex> lock(base_mu_);
  if (base_memo_.size() >= 4096) base_memo_.clear();
  base_memo_.emplace(memo_key, base);
  return base;
}

Engine::Placement Engine::Place(Context& ctx, const util::Digest& key, const store::Entry& entry,
                                const std::vector<std::string>& files, absl::string_view cpp_text) {
  Placement placed;
  placed.key = key;
  const absl::string_view base = ctx.key_inputs.base;
  if (base.empty()) return placed;  // keyed by absolute paths: nothing to decide
  const std::string& cwd = ctx.request->cwd;

  // What reached the outputs.
  std::string why = OutputsMentionBase(entry, base);
  // What it read: a file naming the base (an absolute #include, a generated header) points
  // the other checkout's compile at this checkout's files, not at the ones its record names.
  bool file_macros = false;
  for (size_t i = 0; i < files.size() && why.empty(); ++i) {
    if (absl::EndsWith(files[i], "/")) continue;  // gcc's working-directory marker (-g)
    absl::StatusOr<FileFacts> facts = inputs_.Facts(cwd, files[i]);
    file_macros |= facts.ok() && (facts->flags & kUsesFileMacros) != 0;
    absl::StatusOr<std::string> text = util::ReadFileToString(util::JoinPath(cwd, files[i]));
    if (!text.ok()) {
      why = absl::StrCat(files[i], " cannot be read to see whether it names the base directory");
    } else if (absl::StrContains(*text, base)) {
      why = absl::StrCat(files[i], " names the base directory");
    }
  }
  // __FILE__ and its kin: the preprocessed text shows what they became. A miss in depend mode
  // has none, and running the preprocessor would cost every cold build; the result is bound to
  // this base until another checkout checks its own text (FileMacrosStayHome).
  bool unchecked_file_macros = false;
  if (why.empty() && file_macros && !MacroMapCovers(ctx.plan, base)) {
    if (cpp_text.empty()) {
      unchecked_file_macros = true;
    } else {
      why = PreprocessedMentionsBase(cpp_text, base);
    }
  }
  if (why.empty()) {
    placed.portable = PortableEntry(entry, base);
    if (!placed.portable) why = "the dependency file names the base directory inside a path";
  }
  if (why.empty() && !unchecked_file_macros) return placed;  // every checkout's
  // Bound to this base, under its own key: another checkout's compile of the same sources
  // stores under its own, never over this one. When only __FILE__ is unchecked, the entry is
  // kept restorable elsewhere (the .d marked), for a checkout whose own check passes.
  placed.key = BoundToBase(key, base);
  placed.bound_base = std::string(base);
  if (why.empty()) {
    placed.verify_file_macros = true;
    placed.why = "__FILE__ is used, and no other checkout has checked what it becomes yet";
  } else {
    placed.portable.reset();
    placed.why = std::move(why);
  }
  return placed;
}

bool Engine::FileMacrosStayHome(Context& ctx, const ManifestRecord& record,
                                std::optional<bool>* verdict) {
  const absl::string_view base = ctx.key_inputs.base;
  if (record.base.empty() || record.base == base) return true;
  if (!record.verify_file_macros || base.empty()) return false;
  // The same sources with the same relative paths: what __FILE__ becomes names this base here
  // exactly when it named the record's base there (portability.h).
  if (!verdict->has_value()) {
    absl::StatusOr<Preprocessed> cpp =
        Preprocess(*ctx.request, ctx.plan, ctx.key_inputs, preprocess_env());
    *verdict = cpp.ok() && PreprocessedMentionsBase(cpp->text, base).empty();
  }
  return **verdict;
}

std::optional<CompileResult> Engine::LookupEitherPlace(Context& ctx, const util::Digest& key,
                                                       stats::Counter hit_counter) {
  if (std::optional<CompileResult> hit = Lookup(ctx, key, hit_counter)) return hit;
  const absl::string_view base = ctx.key_inputs.base;
  if (base.empty()) return std::nullopt;
  return Lookup(ctx, BoundToBase(key, base), hit_counter);
}

}  // namespace zc::compile

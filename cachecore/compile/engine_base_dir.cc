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
  // __FILE__ and its kin: the preprocessed text shows what they became.
  if (why.empty() && file_macros && !MacroMapCovers(ctx.plan, base)) {
    std::optional<Preprocessed> own;
    if (cpp_text.empty()) {
      absl::StatusOr<Preprocessed> cpp =
          Preprocess(*ctx.request, ctx.plan, ctx.key_inputs, preprocess_env());
      if (cpp.ok()) {
        own = std::move(*cpp);
        cpp_text = own->text;
      } else {
        why = "the preprocessor could not show what __FILE__ became";
      }
    }
    if (why.empty()) why = PreprocessedMentionsBase(cpp_text, base);
  }
  if (why.empty()) {
    placed.portable = PortableEntry(entry, base);
    if (!placed.portable) why = "the dependency file names the base directory inside a path";
  }
  if (!why.empty()) {
    placed.portable.reset();
    placed.key = BoundToBase(key, base);
    placed.bound_base = std::string(base);
    placed.why = std::move(why);
  }
  return placed;
}

std::optional<CompileResult> Engine::LookupEitherPlace(Context& ctx, const util::Digest& key,
                                                       stats::Counter hit_counter) {
  if (std::optional<CompileResult> hit = Lookup(ctx, key, hit_counter)) return hit;
  const absl::string_view base = ctx.key_inputs.base;
  if (base.empty()) return std::nullopt;
  return Lookup(ctx, BoundToBase(key, base), hit_counter);
}

}  // namespace zc::compile

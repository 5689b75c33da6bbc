#include "cachecore/compile/cache_key.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "cachecore/compile/base_dir.h"

namespace zc::compile {
namespace {

// 3: sources with .incbin/.include are no longer stored (results from before may hold a stale
// assembled file).
constexpr absl::string_view kKeyVersion = "zcwrap-result-3";

constexpr absl::string_view kEnvironment[] = {
    "CCC_OVERRIDE_OPTIONS",  // clang: edits the command line
    "COMPILER_PATH",         // gcc: where cc1/as are found
    "CPATH",
    "CPLUS_INCLUDE_PATH",
    "C_INCLUDE_PATH",
    "GCC_COLORS",
    "GCC_EXEC_PREFIX",
    "LANG",  // language of diagnostics
    "LANGUAGE",
    "LC_ALL",
    "LC_CTYPE",
    "LC_MESSAGES",
    "OBJC_INCLUDE_PATH",
    "SOURCE_DATE_EPOCH",  // __DATE__/__TIME__
};

void Field(util::Sha256& h, absl::string_view tag, absl::string_view value) {
  h.UpdateDelimited(tag);
  h.UpdateDelimited(value);
}

}  // namespace

std::span<const absl::string_view> KeyEnvironment() { return kEnvironment; }

bool CwdMatters(const CompilePlan& plan) {
  return plan.debug_info || plan.embeds_output_path || plan.pch_output;
}

bool IgnoredOption(absl::string_view arg, std::span<const std::string> patterns) {
  for (absl::string_view pattern : patterns) {
    if (absl::ConsumeSuffix(&pattern, "*") ? absl::StartsWith(arg, pattern) : arg == pattern) {
      return true;
    }
  }
  return false;
}

bool PchTimesMatter(const CompilePlan& plan) { return plan.pch_output && plan.pch_timestamps; }

std::string CwdForKey(const CompilePlan& plan, absl::string_view cwd) {
  std::string mapped;
  for (const auto& [from, to] : plan.debug_prefix_maps) {
    absl::string_view old = from;
    while (old.size() > 1 && old.back() == '/') old.remove_suffix(1);
    if (old != "/" && !UnderBase(cwd, old)) continue;
    absl::StrAppend(&mapped, to, cwd.substr(old.size()), "\n");
  }
  return mapped.empty() ? std::string(cwd) : absl::StrCat("mapped:\n", mapped);
}

namespace {

// The fields both modes share.
void CommonFields(util::Sha256& h, const KeyInputs& in, bool always_cwd) {
  // Absent when empty, so keys without a namespace are what they were before the setting.
  if (!in.key_namespace.empty()) Field(h, "namespace", in.key_namespace);
  // A farm's engine compiles the preprocessed text: with -g, a few debug-info columns, and the
  // quoted source lines of its diagnostics, are not a local compile's (docs/distributed.md).
  // Absent without a prefix, so local keys are unchanged.
  if (!in.launcher.empty()) Field(h, "launcher", in.launcher);
  Field(h, "compiler", in.compiler_key.AsStringView());
  Field(h, "compiler_name", in.compiler_name);
  Field(h, "language", in.plan->language);
  // Keyed arguments line up with the plan's (KeyArgs keeps one per argument).
  auto args = [&](absl::string_view tag, const std::vector<std::string>& plain) {
    std::vector<std::string> relative;
    if (!in.base.empty()) relative = KeyArgs(plain, in.base);
    const std::vector<std::string>& keyed = in.base.empty() ? plain : relative;
    for (size_t i = 0; i < plain.size(); ++i) {
      if (!IgnoredOption(plain[i], in.ignore_options)) Field(h, tag, keyed[i]);
    }
  };
  args("arg", in.plan->hashed_args);
  args("dep_arg", in.plan->dep_key_args);
  if (in.plan->dep_file_wanted) Field(h, "dep_file", "yes");
  if (always_cwd) {
    Field(h, "cwd", KeyPath(in.cwd, in.base));
  } else if (CwdMatters(*in.plan)) {
    Field(h, "cwd", KeyPath(CwdForKey(*in.plan, in.cwd), in.base));
  }
  Field(h, "color", in.color ? "1" : "0");
  for (absl::string_view name : kEnvironment) {
    std::optional<std::string> value = in.env ? in.env(name) : std::nullopt;
    if (value) Field(h, name, *value);
  }
  for (const InputState& input : in.named_inputs) {
    Field(h, "input", KeyPath(input.path, in.base));
    h.UpdateDelimited(input.digest.AsStringView());
  }
}

void PinnedFields(util::Sha256& h, std::span<const PinnedTime> pinned, absl::string_view base) {
  for (const PinnedTime& p : pinned) {
    Field(h, "pinned", KeyPath(p.path, base));
    Field(h, "size_mtime", absl::StrCat(p.size, " ", p.mtime_ns));
  }
}

}  // namespace

util::Digest PreprocessorModeKey(const KeyInputs& in) {
  util::Sha256 h;
  h.UpdateDelimited(kKeyVersion);
  CommonFields(h, in, /*always_cwd=*/false);
  Field(h, "cpp_stderr", in.preprocessor_stderr);
  Field(h, "cpp", in.preprocessed);
  for (const InputState& pch : in.pch_files) {
    Field(h, "pch", KeyPath(pch.path, in.base));
    h.UpdateDelimited(pch.digest.AsStringView());
  }
  PinnedFields(h, in.pinned, in.base);
  return h.Finish();
}

util::Digest ManifestKey(const KeyInputs& in, const util::Digest& source_digest) {
  util::Sha256 h;
  h.UpdateDelimited("zcwrap-manifest-2");
  CommonFields(h, in, /*always_cwd=*/true);
  Field(h, "source", source_digest.AsStringView());
  return h.Finish();
}

util::Digest DependModeResultKey(const util::Digest& manifest_key,
                                 std::span<const FileDigest> files,
                                 std::span<const PinnedTime> pinned) {
  util::Sha256 h;
  h.UpdateDelimited("zcwrap-depend-2");
  Field(h, "manifest", manifest_key.AsStringView());
  for (const FileDigest& f : files) {
    Field(h, "file", f.path);
    h.UpdateDelimited(f.digest.AsStringView());
  }
  PinnedFields(h, pinned, {});  // already key paths (DirectMode::Observe)
  return h.Finish();
}

}  // namespace zc::compile

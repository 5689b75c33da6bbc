// Whether a compile's outputs are the same wherever its base directory is (base_dir.h), so that
// it may be keyed with paths relative to it and shared with other checkouts. The rule (written
// out in docs/keys.md) is "safe by construction": a result is shared only when nothing the
// compiler could have made of the base directory reaches the outputs.
//
// Before the compile, from the command line:
//   std::string why = BaseUnusable(plan, base);   // non-empty: keys keep absolute paths
// After it, from what it read and wrote:
//   why = OutputsMentionBase(entry, base);         // the object, side files, stdout, stderr
//   why = PreprocessedMentionsBase(cpp_text, base) // __FILE__ expansions, __builtin_FILE
//   std::optional<store::Entry> shared = PortableEntry(entry, base);  // .d with the base marked
// A result that is not portable is stored under BoundToBase(key, base): it hits only in a
// checkout at the same place.
#ifndef ZCWRAP_CACHECORE_COMPILE_PORTABILITY_H_
#define ZCWRAP_CACHECORE_COMPILE_PORTABILITY_H_

#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "cachecore/compile/arguments.h"
#include "cachecore/store/entry_format.h"
#include "cachecore/util/sha256.h"

namespace zc::compile {

// Why `plan` cannot be keyed relative to `base`, or "" if it can (for now: the outputs decide
// the rest). Reasons: the base holds characters that compilers or Make escape; debug info
// without a -fdebug-prefix-map/-ffile-prefix-map covering the base; an option that hides paths
// in its output (kHidesPaths: LTO, profiles, sanitizers, -frandom-seed, compressed debug
// sections, ...); an object that embeds its own path (-gsplit-dwarf, coverage); a precompiled
// header.
std::string BaseUnusable(const CompilePlan& plan, absl::string_view base);

// True if some -fmacro-prefix-map/-ffile-prefix-map covers `base`: __FILE__ cannot name it.
bool MacroMapCovers(const CompilePlan& plan, absl::string_view base);

// Why the outputs of a compile depend on `base`, or "": some payload other than the .d and
// zcwrap's metadata holds the base's bytes (as text, UTF-16 or UTF-32), or the object has
// compressed ELF sections, which no scan sees into.
std::string OutputsMentionBase(const store::Entry& entry, absl::string_view base);

// Why the preprocessed text of a compile depends on `base` beyond its line markers, or "": a
// line names it (an expanded __FILE__, a string), or uses __builtin_FILE/source_location,
// which the compiler expands later.
std::string PreprocessedMentionsBase(absl::string_view text, absl::string_view base);

// `text` (preprocessor output) with the base in its line markers' file names replaced by the
// marker: the key of a portable compile does not see where the checkout is.
std::string NormaliseLineMarkers(absl::string_view text, absl::string_view base);

// `entry` as another checkout can restore it: the .d and the output name in the metadata with
// the base marked (RestoreOutputs puts the local base back). nullopt if the .d would still name
// the base afterwards (a base inside a longer path) or already holds a marker byte.
std::optional<store::Entry> PortableEntry(const store::Entry& entry, absl::string_view base);

// The key a result that is not portable is stored under: `key` bound to this base.
util::Digest BoundToBase(const util::Digest& key, absl::string_view base);

}  // namespace zc::compile

#endif  // ZCWRAP_CACHECORE_COMPILE_PORTABILITY_H_

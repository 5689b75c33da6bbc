#include "cachecore/compile/portability.h"

#include <cstring>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "cachecore/compile/base_dir.h"
#include "cachecore/compile/compiler_option.h"
#include "cachecore/compile/dep_file.h"

namespace zc::compile {
namespace {

using store::PayloadKind;

// Characters a base may hold: compilers write the others escaped into line markers and string
// literals, and Make escapes them in dependency files, so no byte scan would find the base.
bool PlainPathChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         std::strchr("/._+-~@,", c) != nullptr;
}

bool Covers(const std::vector<std::pair<std::string, std::string>>& maps, absl::string_view base) {
  for (const auto& [from, to] : maps) {
    absl::string_view old = from;
    while (old.size() > 1 && old.back() == '/') old.remove_suffix(1);
    if (old == "/" || UnderBase(base, old)) return true;
  }
  return false;
}

// `base` as UTF-16LE or UTF-32LE code units (it is ASCII: PlainPathChar).
std::string Widened(absl::string_view base, size_t width) {
  std::string out;
  for (char c : base) {
    out += c;
    out.append(width - 1, '\0');
  }
  return out;
}

uint64_t Little(absl::string_view data, size_t at, size_t size) {
  uint64_t v = 0;
  for (size_t i = 0; i < size; ++i) v |= uint64_t{static_cast<uint8_t>(data[at + i])} << (8 * i);
  return v;
}

// An ELF file whose section headers cannot be read, or which has a compressed section.
bool HasCompressedSections(absl::string_view elf) {
  if (absl::StrContains(elf, ".zdebug")) return true;  // GNU-style compressed debug sections
  if (elf.size() < 0x40 || elf[5] != 1) return true;   // not little-endian: cannot tell
  const bool wide = elf[4] == 2;
  const uint64_t shoff = wide ? Little(elf, 0x28, 8) : Little(elf, 0x20, 4);
  const uint64_t entsize = Little(elf, wide ? 0x3A : 0x2E, 2);
  const uint64_t count = Little(elf, wide ? 0x3C : 0x30, 2);
  const uint64_t flags_size = wide ? 8 : 4;
  if (entsize < 8 + flags_size || shoff > elf.size() || count > (elf.size() - shoff) / entsize) {
    return true;
  }
  constexpr uint64_t kShfCompressed = 0x800;
  for (uint64_t i = 0; i < count; ++i) {
    if (Little(elf, shoff + i * entsize + 8, flags_size) & kShfCompressed) return true;
  }
  return false;
}

bool IsLineMarker(absl::string_view line) {
  if (absl::StartsWith(line, "#line")) return true;
  return line.size() > 2 && line[0] == '#' && line[1] == ' ' && line[2] >= '0' && line[2] <= '9';
}

}  // namespace

std::string BaseUnusable(const CompilePlan& plan, absl::string_view base) {
  for (char c : base) {
    if (!PlainPathChar(c)) return "the base directory holds characters that compilers escape";
  }
  if (plan.debug_info && !Covers(plan.debug_prefix_maps, base)) {
    return "debug info without a -fdebug-prefix-map or -ffile-prefix-map covering the base "
           "directory";
  }
  if (plan.pch_output) return "a precompiled header names the files it was built from";
  if (plan.embeds_output_path || plan.coverage || plan.split_dwarf) {
    return "the object names its own path (-gsplit-dwarf, coverage or profiling)";
  }
  for (size_t i = 0; i < plan.hashed_args.size(); ++i) {
    const std::string& arg = plan.hashed_args[i];
    const CompilerOption* opt = FindOption(arg);
    if (opt == nullptr) opt = FindPrefixOption(arg);
    if (opt != nullptr && (opt->flags & kHidesPaths)) {
      return absl::StrCat(opt->name, " can put paths into the output in a form no scan sees");
    }
    const bool assembler =
        absl::StartsWith(arg, "-Wa,") || (i > 0 && plan.hashed_args[i - 1] == "-Xassembler");
    if (assembler && absl::StrContains(arg, "compress")) {
      return "the assembler compresses sections: no scan sees into them";
    }
  }
  return "";
}

bool MacroMapCovers(const CompilePlan& plan, absl::string_view base) {
  return Covers(plan.macro_prefix_maps, base);
}

std::string OutputsMentionBase(const store::Entry& entry, absl::string_view base) {
  const std::string utf16 = Widened(base, 2);
  const std::string utf32 = Widened(base, 4);
  for (const store::Payload& p : entry.payloads) {
    if (p.kind == PayloadKind::kMetadata || p.kind == PayloadKind::kDependency ||
        p.kind == PayloadKind::kExitCode) {
      continue;
    }
    const absl::string_view data = p.data;
    const absl::string_view what = p.kind == PayloadKind::kStdout   ? "standard output"
                                   : p.kind == PayloadKind::kStderr ? "the diagnostics"
                                                                    : "an output file";
    if (absl::StrContains(data, base) || absl::StrContains(data, utf16) ||
        absl::StrContains(data, utf32)) {
      return absl::StrCat(what, " names the base directory");
    }
    if (absl::StartsWith(data,
                         "\x7f"
                         "ELF") &&
        HasCompressedSections(data)) {
      return "an output file has compressed sections: no scan sees into them";
    }
  }
  return "";
}

std::string PreprocessedMentionsBase(absl::string_view text, absl::string_view base) {
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == absl::string_view::npos) end = text.size();
    const absl::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    if (IsLineMarker(line)) continue;
    if (absl::StrContains(line, base)) {
      return "__FILE__ or a string in the source names the base directory";
    }
    if (absl::StrContains(line, "__builtin_FILE") ||
        absl::StrContains(line, "__builtin_source_location")) {
      return "__builtin_FILE or std::source_location names the file";
    }
  }
  return "";
}

std::string NormaliseLineMarkers(absl::string_view text, absl::string_view base) {
  std::string out;
  out.reserve(text.size());
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    end = end == absl::string_view::npos ? text.size() : end + 1;
    const absl::string_view line = text.substr(pos, end - pos);
    pos = end;
    const size_t quote = line.find('"');
    if (IsLineMarker(line) && quote != absl::string_view::npos &&
        UnderBase(line.substr(quote + 1, line.find('"', quote + 1) - quote - 1), base)) {
      absl::StrAppend(&out, line.substr(0, quote + 1), absl::string_view(&kBaseMarker, 1),
                      line.substr(quote + 1 + base.size()));
    } else {
      out.append(line.data(), line.size());
    }
  }
  return out;
}

std::optional<store::Entry> PortableEntry(const store::Entry& entry, absl::string_view base) {
  store::Entry out = entry;
  // Another checkout's paths have other lengths: its .d is written again with the compiler's
  // line breaks (dep_file.h), which must be known.
  if (const store::Payload* dep = entry.Find(PayloadKind::kDependency)) {
    if (DetectDepWrap(dep->data) == DepWrap::kNone) return std::nullopt;
  }
  for (store::Payload& p : out.payloads) {
    if (p.kind != PayloadKind::kDependency && p.kind != PayloadKind::kMetadata) continue;
    if (p.data.find(kBaseMarker) != std::string::npos) return std::nullopt;
    p.data = ReplaceBase(p.data, base);
    if (absl::StrContains(p.data, base)) return std::nullopt;
  }
  return out;
}

util::Digest BoundToBase(const util::Digest& key, absl::string_view base) {
  util::Sha256 h;
  h.UpdateDelimited("zcwrap-base-bound-1");
  h.UpdateDelimited(key.AsStringView());
  h.UpdateDelimited(base);
  return h.Finish();
}

}  // namespace zc::compile

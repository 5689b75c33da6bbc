#include "cachecore/compile/explain.h"

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "cachecore/compile/base_dir.h"
#include "cachecore/util/file_io.h"
#include "cachecore/util/json.h"
#include "cachecore/util/sha256.h"

namespace zc::compile {
namespace {

constexpr absl::string_view kMagic = "zcwrap-explain-1";

void Line(std::string* out, absl::string_view field, absl::string_view value) {
  absl::StrAppend(out, field, " ", absl::CEscape(value), "\n");
}

void Pair(std::string* out, absl::string_view field, const std::pair<std::string, std::string>& p) {
  absl::StrAppend(out, field, " ", p.second, " ", absl::CEscape(p.first), "\n");
}

std::string Short(absl::string_view hex) { return std::string(hex.substr(0, 12)); }

// The (path → digest) pairs as a map, keeping the first of a path listed twice.
absl::flat_hash_map<std::string, std::string> ByPath(
    const std::vector<std::pair<std::string, std::string>>& pairs) {
  absl::flat_hash_map<std::string, std::string> map;
  for (const auto& [path, hex] : pairs) map.try_emplace(path, hex);
  return map;
}

// The record's field a line named `field` sets, or null (a list field, or an unknown one).
std::string* SingleField(ExplainRecord& r, absl::string_view field) {
  if (field == "object") return &r.object;
  if (field == "source") return &r.source;
  if (field == "cwd") return &r.cwd;
  if (field == "mode") return &r.mode;
  if (field == "compiler") return &r.compiler;
  if (field == "compiler_key") return &r.compiler_key;
  if (field == "cwd_in_key") return &r.cwd_in_key;
  if (field == "namespace") return &r.key_namespace;
  if (field == "launcher") return &r.launcher;
  if (field == "compared_with") return &r.compared_with;
  if (field == "base") return &r.base;
  if (field == "base_note") return &r.base_note;
  return nullptr;
}

// The list a line named `field` adds to, or null.
std::vector<std::string>* ListField(ExplainRecord& r, absl::string_view field) {
  if (field == "argv") return &r.argv;
  if (field == "arg") return &r.args;
  if (field == "dep_arg") return &r.dep_args;
  if (field == "env") return &r.env;
  return nullptr;
}

}  // namespace

std::string EncodeExplainRecord(const ExplainRecord& r) {
  std::string out = absl::StrCat(kMagic, "\n");
  Line(&out, "object", r.object);
  Line(&out, "cwd", r.cwd);
  for (const std::string& a : r.argv) Line(&out, "argv", a);
  Line(&out, "mode", r.mode);
  Line(&out, "compiler", r.compiler);
  Line(&out, "compiler_key", r.compiler_key);
  for (const std::string& a : r.args) Line(&out, "arg", a);
  for (const std::string& a : r.dep_args) Line(&out, "dep_arg", a);
  Line(&out, "cwd_in_key", r.cwd_in_key);
  Line(&out, "namespace", r.key_namespace);
  Line(&out, "launcher", r.launcher);
  for (const std::string& e : r.env) Line(&out, "env", e);
  for (const auto& p : r.inputs) Pair(&out, "input", p);
  for (const auto& p : r.files) Pair(&out, "file", p);
  Line(&out, "source", r.source);
  Line(&out, "compared_with", r.compared_with);
  Line(&out, "base", r.base);
  Line(&out, "base_note", r.base_note);
  for (const auto& [kind, text] : r.why) {
    absl::StrAppend(&out, "why ", kind, " ", absl::CEscape(text), "\n");
  }
  return out;
}

std::optional<ExplainRecord> DecodeExplainRecord(absl::string_view text) {
  if (!absl::ConsumePrefix(&text, kMagic) || !absl::ConsumePrefix(&text, "\n")) return std::nullopt;
  ExplainRecord r;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    const size_t space = line.find(' ');
    if (space == absl::string_view::npos) continue;
    const absl::string_view field = line.substr(0, space);
    absl::string_view rest = line.substr(space + 1);
    if (field == "why" || field == "input" || field == "file") {
      // "<word> <escaped text>": (kind, text) for why, (hex, path) for the others.
      const size_t gap = rest.find(' ');
      std::string text;
      if (gap == absl::string_view::npos || !absl::CUnescape(rest.substr(gap + 1), &text)) {
        return std::nullopt;
      }
      std::string word(rest.substr(0, gap));
      if (field == "why") {
        r.why.emplace_back(std::move(word), std::move(text));
      } else {
        (field == "input" ? r.inputs : r.files).emplace_back(std::move(text), std::move(word));
      }
      continue;
    }
    std::string value;
    if (!absl::CUnescape(rest, &value)) return std::nullopt;
    if (std::string* one = SingleField(r, field)) {
      *one = std::move(value);
    } else if (std::vector<std::string>* list = ListField(r, field)) {
      list->push_back(std::move(value));
    }
  }
  if (r.object.empty() || r.argv.empty()) return std::nullopt;
  return r;
}

std::string ExplainPath(absl::string_view path, absl::string_view base) {
  if (!UnderBase(path, base)) return std::string(path);
  return absl::StrCat("$BASE", path.substr(base.size()));
}

std::string RealExplainPath(absl::string_view path, absl::string_view base) {
  if (base.empty() || !absl::ConsumePrefix(&path, "$BASE")) return std::string(path);
  return absl::StrCat(base, path);
}

util::Digest ExplainRecordKey(const std::string& object) {
  util::Sha256 h;
  h.UpdateDelimited(kMagic);
  h.UpdateDelimited(object);
  return h.Finish();
}

util::Digest ExplainNameKey(const ExplainRecord& record) {
  util::Sha256 h;
  h.UpdateDelimited("zcwrap-explain-name-1");
  h.UpdateDelimited(record.argv.empty() ? "" : util::Basename(record.argv[0]));
  h.UpdateDelimited(util::Basename(record.source));
  h.UpdateDelimited(util::Basename(record.object));
  return h.Finish();
}

namespace {

absl::Status PutText(store::LocalStore& store, const util::Digest& key, std::string text) {
  store::Entry entry;
  entry.type = store::EntryType::kExplain;
  entry.Add(store::PayloadKind::kMetadata, std::move(text));
  return store.Put(key, entry);
}

std::optional<std::string> GetText(store::LocalStore& store, const util::Digest& key) {
  absl::StatusOr<std::optional<store::Entry>> got = store.Get(key, store::EntryType::kExplain);
  if (!got.ok() || !got->has_value()) return std::nullopt;
  const store::Payload* text = (*got)->Find(store::PayloadKind::kMetadata);
  if (text == nullptr) return std::nullopt;
  return text->data;
}

}  // namespace

absl::Status WriteExplainRecord(store::LocalStore& store, const ExplainRecord& record) {
  absl::Status by_object =
      PutText(store, ExplainRecordKey(record.object), EncodeExplainRecord(record));
  // Under the name key only the object's path: the record itself is stored once.
  absl::Status by_name = PutText(store, ExplainNameKey(record), record.object);
  return by_object.ok() ? by_name : by_object;
}

std::optional<ExplainRecord> ReadExplainRecord(store::LocalStore& store,
                                               const std::string& object) {
  std::optional<std::string> text = GetText(store, ExplainRecordKey(object));
  if (!text) return std::nullopt;
  std::optional<ExplainRecord> record = DecodeExplainRecord(*text);
  if (!record || record->object != object) return std::nullopt;
  return record;
}

std::optional<ExplainRecord> ReadNearestExplainRecord(store::LocalStore& store,
                                                      const ExplainRecord& record) {
  std::optional<std::string> object = GetText(store, ExplainNameKey(record));
  if (!object) return std::nullopt;
  return ReadExplainRecord(store, *object);
}

std::vector<Difference> CompareExplainRecords(const ExplainRecord& last, const ExplainRecord& now) {
  std::vector<Difference> out;
  auto add = [&out](std::string kind, std::string subject, std::string before, std::string after,
                    std::string text) {
    out.push_back({std::move(kind), std::move(subject), std::move(before), std::move(after),
                   std::move(text)});
  };
  const std::string compiler = now.argv.empty() ? "" : now.argv[0];
  if (last.compiler != now.compiler) {
    add("compiler", compiler, last.compiler, now.compiler,
        absl::StrCat("the compiler changed: ", compiler, " is another program (content ",
                     Short(last.compiler), " -> ", Short(now.compiler), ")"));
  } else if (last.compiler_key != now.compiler_key) {
    add("compiler_check", compiler, last.compiler_key, now.compiler_key,
        "the compiler's identity by compiler_check changed");
  }
  if (last.key_namespace != now.key_namespace) {
    add("namespace", "", last.key_namespace, now.key_namespace,
        absl::StrCat("namespace changed: \"", last.key_namespace, "\" -> \"", now.key_namespace,
                     "\""));
  }
  if (last.launcher != now.launcher) {
    add("prefix_command", "", last.launcher, now.launcher,
        absl::StrCat("prefix_command changed: \"", last.launcher, "\" -> \"", now.launcher,
                     "\" (a farm's results are kept apart from local ones)"));
  }
  // Arguments: what one list has and the other has not (as multisets, so a repeated flag counts).
  const size_t before_args = out.size();
  for (const bool added : {true, false}) {
    for (auto lists : {&ExplainRecord::args, &ExplainRecord::dep_args}) {
      const std::vector<std::string>& from = added ? now.*lists : last.*lists;
      const std::vector<std::string>& other = added ? last.*lists : now.*lists;
      absl::flat_hash_map<std::string, int> left;
      for (const std::string& a : other) ++left[a];
      for (const std::string& a : from) {
        if (left[a]-- > 0) continue;
        add(added ? "argument_added" : "argument_removed", a, added ? "" : a, added ? a : "",
            absl::StrCat(added ? "argument added: " : "argument removed: ", a));
      }
    }
  }
  if (out.size() == before_args && (last.args != now.args || last.dep_args != now.dep_args)) {
    add("argument_order", "", "", "", "the same arguments in another order");
  }
  if (last.base != now.base) {
    const std::string& note = now.base_note.empty() ? last.base_note : now.base_note;
    auto shown = [](const std::string& b) { return b.empty() ? std::string("none") : b; };
    if (last.base.empty() || now.base.empty()) {
      add("base_directory", now.base, last.base, now.base,
          absl::StrCat("the base directory changed: ", shown(last.base), " -> ", shown(now.base),
                       " (paths under it are keyed relative to it)"));
    } else if (!note.empty()) {
      add("directory_in_key", now.base, last.base, now.base,
          absl::StrCat("the checkout moved (", last.base, " -> ", now.base,
                       ") and its directory is in the key: ", note));
    }
  }
  if (last.cwd_in_key != now.cwd_in_key) {
    absl::string_view was = last.cwd_in_key;
    absl::string_view is = now.cwd_in_key;
    const bool direct_only = absl::ConsumePrefix(&is, "direct:");
    absl::ConsumePrefix(&was, "direct:");
    std::string text;
    if (was.empty() || is.empty()) {
      text =
          "whether the working directory is in the key changed (debug info, coverage or a "
          "prefix map changed)";
    } else if (direct_only) {
      text = absl::StrCat("direct mode keys its records by the working directory, which changed: ",
                          was, " -> ", is);
    } else {
      text = absl::StrCat(
          "the working directory is in the key (the output embeds it: -g without a "
          "-fdebug-prefix-map/-ffile-prefix-map covering it, coverage or a PCH), "
          "and it changed: ",
          was, " -> ", is);
    }
    add("directory_in_key", now.cwd, last.cwd_in_key, now.cwd_in_key, std::move(text));
  }
  {
    absl::flat_hash_map<std::string, std::string> before;
    for (const std::string& e : last.env) {
      before.emplace(e.substr(0, e.find('=')), e);
    }
    absl::flat_hash_set<std::string> seen;
    for (const std::string& e : now.env) {
      const std::string name = e.substr(0, e.find('='));
      seen.insert(name);
      auto it = before.find(name);
      if (it == before.end() || it->second != e) {
        add("environment", name, it == before.end() ? "" : it->second, e,
            absl::StrCat("environment variable ", name,
                         " changed: ", it == before.end() ? "(unset)" : it->second, " -> ", e));
      }
    }
    for (const auto& [name, e] : before) {
      if (!seen.contains(name)) {
        add("environment", name, e, "",
            absl::StrCat("environment variable ", name, " changed: ", e, " -> (unset)"));
      }
    }
  }
  const auto inputs_now = ByPath(now.inputs);
  for (const auto& [path, hex] : last.inputs) {
    auto it = inputs_now.find(path);
    const std::string after = it == inputs_now.end() ? "" : it->second;
    if (after != hex) {
      add("input_file", path, hex, after,
          absl::StrCat("file named by an option changed: ", path, " (", Short(hex), " -> ",
                       after.empty() ? "not in the command now" : Short(after), ")"));
    }
  }
  const auto files_now = ByPath(now.files);
  for (const auto& [path, hex] : last.files) {
    auto it = files_now.find(path);
    const std::string after = it == files_now.end() ? "" : it->second;
    if (after == hex) continue;
    if (after.empty()) {
      add("file_removed", path, hex, "",
          absl::StrCat("file read by the last compile is gone: ", path));
    } else {
      add("file_changed", path, hex, after,
          absl::StrCat("file changed: ", path, " (", Short(hex), " -> ", Short(after), ")"));
    }
  }
  return out;
}

std::string RenderExplainText(const ExplainReport& r) {
  std::string out = absl::StrCat(r.object, ": ");
  if (r.verdict == "uncacheable") {
    absl::StrAppend(&out, "not cacheable (", r.uncacheable, ")\n");
    return out;
  }
  absl::StrAppend(&out, "would ", r.verdict, " (", r.mode, " mode)");
  if (r.verdict == "hit") {
    out += "\n";
  } else if (!r.has_record) {
    out +=
        "; no earlier compile of it is recorded in this cache (first compile, or its record "
        "was cleared)\n";
  } else if (r.differences.empty()) {
    out +=
        "; nothing in its key changed since its last miss: the entry was removed (cleanup, "
        "zcwrap -C) or never stored (zcwrap -s says why)\n";
  } else {
    absl::StrAppend(&out, "; since its last miss:\n");
    for (const Difference& d : r.differences) absl::StrAppend(&out, "  ", d.text, "\n");
  }
  if (!r.last_compared_with.empty()) {
    absl::StrAppend(&out, "its last miss, against ", r.last_compared_with, ":\n");
    if (r.last_why.empty()) out += "  nothing in its key differed (the entry was gone)\n";
    for (const auto& [kind, text] : r.last_why) absl::StrAppend(&out, "  ", text, "\n");
  }
  return out;
}

std::string RenderExplainJson(const ExplainReport& r) {
  util::JsonObject o;
  o.Add("object", r.object)
      .Add("verdict", r.verdict)
      .Add("mode", r.mode)
      .Add("uncacheable", r.uncacheable)
      .AddBool("has_record", r.has_record)
      .Add("last_compared_with", r.last_compared_with);
  std::string why = "[";
  for (size_t i = 0; i < r.last_why.size(); ++i) {
    util::JsonObject w;
    w.Add("kind", r.last_why[i].first).Add("text", r.last_why[i].second);
    absl::StrAppend(&why, i ? ", " : "", w.Take());
  }
  o.AddRaw("last_why", why + "]");
  std::string diffs = "[";
  for (size_t i = 0; i < r.differences.size(); ++i) {
    const Difference& d = r.differences[i];
    util::JsonObject w;
    w.Add("kind", d.kind)
        .Add("subject", d.subject)
        .Add("before", d.before)
        .Add("after", d.after)
        .Add("text", d.text);
    absl::StrAppend(&diffs, i ? ", " : "", w.Take());
  }
  o.AddRaw("differences", diffs + "]");
  return o.Take() + "\n";
}

}  // namespace zc::compile

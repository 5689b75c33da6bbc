#include "cachecore/compile/explain.h"

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
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
  for (const std::string& e : r.env) Line(&out, "env", e);
  for (const auto& p : r.inputs) Pair(&out, "input", p);
  for (const auto& p : r.files) Pair(&out, "file", p);
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
    if (field == "input" || field == "file") {
      const size_t gap = rest.find(' ');
      if (gap == absl::string_view::npos) return std::nullopt;
      std::string path;
      if (!absl::CUnescape(rest.substr(gap + 1), &path)) return std::nullopt;
      (field == "input" ? r.inputs : r.files).emplace_back(path, std::string(rest.substr(0, gap)));
      continue;
    }
    std::string value;
    if (!absl::CUnescape(rest, &value)) return std::nullopt;
    if (field == "object")
      r.object = std::move(value);
    else if (field == "cwd")
      r.cwd = std::move(value);
    else if (field == "argv")
      r.argv.push_back(std::move(value));
    else if (field == "mode")
      r.mode = std::move(value);
    else if (field == "compiler")
      r.compiler = std::move(value);
    else if (field == "compiler_key")
      r.compiler_key = std::move(value);
    else if (field == "arg")
      r.args.push_back(std::move(value));
    else if (field == "dep_arg")
      r.dep_args.push_back(std::move(value));
    else if (field == "cwd_in_key")
      r.cwd_in_key = std::move(value);
    else if (field == "namespace")
      r.key_namespace = std::move(value);
    else if (field == "env")
      r.env.push_back(std::move(value));
  }
  if (r.object.empty() || r.argv.empty()) return std::nullopt;
  return r;
}

util::Digest ExplainRecordKey(const std::string& object) {
  util::Sha256 h;
  h.UpdateDelimited(kMagic);
  h.UpdateDelimited(object);
  return h.Finish();
}

absl::Status WriteExplainRecord(store::LocalStore& store, const ExplainRecord& record) {
  store::Entry entry;
  entry.type = store::EntryType::kExplain;
  entry.Add(store::PayloadKind::kMetadata, EncodeExplainRecord(record));
  return store.Put(ExplainRecordKey(record.object), entry);
}

std::optional<ExplainRecord> ReadExplainRecord(store::LocalStore& store,
                                               const std::string& object) {
  absl::StatusOr<std::optional<store::Entry>> got =
      store.Get(ExplainRecordKey(object), store::EntryType::kExplain);
  if (!got.ok() || !got->has_value()) return std::nullopt;
  const store::Payload* text = (*got)->Find(store::PayloadKind::kMetadata);
  if (text == nullptr) return std::nullopt;
  std::optional<ExplainRecord> record = DecodeExplainRecord(text->data);
  if (!record || record->object != object) return std::nullopt;
  return record;
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
  if (last.cwd_in_key != now.cwd_in_key) {
    add("directory_in_key", now.cwd, last.cwd_in_key, now.cwd_in_key,
        now.cwd_in_key.empty() || last.cwd_in_key.empty()
            ? "whether the working directory is in the key changed (debug info, coverage or a "
              "prefix map changed)"
            : absl::StrCat("the working directory is in the key (the output embeds it: -g "
                           "without a -fdebug-prefix-map/-ffile-prefix-map covering it, coverage "
                           "or a PCH), and it changed: ",
                           last.cwd_in_key, " -> ", now.cwd_in_key));
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
  if (r.verdict == "hit") return out + "\n";
  if (!r.has_record) {
    return out +
           "; no earlier compile of it is recorded in this cache (first compile, or its "
           "record was cleared)\n";
  }
  if (r.differences.empty()) {
    return out +
           "; nothing in its key changed since its last miss: the entry was removed "
           "(cleanup, zcwrap -C) or never stored (zcwrap -s says why)\n";
  }
  absl::StrAppend(&out, "; since its last miss:\n");
  for (const Difference& d : r.differences) absl::StrAppend(&out, "  ", d.text, "\n");
  return out;
}

std::string RenderExplainJson(const ExplainReport& r) {
  std::string out =
      absl::StrCat("{\"object\": \"", util::JsonEscape(r.object), "\", \"verdict\": \"", r.verdict,
                   "\", \"mode\": \"", r.mode, "\", \"uncacheable\": \"", r.uncacheable,
                   "\", \"has_record\": ", r.has_record ? "true" : "false", ", \"differences\": [");
  for (size_t i = 0; i < r.differences.size(); ++i) {
    const Difference& d = r.differences[i];
    absl::StrAppend(&out, i ? ", " : "", "{\"kind\": \"", d.kind, "\", \"subject\": \"",
                    util::JsonEscape(d.subject), "\", \"before\": \"", util::JsonEscape(d.before),
                    "\", \"after\": \"", util::JsonEscape(d.after), "\", \"text\": \"",
                    util::JsonEscape(d.text), "\"}");
  }
  return out + "]}\n";
}

}  // namespace zc::compile

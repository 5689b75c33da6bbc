#include "cachecore/config/config.h"

#include <cstdlib>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "cachecore/remote/tier_spec.h"
#include "cachecore/util/atomic_file.h"
#include "cachecore/util/file_io.h"
#include "cachecore/util/size_format.h"
#include "cachecore/util/status_macros.h"

namespace zc::config {
namespace {

constexpr absl::string_view kConfigFileName = "zcwrap.conf";

absl::Status ParseBool(absl::string_view value, bool* out) {
  std::string v = absl::AsciiStrToLower(absl::StripAsciiWhitespace(value));
  if (v == "1" || v == "true" || v == "yes" || v == "on") {
    *out = true;
  } else if (v == "0" || v == "false" || v == "no" || v == "off" || v.empty()) {
    *out = false;
  } else {
    return absl::InvalidArgumentError("expected true or false");
  }
  return absl::OkStatus();
}

std::string ShowBool(bool b) { return b ? "true" : "false"; }

struct KeyInfo {
  absl::string_view name;
  absl::string_view env;
  bool file_allowed;
  absl::string_view description;  // for the man page (wrapper/zcwrap.1.in)
  absl::Status (*apply)(absl::string_view value, Config* config);
  std::string (*show)(const Config& config);
};

// Sorted by name (a unit test checks it). Adding a key: one row here, a field in Config.
constexpr KeyInfo kKeys[] = {
    {"audit_file", "ZCWRAP_AUDIT_FILE", true,
     "A file that receives one JSON line per event of every compile (start, hit, miss, fallback, "
     "finish; docs/audit.md). Relative to the compile's directory. Empty: no audit events.",
     [](absl::string_view v, Config* c) {
       c->audit_file = std::string(v);
       return absl::OkStatus();
     },
     [](const Config& c) { return c.audit_file; }},
    {"audit_mode", "ZCWRAP_AUDIT_MODE", true,
     "How much the audit events say: off, summary (one line per compile), normal, or verbose (adds "
     "the environment, with secrets redacted).",
     [](absl::string_view v, Config* c) {
       std::string mode = absl::AsciiStrToLower(absl::StripAsciiWhitespace(v));
       if (mode != "off" && mode != "summary" && mode != "normal" && mode != "verbose") {
         return absl::InvalidArgumentError("expected off, summary, normal or verbose");
       }
       c->audit_mode = mode;
       return absl::OkStatus();
     },
     [](const Config& c) { return c.audit_mode; }},
    {"base_dir", "ZCWRAP_BASE_DIR", true,
     "Paths under this directory are keyed relative to it, so checkouts in different places share "
     "results where that is provably safe: auto (the top of the enclosing git, hg or svn "
     "checkout), none (or empty), or an absolute path.",
     [](absl::string_view v, Config* c) {
       std::string dir(absl::StripAsciiWhitespace(v));
       if (dir.empty()) dir = "none";  // ccache's meaning of an empty base_dir
       if (dir != "auto" && dir != "none" && dir.front() != '/') {
         return absl::InvalidArgumentError("expected auto, none or an absolute path");
       }
       c->base_dir = std::move(dir);
       return absl::OkStatus();
     },
     [](const Config& c) { return c.base_dir; }},
    {"cache_dir", "ZCWRAP_DIR", false,
     "The cache directory, holding entries, statistics and zcwrap.conf. Set only by ZCWRAP_DIR, "
     "never by the file inside it.",
     [](absl::string_view v, Config* c) {
       if (v.empty()) return absl::InvalidArgumentError("must not be empty");
       c->cache_dir = std::string(v);
       return absl::OkStatus();
     },
     [](const Config& c) { return c.cache_dir; }},
    {"compiler_check", "ZCWRAP_COMPILERCHECK", true,
     "How the compiler itself enters the key: content (a hash of the executable), mtime (size and "
     "modification time), none, string:VALUE, or commands separated by ';' whose output identifies "
     "the compiler, run on every compile (\"%compiler% -v\").",
     [](absl::string_view v, Config* c) {
       std::string check(absl::StripAsciiWhitespace(v));
       if (check.empty()) {
         return absl::InvalidArgumentError(
             "expected content, mtime, none, string:VALUE or a command");
       }
       c->compiler_check = std::move(check);
       return absl::OkStatus();
     },
     [](const Config& c) { return c.compiler_check; }},
    {"compression_level", "ZCWRAP_COMPRESSION_LEVEL", true,
     "The zstd level entries are stored with, from -5 to 19; 0 stores them uncompressed.",
     [](absl::string_view v, Config* c) {
       int level = 0;
       if (!absl::SimpleAtoi(v, &level) || level < -5 || level > 19) {
         return absl::InvalidArgumentError(
             "expected an integer from -5 to 19 (0 = no compression)");
       }
       c->compression_level = level;
       return absl::OkStatus();
     },
     [](const Config& c) { return absl::StrCat(c.compression_level); }},
    {"daemon", "ZCWRAP_DAEMON", true,
     "Whether compiles go through the per-cache daemon: auto (start it on first use), on (the "
     "same, and warn in the log if it cannot be used), or off (compile in-process).",
     [](absl::string_view v, Config* c) {
       std::string mode = absl::AsciiStrToLower(absl::StripAsciiWhitespace(v));
       if (mode != "off" && mode != "auto" && mode != "on") {
         return absl::InvalidArgumentError("expected off, auto or on");
       }
       c->daemon = mode;
       return absl::OkStatus();
     },
     [](const Config& c) { return c.daemon; }},
    {"daemon_idle_timeout", "ZCWRAP_DAEMON_IDLE_TIMEOUT", true,
     "Seconds without requests after which the daemon exits; 0 keeps it running.",
     [](absl::string_view v, Config* c) {
       int seconds = 0;
       if (!absl::SimpleAtoi(v, &seconds) || seconds < 0) {
         return absl::InvalidArgumentError("expected a number of seconds (0 = never)");
       }
       c->daemon_idle_timeout = seconds;
       return absl::OkStatus();
     },
     [](const Config& c) { return absl::StrCat(c.daemon_idle_timeout); }},
    {"direct_mode", "ZCWRAP_DIRECT", true,
     "Look results up by the source and the headers it read last time (manifests) before running "
     "the preprocessor. false: preprocessor mode only.",
     [](absl::string_view v, Config* c) { return ParseBool(v, &c->direct_mode); },
     [](const Config& c) { return ShowBool(c.direct_mode); }},
    {"disable", "ZCWRAP_DISABLE", true,
     "Run the compiler untouched, neither looking up nor storing anything.",
     [](absl::string_view v, Config* c) { return ParseBool(v, &c->disable); },
     [](const Config& c) { return ShowBool(c.disable); }},
    {"extra_files_to_hash", "ZCWRAP_EXTRAFILES", true,
     "Files (separated by ':', relative to the compile's directory) whose content goes into every "
     "key. A missing one is keyed as absent.",
     [](absl::string_view v, Config* c) {
       c->extra_files_to_hash.clear();
       for (absl::string_view path : absl::StrSplit(v, ':', absl::SkipWhitespace())) {
         c->extra_files_to_hash.emplace_back(absl::StripAsciiWhitespace(path));
       }
       return absl::OkStatus();
     },
     [](const Config& c) { return absl::StrJoin(c.extra_files_to_hash, ":"); }},
    {"ignore_options", "ZCWRAP_IGNOREOPTIONS", true,
     "Options left out of the key though still passed to the compiler, separated by spaces; "
     "PREFIX* matches every option starting with PREFIX. The output must not depend on them.",
     [](absl::string_view v, Config* c) {
       c->ignore_options = absl::StrSplit(v, absl::ByAnyChar(" \t"), absl::SkipWhitespace());
       for (const std::string& option : c->ignore_options) {
         if (option == "*") return absl::InvalidArgumentError("\"*\" would ignore every option");
       }
       return absl::OkStatus();
     },
     [](const Config& c) { return absl::StrJoin(c.ignore_options, " "); }},
    {"log_file", "ZCWRAP_LOGFILE", true,
     "A debug log: one line per call with its outcome, timings and reasons. Empty: no log.",
     [](absl::string_view v, Config* c) {
       c->log_file = std::string(v);
       return absl::OkStatus();
     },
     [](const Config& c) { return c.log_file; }},
    {"max_files", "ZCWRAP_MAX_FILES", true, "The most entries the cache keeps; 0 means no limit.",
     [](absl::string_view v, Config* c) {
       uint64_t n = 0;
       if (!absl::SimpleAtoi(v, &n)) return absl::InvalidArgumentError("expected a whole number");
       c->max_files = n;
       return absl::OkStatus();
     },
     [](const Config& c) { return absl::StrCat(c.max_files); }},
    {"max_size", "ZCWRAP_MAX_SIZE", true,
     "The most the cache may hold, with a suffix K, M, G or T (all powers of 1024; KB, KiB and Ki "
     "mean the same as K); 0 means no limit. Cleanup removes the least recently used entries.",
     [](absl::string_view v, Config* c) {
       absl::StatusOr<uint64_t> size = util::ParseSize(v);
       if (!size.ok()) return absl::InvalidArgumentError("expected a size such as 500M or 5G");
       c->max_size = *size;
       return absl::OkStatus();
     },
     [](const Config& c) { return util::FormatSize(c.max_size); }},
    {"namespace", "ZCWRAP_NAMESPACE", true,
     "Mixed into every key: caches with different namespaces never share an entry, even in one "
     "directory or remote store.",
     [](absl::string_view v, Config* c) {
       c->key_namespace = std::string(v);
       return absl::OkStatus();
     },
     [](const Config& c) { return c.key_namespace; }},
    {"prefix_command", "ZCWRAP_PREFIX", true,
     "A launcher misses are compiled through, as PREFIX compiler args... (distcc, icecc): words "
     "separated by spaces, the first a program found in PATH. Only the compile of a miss goes "
     "through it; a run it fails for a reason not the compiler's is run again locally "
     "(docs/distributed.md).",
     [](absl::string_view v, Config* c) {
       c->prefix_command =
           absl::StrJoin(absl::StrSplit(v, absl::ByAnyChar(" \t"), absl::SkipWhitespace()), " ");
       return absl::OkStatus();
     },
     [](const Config& c) { return c.prefix_command; }},
    {"readonly", "ZCWRAP_READONLY", true, "Use hits but never store anything, locally or remotely.",
     [](absl::string_view v, Config* c) { return ParseBool(v, &c->readonly); },
     [](const Config& c) { return ShowBool(c.readonly); }},
    {"recache", "ZCWRAP_RECACHE", true, "Never use a hit: compile, then overwrite the entry.",
     [](absl::string_view v, Config* c) { return ParseBool(v, &c->recache); },
     [](const Config& c) { return ShowBool(c.recache); }},
    {"remote_jobs", "ZCWRAP_REMOTE_JOBS", true,
     "With prefix_command set, the most compiles the daemon or an embedding host runs through it "
     "at once. They do not take the local budget of one compiler per core; the preprocessor and "
     "local retries still do. 0: no limit of zcwrap's (the build's -j and the farm decide).",
     [](absl::string_view v, Config* c) {
       int jobs = 0;
       if (!absl::SimpleAtoi(v, &jobs) || jobs < 0) {
         return absl::InvalidArgumentError("expected a whole number (0 = no limit)");
       }
       c->remote_jobs = jobs;
       return absl::OkStatus();
     },
     [](const Config& c) { return absl::StrCat(c.remote_jobs); }},
    {"remote_key_file", "ZCWRAP_REMOTE_KEY_FILE", true,
     "An absolute path to a file of at least 16 bytes: the team's secret. Remote values are signed "
     "with it (HMAC-SHA256) and values without a valid signature are refused.",
     [](absl::string_view v, Config* c) {
       std::string path(absl::StripAsciiWhitespace(v));
       if (!path.empty() && path.front() != '/') {
         return absl::InvalidArgumentError("expected an absolute path");
       }
       c->remote_key_file = std::move(path);
       return absl::OkStatus();
     },
     [](const Config& c) { return c.remote_key_file; }},
    {"remote_storage", "ZCWRAP_REMOTE_STORAGE", true,
     "Remote tiers asked after a local miss and written after a store, separated by spaces, each "
     "URL|attribute=value|...: redis://, redis+unix://, http(s)://, s3:// and file:// "
     "(docs/remote.md). Secrets in it are shown as ***.",
     [](absl::string_view v, Config* c) {
       absl::StatusOr<std::vector<remote::TierSpec>> tiers = remote::ParseRemoteStorage(v);
       if (!tiers.ok()) return tiers.status();
       c->remote_storage = std::string(absl::StripAsciiWhitespace(v));
       std::vector<std::string> shown;
       for (const remote::TierSpec& t : *tiers) shown.push_back(t.shown);
       c->remote_storage_shown = absl::StrJoin(shown, " ");
       return absl::OkStatus();
     },
     [](const Config& c) { return c.remote_storage_shown; }},
};

const KeyInfo* FindKey(absl::string_view name) {
  for (const KeyInfo& k : kKeys) {
    if (k.name == name) return &k;
  }
  return nullptr;
}

absl::Status BadValue(const KeyInfo& key, absl::string_view value, absl::string_view where,
                      const absl::Status& why) {
  // remote_storage may hold passwords: its parser's message names the URL with them redacted.
  if (key.name == "remote_storage") {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid value for ", key.name, " in ", where, ": ", why.message()));
  }
  // Escaped, so that the message stays on one line whatever the value holds.
  return absl::InvalidArgumentError(absl::StrCat("invalid value \"", absl::CHexEscape(value),
                                                 "\" for ", key.name, " in ", where, ": ",
                                                 why.message()));
}

// Splits a config line into key and value; false for a line that is not `key = value`.
bool SplitLine(absl::string_view line, absl::string_view* key, absl::string_view* value) {
  size_t eq = line.find('=');
  if (eq == absl::string_view::npos) return false;
  *key = absl::StripAsciiWhitespace(line.substr(0, eq));
  *value = absl::StripAsciiWhitespace(line.substr(eq + 1));
  return !key->empty();
}

bool IsBlankOrComment(absl::string_view line) {
  absl::string_view s = absl::StripAsciiWhitespace(line);
  return s.empty() || s.front() == '#';
}

absl::StatusOr<std::string> DefaultCacheDir(const EnvLookup& env) {
  if (auto dir = env("ZCWRAP_DIR"); dir && !dir->empty()) return *dir;
  if (auto xdg = env("XDG_CACHE_HOME"); xdg && !xdg->empty()) return util::JoinPath(*xdg, "zcwrap");
  if (auto home = env("HOME"); home && !home->empty()) {
    return util::JoinPath(*home, ".cache/zcwrap");
  }
  return absl::FailedPreconditionError("cannot find a cache directory: set ZCWRAP_DIR or HOME");
}

}  // namespace

absl::string_view OriginName(Origin origin) {
  switch (origin) {
    case Origin::kDefault: return "default";
    case Origin::kFile: return "file";
    case Origin::kEnvironment: return "environment";
  }
  return "?";
}

std::string Config::ConfigFilePath() const { return util::JoinPath(cache_dir, kConfigFileName); }

EnvLookup ProcessEnv() {
  return [](absl::string_view name) -> std::optional<std::string> {
    const char* v = std::getenv(std::string(name).c_str());
    if (v == nullptr) return std::nullopt;
    return std::string(v);
  };
}

EnvLookup ListEnv(const std::vector<std::string>& env) {
  return [&env](absl::string_view name) -> std::optional<std::string> {
    for (const std::string& kv : env) {
      if (kv.size() > name.size() && kv[name.size()] == '=' && absl::StartsWith(kv, name)) {
        return kv.substr(name.size() + 1);
      }
    }
    return std::nullopt;
  };
}

std::vector<absl::string_view> ConfigKeys() {
  std::vector<absl::string_view> keys;
  for (const KeyInfo& k : kKeys) keys.push_back(k.name);
  return keys;
}

std::vector<KeyDoc> KeyDocs() {
  const Config defaults;
  std::vector<KeyDoc> docs;
  for (const KeyInfo& k : kKeys) {
    std::string value =
        k.name == "cache_dir" ? "$XDG_CACHE_HOME/zcwrap, else ~/.cache/zcwrap" : k.show(defaults);
    docs.push_back({k.name, k.env, k.file_allowed, std::move(value), k.description});
  }
  return docs;
}

absl::string_view EnvNameFor(absl::string_view key) {
  const KeyInfo* info = FindKey(key);
  return info == nullptr ? absl::string_view() : info->env;
}

namespace {

// LoadConfig's work. A bad line or value is returned as the error when `bad` is null; otherwise
// the first one is kept in *bad, the key keeps its earlier value, and loading goes on.
absl::StatusOr<Config> Load(const EnvLookup& env, absl::Status* bad) {
  Config config;
  auto keep_going = [bad](absl::Status status) {
    if (bad == nullptr) return false;
    if (bad->ok()) *bad = std::move(status);
    return true;
  };
  struct Source {
    Origin origin = Origin::kDefault;
    std::string where;
  };
  Source sources[std::size(kKeys)];

  ZC_ASSIGN_OR_RETURN(config.cache_dir, DefaultCacheDir(env));
  if (auto d = env("ZCWRAP_DIR"); d && !d->empty()) {
    sources[FindKey("cache_dir") - kKeys] = {Origin::kEnvironment, "ZCWRAP_DIR"};
  }

  const std::string file_path = config.ConfigFilePath();
  absl::StatusOr<std::string> text = util::ReadFileToString(file_path);
  if (!text.ok() && !absl::IsNotFound(text.status())) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot read config file ", text.status().message()));
  }
  if (text.ok()) {
    int line_no = 0;
    for (absl::string_view line : absl::StrSplit(*text, '\n')) {
      ++line_no;
      if (IsBlankOrComment(line)) continue;
      const std::string where = absl::StrCat(file_path, ":", line_no);
      absl::string_view key, value;
      if (!SplitLine(line, &key, &value)) {
        absl::Status error = absl::InvalidArgumentError(
            absl::StrCat("expected \"key = value\" in ", where, ", got \"", line, "\""));
        if (keep_going(error)) continue;
        return error;
      }
      const KeyInfo* info = FindKey(key);
      if (info == nullptr || !info->file_allowed) {
        absl::Status error =
            absl::InvalidArgumentError(absl::StrCat("unknown config key \"", key, "\" in ", where));
        if (keep_going(error)) continue;
        return error;
      }
      Config before = config;
      absl::Status status = info->apply(value, &config);
      if (!status.ok()) {
        absl::Status error = BadValue(*info, value, where, status);
        config = std::move(before);  // a rejected value changes nothing
        if (keep_going(error)) continue;
        return error;
      }
      sources[info - kKeys] = {Origin::kFile, where};
    }
  }

  for (const KeyInfo& info : kKeys) {
    if (info.name == "cache_dir") continue;  // resolved above
    std::optional<std::string> value = env(info.env);
    if (!value) continue;
    Config before = config;
    absl::Status status = info.apply(*value, &config);
    if (!status.ok()) {
      absl::Status error = BadValue(info, *value, info.env, status);
      config = std::move(before);
      if (keep_going(error)) continue;
      return error;
    }
    sources[&info - kKeys] = {Origin::kEnvironment, std::string(info.env)};
  }

  for (size_t i = 0; i < std::size(kKeys); ++i) {
    config.shown.push_back(
        {std::string(kKeys[i].name), kKeys[i].show(config), sources[i].origin, sources[i].where});
  }
  return config;
}

}  // namespace

absl::StatusOr<Config> LoadConfig(const EnvLookup& env) { return Load(env, nullptr); }

absl::StatusOr<Config> LoadConfigKeepingGoing(const EnvLookup& env, absl::Status* bad) {
  *bad = absl::OkStatus();
  return Load(env, bad);
}

absl::Status SetConfigValue(const std::string& path, absl::string_view key,
                            absl::string_view value) {
  const KeyInfo* info = FindKey(key);
  if (info == nullptr || !info->file_allowed) {
    return absl::InvalidArgumentError(absl::StrCat("unknown config key \"", key, "\""));
  }
  if (value.find_first_of("\r\n") != absl::string_view::npos) {
    return BadValue(*info, value, path, absl::InvalidArgumentError("must be a single line"));
  }
  Config scratch;
  absl::Status valid = info->apply(value, &scratch);
  if (!valid.ok()) return BadValue(*info, value, path, valid);

  absl::StatusOr<std::string> text = util::ReadFileToString(path);
  if (!text.ok() && !absl::IsNotFound(text.status())) return text.status();
  std::string out;
  bool replaced = false;
  if (text.ok() && !text->empty()) {
    std::vector<absl::string_view> lines = absl::StrSplit(*text, '\n');
    if (!lines.empty() && lines.back().empty()) lines.pop_back();
    for (absl::string_view line : lines) {
      absl::string_view k, v;
      if (!IsBlankOrComment(line) && SplitLine(line, &k, &v) && k == key) {
        if (!replaced) absl::StrAppend(&out, key, " = ", value, "\n");
        replaced = true;
        continue;
      }
      absl::StrAppend(&out, line, "\n");
    }
  }
  if (!replaced) absl::StrAppend(&out, key, " = ", value, "\n");
  // Private when zcwrap makes it, like the cache directory it usually is (store/local_store.cc).
  ZC_RETURN_IF_ERROR(util::CreateDirectories(std::string(util::Dirname(path)), 0700));
  return util::WriteFileAtomically(path, out);
}

}  // namespace zc::config

// Writes the seed corpora of tests/fuzz/corpus/ with the real encoders, so the seeds are what
// zcwrap writes today (README.md: rerun after a format change). Regression files (named
// regress-*) are not made here: they are the inputs of crashes once found, kept as they were.
//
//   ninja -C build tests/fuzz/make_fuzz_corpus && build/tests/fuzz/make_fuzz_corpus
//   tests/fuzz/corpus
#include <sys/stat.h>

#include <cstdio>
#include <cstring>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "cachecore/compile/dep_file.h"
#include "cachecore/compile/manifest.h"
#include "cachecore/remote/remote_entry.h"
#include "cachecore/remote/tier_state.h"
#include "cachecore/store/entry_format.h"
#include "cachecore/util/sha256.h"
#include "tests/fuzz/scratch_dir.h"

namespace zc::fuzz {
namespace {

std::string root;

void Seed(absl::string_view target, absl::string_view name, absl::string_view data) {
  const std::string dir = absl::StrCat(root, "/", target);
  ::mkdir(dir.c_str(), 0755);
  WriteScratchFile(absl::StrCat(dir, "/", name), data);
}

std::string Encode(const store::Entry& entry, int level) {
  absl::StatusOr<std::string> file = store::EncodeEntry(entry, level);
  if (!file.ok()) {
    std::fprintf(stderr, "EncodeEntry: %s\n", file.status().ToString().c_str());
    std::exit(1);
  }
  return *file;
}

store::Entry ResultEntry() {
  store::Entry e{store::EntryType::kResult};
  e.Add(store::PayloadKind::kObject, std::string("\x7f"
                                                 "ELF\x02\x01\x01\0\0\0\0\0",
                                                 12));
  e.Add(store::PayloadKind::kDependency, "obj/a.o: src/a.c include/a.h\n");
  e.Add(store::PayloadKind::kStderr, "src/a.c:3:5: warning: unused variable 'x'\n");
  e.Add(store::PayloadKind::kSideFile, "main 16 static\n", ".su");
  e.Add(store::PayloadKind::kMetadata, "output=obj/a.o\n");
  e.SetExitCode(0);
  return e;
}

compile::Manifest SampleManifest(absl::string_view base) {
  compile::Manifest m;
  compile::ManifestRecord pre;
  pre.kind = compile::RecordKind::kPreprocess;
  m.AddRecord(pre);
  compile::ManifestRecord rec;
  rec.result_key = util::Sha256::Of("result");
  rec.base = std::string(base);
  rec.verify_file_macros = !base.empty();
  compile::ManifestFile src;
  src.path = absl::StrCat(base.empty() ? "" : absl::StrCat(base, "/"), "src/a.c");
  src.digest = util::Sha256::Of("int main() {}");
  src.signature = {2049, 1234, 13, 1700000000000000000, 1700000000000000000};
  src.trust_signature = true;
  rec.files.push_back(src);
  compile::ManifestFile gch = src;
  gch.path = "include/a.h.gch";
  gch.directory = true;
  gch.trust_signature = false;
  gch.pin_mtime = true;
  rec.files.push_back(gch);
  compile::DirWatch watch;
  watch.dir = absl::StrCat(base.empty() ? "/usr/include" : base);
  watch.signature = {2049, 99, 1700000000000000000, 1700000000000000000};
  watch.names = {{"a.h", false}, {"stdio.h", true}};
  rec.guard.push_back(watch);
  m.AddRecord(rec);
  return m;
}

void EntrySeeds() {
  Seed("entry_format", "result_plain", Encode(ResultEntry(), 0));
  Seed("entry_format", "result_zstd1", Encode(ResultEntry(), 1));
  Seed("entry_format", "empty_result", Encode(store::Entry{store::EntryType::kResult}, 0));
  store::Entry manifest{store::EntryType::kManifest};
  manifest.Add(store::PayloadKind::kManifest, compile::EncodeManifest(SampleManifest("")));
  Seed("entry_format", "manifest_zstd3", Encode(manifest, 3));
  store::Entry explain{store::EntryType::kExplain};
  explain.Add(store::PayloadKind::kMetadata, "compiler=/usr/bin/gcc\nsource=src/a.c\n");
  Seed("entry_format", "explain_plain", Encode(explain, 0));
}

void ManifestSeeds() {
  Seed("manifest", "two_records", compile::EncodeManifest(SampleManifest("")));
  Seed("manifest", "base_relative",
       compile::EncodeManifest(SampleManifest("/ci/checkout"), "/ci/checkout"));
  Seed("manifest", "empty", compile::EncodeManifest(compile::Manifest{}));
}

void RemoteSeeds() {
  // Signed with a secret of its own: the target's secret must not open them as they are.
  constexpr absl::string_view kCorpusSecret = "corpus-secret";
  const util::Digest key{};
  const std::string result_name = remote::RemoteName(key, store::EntryType::kResult);
  const std::string manifest_name = remote::RemoteName(key, store::EntryType::kManifest);
  const std::string result = Encode(ResultEntry(), 1);
  store::Entry manifest{store::EntryType::kManifest};
  manifest.Add(store::PayloadKind::kManifest, compile::EncodeManifest(SampleManifest("")));
  const std::string manifest_file = Encode(manifest, 0);
  Seed("remote_entry", "result_unsigned", absl::StrCat("\x01", result));
  Seed("remote_entry", "result_signed",
       absl::StrCat("\x01", remote::Seal(result, result_name, kCorpusSecret)));
  Seed("remote_entry", "manifest_signed",
       absl::StrCat("\x02", remote::Seal(manifest_file, manifest_name, kCorpusSecret)));
  Seed("remote_entry", "wrong_type", absl::StrCat("\x02", result));
}

void TierStateSeeds() {
  // Slots only (mode byte 2: valid header, cool-down 1 s), now = 1000000 ms.
  std::string slots(remote::TierState::kSlots * 8, '\0');
  auto set = [&](size_t slot, uint64_t v) { std::memcpy(&slots[slot * 8], &v, 8); };
  int64_t now = 1000000;
  std::string head("\x02", 1);
  head.append(reinterpret_cast<const char*>(&now), 8);
  Seed("tier_state", "closed", head + slots);
  set(0, 3);        // failures
  set(1, 1030000);  // open until
  set(3, 2);        // level
  set(8, 10);       // read hits
  set(32 + 20, 5);  // a get latency bucket
  Seed("tier_state", "open", head + slots);
  set(1, 999000);  // cool-down over: a probe may go
  set(2, 0);
  Seed("tier_state", "half_open", head + slots);
  // A whole file (mode bit 0) that is foreign: replaced.
  Seed("tier_state", "foreign_file", std::string("\x03", 1) + std::string(8, '\0') + "ZCWS\x01");
}

void TextSeeds() {
  // Arguments: NUL-terminated arguments, an empty one, then the response file.
  using namespace std::string_literals;
  Seed("arguments", "plain_compile", "-c\0-O2\0-o\0obj/a.o\0src/a.c\0\0"s);
  Seed("arguments", "response_file",
       "-c\0@rsp\0-o\0obj/a.o\0\0-O2 -DNAME=\"a b\" 'src/my file.c' -I\\ inc -MD -MF obj/a.d\n"s);
  Seed("arguments", "split_dwarf_pch",
       "-gsplit-dwarf\0-include\0pch.h\0-x\0c++\0-c\0a.cc\0-fprofile-use=p.gcda\0@rsp\0\0-MMD"
       " -MT x -Wa,-adhln=a.lst -fstack-usage -ffile-prefix-map=/src=.\n"s);
  Seed("arguments", "uncacheable", "-E\0a.c\0@missing\0\0"s);

  Seed("config", "every_kind",
       "# a comment\nmax_size = 5G\nmax_files = 10000\ncompression_level = 3\n"
       "direct_mode = false\ndaemon = off\nbase_dir = /ci/checkout\n"
       "extra_files_to_hash = a.txt:b.txt\nignore_options = -fdiagnostics-color* -Wall\n"
       "remote_storage = redis://:secret@cache:6379|read-only\n");
  Seed("config", "bad_lines",
       "max_size = lots\nnot a setting\nunknown_key = 1\n\n  readonly=yes\r\n");

  const std::string gcc =
      "\x07"
      "out/b.oobj/a.o: src/a.c /usr/include/stdio.h /usr/include/stdlib.h \\\n"
      " include/config.h include/very/long/path/to/a/header/that/wraps.h\n";
  Seed("dep_file", "gcc_wrapped", gcc);
  Seed("dep_file", "clang_wrapped",
       "\x05"
       "b c.oobj/a.o: src/a.c /usr/include/stdio.h /usr/include/stdlib.h \\\n"
       "  include/config.h include/very/long/path/to/a/header/that/wraps.h\n"
       "include/config.h:\n");
  Seed("dep_file", "escapes",
       "\x00"
       "obj/a.o: src/my\\ file.c inc/\\#odd.h $$dollar.h \\\r\n next.h\n"s);
  Seed("dep_file", "mp_phony",
       std::string("\x03") + "x.o" +
           compile::RewrapDependencies("obj/a.o: a.c a.h\n\na.h:\n", compile::DepWrap::kGcc));

  Seed("tier_spec", "every_scheme",
       "redis://user:p%40ss@cache:6379/2|read-only|connect-timeout=50 "
       "redis+unix://:pw1234@/run/redis.sock?db=1 "
       "http://u:hunter22@[::1]:8080/cache|layout=bazel|header=X-Token=abcd1234 "
       "file:///srv/cache|cool-down=5");
  Seed("tier_spec", "s3_credentials",
       "s3://bucket/prefix|endpoint=http://127.0.0.1:4568|region=eu-west-1|profile=ci\0"
       "[default]\naws_access_key_id = AKIADEFAULT\n[ci]\naws_access_key_id=AKIACI\n"
       "aws_secret_access_key = s3cr3tk3y\naws_session_token=t0k3n\n"s);
  Seed("tier_spec", "bad_url", "redis://cache:99999|operation-timeout=0");
}

}  // namespace
}  // namespace zc::fuzz

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s tests/fuzz/corpus\n", argv[0]);
    return 2;
  }
  zc::fuzz::root = argv[1];
  ::mkdir(argv[1], 0755);
  zc::fuzz::EntrySeeds();
  zc::fuzz::ManifestSeeds();
  zc::fuzz::RemoteSeeds();
  zc::fuzz::TierStateSeeds();
  zc::fuzz::TextSeeds();
  return 0;
}

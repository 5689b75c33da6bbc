// Replays every checked-in corpus file of tests/fuzz/corpus/<name>/ through its fuzz target, in
// every build (gcc and ASan too, without libFuzzer): seeds and the inputs of crashes once found
// stay regression tests. A target that crashes or traps fails the whole program, naming the file
// in the last "replaying" line of the log.
#include <dirent.h>

#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cachecore/util/file_io.h"
#include "cachecore/util/scoped_dir.h"
#include "gtest/gtest.h"
#include "tests/fuzz/arguments_fuzz_target.h"
#include "tests/fuzz/config_fuzz_target.h"
#include "tests/fuzz/dep_file_fuzz_target.h"
#include "tests/fuzz/entry_format_fuzz_target.h"
#include "tests/fuzz/manifest_fuzz_target.h"
#include "tests/fuzz/remote_entry_fuzz_target.h"
#include "tests/fuzz/tier_spec_fuzz_target.h"
#include "tests/fuzz/tier_state_fuzz_target.h"

namespace zc::fuzz {
namespace {

using Target = void (*)(const uint8_t*, size_t);

// Every file of corpus/<name>, through `target`; the number replayed.
int Replay(const std::string& name, Target target) {
  const std::string dir = absl::StrCat(ZCWRAP_SOURCE_DIR, "/tests/fuzz/corpus/", name);
  util::ScopedDir d(::opendir(dir.c_str()));
  EXPECT_TRUE(d.valid()) << dir;
  if (!d.valid()) return 0;
  std::vector<std::string> files;
  while (struct dirent* e = ::readdir(d.get())) {
    if (e->d_name[0] != '.') files.push_back(dir + "/" + e->d_name);
  }
  for (const std::string& file : files) {
    absl::StatusOr<std::string> data = util::ReadFileToString(file);
    EXPECT_TRUE(data.ok()) << data.status();
    if (!data.ok()) continue;
    std::fprintf(stderr, "replaying %s\n", file.c_str());  // the culprit if the target traps
    target(reinterpret_cast<const uint8_t*>(data->data()), data->size());
  }
  return static_cast<int>(files.size());
}

TEST(FuzzCorpusTest, ArgumentsCorpusReplaysCleanly) {
  EXPECT_GT(Replay("arguments", FuzzArgumentsOnce), 0);
}

TEST(FuzzCorpusTest, ConfigCorpusReplaysCleanly) { EXPECT_GT(Replay("config", FuzzConfigOnce), 0); }

TEST(FuzzCorpusTest, DepFileCorpusReplaysCleanly) {
  EXPECT_GT(Replay("dep_file", FuzzDepFileOnce), 0);
}

TEST(FuzzCorpusTest, EntryFormatCorpusReplaysCleanly) {
  EXPECT_GT(Replay("entry_format", FuzzEntryFormatOnce), 0);
}

TEST(FuzzCorpusTest, ManifestCorpusReplaysCleanly) {
  EXPECT_GT(Replay("manifest", FuzzManifestOnce), 0);
}

TEST(FuzzCorpusTest, RemoteEntryCorpusReplaysCleanly) {
  EXPECT_GT(Replay("remote_entry", FuzzRemoteEntryOnce), 0);
}

TEST(FuzzCorpusTest, TierSpecCorpusReplaysCleanly) {
  EXPECT_GT(Replay("tier_spec", FuzzTierSpecOnce), 0);
}

TEST(FuzzCorpusTest, TierStateCorpusReplaysCleanly) {
  EXPECT_GT(Replay("tier_state", FuzzTierStateOnce), 0);
}

}  // namespace
}  // namespace zc::fuzz

// Test helpers for files: a self-removing temporary directory and one-line file utilities.
//
//   zc::test::TempDir dir;                      // mkdtemp under ::testing::TempDir()
//   zc::test::WriteTestFile(dir.Join("a"), "content");
//   EXPECT_EQ(zc::test::ReadTestFile(dir.Join("a")), "content");
//
// The helpers report failures with ADD_FAILURE (never abort), so they can be used in the parent
// test process only, not in forked children.
#ifndef ZCWRAP_TESTS_SUPPORT_TEMP_DIR_H_
#define ZCWRAP_TESTS_SUPPORT_TEMP_DIR_H_

#include <cstdint>
#include <ctime>
#include <string>

#include "absl/strings/string_view.h"

namespace zc::test {

// A fresh, empty directory that is removed with everything in it on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  // `path()` + "/" + `name`.
  std::string Join(absl::string_view name) const;

 private:
  std::string path_;
};

// Writes `content` to `path` (replacing it), creating no directories.
void WriteTestFile(const std::string& path, absl::string_view content);
// The content of `path`, or "" (and a test failure) if it cannot be read.
std::string ReadTestFile(const std::string& path);
bool FileExists(const std::string& path);
// Sets both the access and the modification time of `path` to `seconds` since the epoch.
void SetFileTimes(const std::string& path, time_t seconds);

// Deterministic bytes (an xorshift stream): `size` bytes that depend on `seed`.
std::string PseudoRandomBytes(size_t size, uint64_t seed);

}  // namespace zc::test

#endif  // ZCWRAP_TESTS_SUPPORT_TEMP_DIR_H_

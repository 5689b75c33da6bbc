#include "cachecore/util/build_id.h"

#include <elf.h>

#include <cstring>
#include <string>

#include "gtest/gtest.h"

namespace zc::util {
namespace {

// One ELF note: header, name and descriptor, each padded to 4 bytes.
std::string Note(uint32_t type, const std::string& name, const std::string& desc) {
  Elf64_Nhdr header{static_cast<Elf64_Word>(name.size()), static_cast<Elf64_Word>(desc.size()),
                    type};
  std::string out(reinterpret_cast<const char*>(&header), sizeof(header));
  out += name;
  out.resize((out.size() + 3) & ~size_t{3}, '\0');
  out += desc;
  out.resize((out.size() + 3) & ~size_t{3}, '\0');
  return out;
}

TEST(BuildIdTest, FindsTheGnuBuildIdAmongOtherNotes) {
  const std::string notes = Note(NT_GNU_ABI_TAG, std::string("GNU\0", 4), std::string(16, '\0')) +
                            Note(NT_GNU_BUILD_ID, std::string("GNU\0", 4), "\x01\x23\xab\xff");
  EXPECT_EQ(BuildIdFromNotes(notes), "0123abff");
}

TEST(BuildIdTest, IgnoresOtherOwnersAndBrokenNotes) {
  EXPECT_EQ(BuildIdFromNotes(Note(NT_GNU_BUILD_ID, std::string("XYZ\0", 4), "\x01")), "");
  std::string truncated = Note(NT_GNU_BUILD_ID, std::string("GNU\0", 4), "\x01\x02\x03\x04");
  truncated.resize(truncated.size() - 2);
  EXPECT_EQ(BuildIdFromNotes(truncated), "");
  std::string huge = Note(NT_GNU_BUILD_ID, std::string("GNU\0", 4), "\x01");
  Elf64_Nhdr header;
  std::memcpy(&header, huge.data(), sizeof(header));
  header.n_descsz = 0xfffffff0u;  // claims far more than there is
  std::memcpy(huge.data(), &header, sizeof(header));
  EXPECT_EQ(BuildIdFromNotes(huge), "");
  EXPECT_EQ(BuildIdFromNotes(""), "");
}

TEST(BuildIdTest, TheTestProgramHasOne) {
  // meson links every executable with the toolchain's default --build-id.
  EXPECT_EQ(ExecutableBuildId().size(), 40u) << ExecutableBuildId();
}

}  // namespace
}  // namespace zc::util

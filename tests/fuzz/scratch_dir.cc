#include "tests/fuzz/scratch_dir.h"

#include <fcntl.h>
#include <ftw.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include "cachecore/util/file_io.h"
#include "cachecore/util/scoped_fd.h"

namespace zc::fuzz {
namespace {

std::string* scratch = nullptr;

void RemoveScratch() {
  if (scratch == nullptr) return;
  ::nftw(
      scratch->c_str(),
      [](const char* path, const struct stat*, int, struct FTW*) { return ::remove(path); }, 16,
      FTW_DEPTH | FTW_PHYS);
}

}  // namespace

const std::string& ScratchDir() {
  if (scratch == nullptr) {
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern =
        std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/zcwrap-fuzz-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) {
      std::perror("zcwrap fuzz: mkdtemp");
      std::abort();
    }
    scratch = new std::string(std::move(pattern));
    std::atexit(RemoveScratch);
  }
  return *scratch;
}

void WriteScratchFile(const std::string& path, absl::string_view data) {
  util::ScopedFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!fd.valid() || !util::WriteAll(fd.get(), data).ok()) {
    std::perror(path.c_str());
    std::abort();
  }
}

}  // namespace zc::fuzz

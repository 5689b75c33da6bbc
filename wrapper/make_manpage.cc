// Build-time tool: writes zcwrap.1 from its source (wrapper/zcwrap.1.in) and the option and
// setting tables --help uses (wrapper/usage.h).
//
//   make_manpage wrapper/zcwrap.1.in build/wrapper/zcwrap.1
#include <cstdio>
#include <string>

#include "absl/status/statusor.h"
#include "cachecore/util/atomic_file.h"
#include "cachecore/util/file_io.h"
#include "cachecore/version.h"
#include "wrapper/usage.h"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: make_manpage SOURCE OUTPUT\n");
    return 2;
  }
  absl::StatusOr<std::string> source = zc::util::ReadFileToString(argv[1]);
  absl::StatusOr<std::string> page =
      source.ok() ? zc::wrapper::ManPage(*source, zc::kZcwrapVersion) : source.status();
  absl::Status written = page.ok() ? zc::util::WriteFileAtomically(argv[2], *page) : page.status();
  if (!written.ok()) {
    std::fprintf(stderr, "make_manpage: %s\n", std::string(written.message()).c_str());
    return 1;
  }
  return 0;
}

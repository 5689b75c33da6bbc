#include "cachecore/util/build_id.h"

#include <elf.h>
#include <link.h>

#include <cstring>

#include "absl/strings/escaping.h"

namespace zc::util {
namespace {

size_t Align4(size_t n) { return (n + 3) & ~size_t{3}; }

// dl_iterate_phdr reports the main program first; its notes are all that is read.
int FromMainProgram(dl_phdr_info* info, size_t /*size*/, void* data) {
  std::string* out = static_cast<std::string*>(data);
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    const ElfW(Phdr)& ph = info->dlpi_phdr[i];
    if (ph.p_type != PT_NOTE) continue;
    const char* notes = reinterpret_cast<const char*>(info->dlpi_addr + ph.p_vaddr);
    *out = BuildIdFromNotes(absl::string_view(notes, ph.p_memsz));
    if (!out->empty()) break;
  }
  return 1;  // stop: only the first object is the executable
}

}  // namespace

std::string BuildIdFromNotes(absl::string_view notes) {
  size_t pos = 0;
  while (notes.size() - pos >= sizeof(ElfW(Nhdr))) {
    ElfW(Nhdr) header;
    std::memcpy(&header, notes.data() + pos, sizeof(header));
    pos += sizeof(header);
    const size_t name_size = Align4(header.n_namesz);
    const size_t desc_size = Align4(header.n_descsz);
    if (name_size > notes.size() - pos || desc_size > notes.size() - pos - name_size) break;
    const absl::string_view name = notes.substr(pos, header.n_namesz);
    const absl::string_view desc = notes.substr(pos + name_size, header.n_descsz);
    pos += name_size + desc_size;
    if (header.n_type == NT_GNU_BUILD_ID && name == absl::string_view("GNU\0", 4) &&
        !desc.empty()) {
      return absl::BytesToHexString(desc);
    }
  }
  return "";
}

const std::string& ExecutableBuildId() {
  static const std::string id = [] {
    std::string found;
    dl_iterate_phdr(FromMainProgram, &found);
    return found;
  }();
  return id;
}

}  // namespace zc::util

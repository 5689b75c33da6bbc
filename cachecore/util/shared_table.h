// SharedTable: a fixed-size file that several processes read and write through one shared memory
// mapping (the stats counters, the stat cache). Opened if it has the expected size and header,
// created atomically if missing (racing creators: one wins, the others use its file), replaced if
// it is anything else (a corrupt or foreign file must never stop a compile). On a read-only disk
// (or a file not ours to write) its values are read and changes stay private to this process.
//
//   ZC_ASSIGN_OR_RETURN(zc::util::SharedTable t,
//                       zc::util::SharedTable::Open(path, header, /*size=*/1 << 20));
//   unsigned char* slots = t.data() + header.size();
//
// A fresh file is `header` followed by zeros, with every block allocated (a write through the
// mapping into a hole on a full disk would raise SIGBUS); a file that cannot be is not used. The
// mapping lives as long as the object; writes through it are seen by every process at once
// (MAP_SHARED). Move-only.
#ifndef ZCWRAP_CACHECORE_UTIL_SHARED_TABLE_H_
#define ZCWRAP_CACHECORE_UTIL_SHARED_TABLE_H_

#include <cstddef>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace zc::util {

class SharedTable {
 public:
  // The table at `path`: `size` bytes starting with `header`. REQUIRES: header.size() <= size.
  static absl::StatusOr<SharedTable> Open(const std::string& path, absl::string_view header,
                                          size_t size);
  // The same in private memory, for when no file can be used.
  static absl::StatusOr<SharedTable> InMemory(absl::string_view header, size_t size);

  SharedTable(SharedTable&& other) noexcept;
  SharedTable& operator=(SharedTable&& other) noexcept;
  SharedTable(const SharedTable&) = delete;
  SharedTable& operator=(const SharedTable&) = delete;
  ~SharedTable();

  unsigned char* data() const { return static_cast<unsigned char*>(map_); }
  size_t size() const { return size_; }
  // Writes the mapping to the file (msync); OK in memory.
  absl::Status Sync() const;

 private:
  static absl::StatusOr<SharedTable> OpenReadOnly(const std::string& path, absl::string_view header,
                                                  size_t size);
  SharedTable(void* map, size_t size, std::string path) : map_(map), size_(size), path_(path) {}

  void* map_ = nullptr;
  size_t size_ = 0;
  std::string path_;  // empty in memory
};

}  // namespace zc::util

#endif  // ZCWRAP_CACHECORE_UTIL_SHARED_TABLE_H_

// Little-endian encoding into a string and bounds-checked decoding from a byte span, for the
// on-disk formats and the wire protocol.
//
//   std::string out;
//   zc::util::ByteWriter w(&out);
//   w.U32(7); w.Bytes("abc");
//
//   zc::util::ByteReader r(out);
//   uint32_t n; absl::string_view s;
//   if (!r.U32(&n) || !r.Bytes(3, &s)) return Corrupt();
//
// A reader never reads past its end: every call returns false instead and then stays failed.
#ifndef ZCWRAP_CACHECORE_UTIL_BYTE_IO_H_
#define ZCWRAP_CACHECORE_UTIL_BYTE_IO_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

namespace zc::util {

class ByteWriter {
 public:
  explicit ByteWriter(std::string* out) : out_(out) {}
  void U8(uint8_t v) { out_->push_back(static_cast<char>(v)); }
  void U16(uint16_t v) { Fixed(v, 2); }
  void U32(uint32_t v) { Fixed(v, 4); }
  void U64(uint64_t v) { Fixed(v, 8); }
  void Bytes(absl::string_view data) { out_->append(data.data(), data.size()); }
  // A u32 length, then the bytes.
  void String(absl::string_view data) {
    U32(static_cast<uint32_t>(data.size()));
    Bytes(data);
  }

 private:
  void Fixed(uint64_t v, int n) {
    char buf[8];
    for (int i = 0; i < n; ++i) buf[i] = static_cast<char>(v >> (8 * i));
    out_->append(buf, static_cast<size_t>(n));
  }
  std::string* out_;
};

class ByteReader {
 public:
  explicit ByteReader(absl::string_view data) : data_(data) {}

  bool U8(uint8_t* v) { return Fixed(v, 1); }
  bool U16(uint16_t* v) { return Fixed(v, 2); }
  bool U32(uint32_t* v) { return Fixed(v, 4); }
  bool U64(uint64_t* v) { return Fixed(v, 8); }
  // Borrows the next `n` bytes (valid as long as the underlying data).
  bool Bytes(uint64_t n, absl::string_view* out) {
    if (failed_ || n > data_.size()) return Fail();
    *out = data_.substr(0, static_cast<size_t>(n));
    data_.remove_prefix(static_cast<size_t>(n));
    return true;
  }
  // A u32 length, then that many bytes (ByteWriter::String), copied into `out`.
  bool String(std::string* out) {
    uint32_t n = 0;
    absl::string_view s;
    if (!U32(&n) || !Bytes(n, &s)) return false;
    out->assign(s.data(), s.size());
    return true;
  }
  size_t remaining() const { return data_.size(); }
  bool failed() const { return failed_; }

 private:
  template <typename T>
  bool Fixed(T* v, size_t n) {
    if (failed_ || data_.size() < n) return Fail();
    uint64_t value = 0;
    for (size_t i = 0; i < n; ++i) {
      value |= static_cast<uint64_t>(static_cast<uint8_t>(data_[i])) << (8 * i);
    }
    *v = static_cast<T>(value);
    data_.remove_prefix(n);
    return true;
  }
  bool Fail() {
    failed_ = true;
    return false;
  }
  absl::string_view data_;
  bool failed_ = false;
};

}  // namespace zc::util

#endif  // ZCWRAP_CACHECORE_UTIL_BYTE_IO_H_

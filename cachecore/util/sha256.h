// SHA-256 on OpenSSL's EVP interface: incremental and one-shot, raw and hex digests.
//
//   zc::util::Sha256 h;
//   h.Update("compiler identity");
//   h.Update(source_text);
//   zc::util::Digest key = h.Finish();
//   std::string name = key.ToHex();
//
//   std::string hex = zc::util::Sha256::Hex("abc");
//
// The EVP_MD implementation is fetched once per process (OpenSSL 3 provider look-ups are slow) and
// OpenSSL is initialised without reading openssl.cnf, which keeps process start-up cheap.
// Throws std::runtime_error only if OpenSSL itself fails (allocation failure); it never returns a
// wrong digest. A Sha256 object is not thread-safe; distinct objects may be used from distinct
// threads.
#ifndef ZCWRAP_CACHECORE_UTIL_SHA256_H_
#define ZCWRAP_CACHECORE_UTIL_SHA256_H_

#include <array>
#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

typedef struct evp_md_ctx_st EVP_MD_CTX;

namespace zc::util {

// A 32-byte SHA-256 digest.
struct Digest {
  std::array<uint8_t, 32> bytes{};

  // Lower-case hex, 64 characters.
  std::string ToHex() const;
  // Parses 64 hex characters (either case). Returns false and leaves *out alone on bad input.
  static bool FromHex(absl::string_view hex, Digest* out);

  absl::string_view AsStringView() const {
    return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
  }
  friend bool operator==(const Digest&, const Digest&) = default;
  template <typename H>
  friend H AbslHashValue(H h, const Digest& d) {
    return H::combine_contiguous(std::move(h), d.bytes.data(), d.bytes.size());
  }
};

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void Update(absl::string_view data);
  void Update(const void* data, size_t size);
  // Hashes `data` prefixed by its length, so that adjacent fields cannot run into each other
  // ("ab"+"c" and "a"+"bc" give different digests).
  void UpdateDelimited(absl::string_view data);

  // Returns the digest. The hasher is reset and may be reused.
  Digest Finish();

  static Digest Of(absl::string_view data);
  static std::string Hex(absl::string_view data) { return Of(data).ToHex(); }

 private:
  EVP_MD_CTX* ctx_;
};

}  // namespace zc::util

#endif  // ZCWRAP_CACHECORE_UTIL_SHA256_H_

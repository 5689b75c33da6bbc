#include "cachecore/remote/remote_entry.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <array>

#include "absl/strings/str_cat.h"

namespace zc::remote {
namespace {

using Mac = std::array<unsigned char, 32>;

bool Hmac(absl::string_view secret, absl::string_view name, absl::string_view file, Mac* out) {
  EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  if (mac == nullptr) return false;
  EVP_MAC_CTX* ctx = EVP_MAC_CTX_new(mac);
  char digest[] = "SHA256";
  OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                         OSSL_PARAM_construct_end()};
  size_t len = 0;
  const bool ok =
      ctx != nullptr &&
      EVP_MAC_init(ctx, reinterpret_cast<const unsigned char*>(secret.data()), secret.size(),
                   params) == 1 &&
      EVP_MAC_update(ctx, reinterpret_cast<const unsigned char*>(name.data()), name.size()) == 1 &&
      EVP_MAC_update(ctx, reinterpret_cast<const unsigned char*>(file.data()), file.size()) == 1 &&
      EVP_MAC_final(ctx, out->data(), &len, out->size()) == 1 && len == out->size();
  EVP_MAC_CTX_free(ctx);
  EVP_MAC_free(mac);
  return ok;
}

}  // namespace

std::string RemoteName(const util::Digest& key, store::EntryType type) {
  util::Sha256 h;
  h.Update(absl::string_view("zcwrap-remote-1\0", 16));
  const char t = static_cast<char>(type);
  h.Update(&t, 1);
  h.Update(key.AsStringView());
  return h.Finish().ToHex();
}

std::string Seal(absl::string_view entry_file, absl::string_view name, absl::string_view secret) {
  if (secret.empty()) return std::string(entry_file);
  Mac mac{};
  if (!Hmac(secret, name, entry_file, &mac)) return std::string(entry_file);  // reads as unsigned
  std::string out(kSealMagic, 4);
  out += static_cast<char>(kSealVersion);
  out.append(3, '\0');
  out.append(reinterpret_cast<const char*>(mac.data()), mac.size());
  absl::StrAppend(&out, entry_file);
  return out;
}

absl::StatusOr<Opened> Unseal(absl::string_view value, absl::string_view name,
                              store::EntryType type, absl::string_view secret) {
  absl::string_view file = value;
  const bool sealed =
      value.size() >= kSealHeaderSize && value.substr(0, 4) == absl::string_view(kSealMagic, 4);
  if (sealed) {
    if (static_cast<uint8_t>(value[4]) != kSealVersion) {
      return absl::DataLossError("remote value: unknown seal version");
    }
    file = value.substr(kSealHeaderSize);
    if (!secret.empty()) {
      Mac want{};
      if (!Hmac(secret, name, file, &want) ||
          CRYPTO_memcmp(want.data(), value.data() + 8, want.size()) != 0) {
        return absl::UnauthenticatedError("remote value: bad signature");
      }
    }
  } else if (!secret.empty()) {
    return absl::UnauthenticatedError("remote value: not signed");
  }
  absl::StatusOr<store::Entry> entry = store::DecodeEntry(file);
  if (!entry.ok())
    return absl::DataLossError(absl::StrCat("remote value: ", entry.status().message()));
  if (entry->type != type) return absl::DataLossError("remote value: wrong entry type");
  return Opened{*std::move(entry), std::string(file)};
}

}  // namespace zc::remote

#include "tests/fuzz/tier_spec_fuzz_target.h"

#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "cachecore/remote/tier_spec.h"
#include "tests/fuzz/scratch_dir.h"

namespace zc::fuzz {
namespace {

// Short secrets and ones made of the mask's own '*' may occur by chance; longer ones must not.
bool Checkable(absl::string_view secret) {
  return secret.size() >= 4 && secret.find('*') == absl::string_view::npos;
}

// The passwords of the URLs' user info as written (percent-encoded or not), each found only once
// in the whole value: shown text holding one of them can only have copied it from there.
std::vector<std::string> WrittenPasswords(absl::string_view value) {
  std::vector<std::string> out;
  for (absl::string_view item :
       absl::StrSplit(value, absl::ByAnyChar(" \t\n"), absl::SkipEmpty())) {
    absl::string_view url = item.substr(0, item.find('|'));
    const size_t sep = url.find("://");
    if (sep == absl::string_view::npos) continue;
    // These schemes take user info, and s3:// refuses it (keys written there must not be shown
    // either); in file:// URLs it is part of the path.
    const std::string scheme = absl::AsciiStrToLower(url.substr(0, sep));
    if (scheme != "redis" && scheme != "redis+unix" && scheme != "http" && scheme != "https" &&
        scheme != "s3") {
      continue;
    }
    absl::string_view authority = url.substr(sep + 3);
    authority = authority.substr(0, authority.find('/'));
    const size_t at = authority.rfind('@');
    if (at == absl::string_view::npos) continue;
    absl::string_view info = authority.substr(0, at);
    const size_t colon = info.find(':');
    if (colon == absl::string_view::npos) continue;
    absl::string_view password = info.substr(colon + 1);
    if (!Checkable(password)) continue;
    const size_t first = value.find(password);
    if (value.find(password, first + 1) != absl::string_view::npos) continue;
    out.emplace_back(password);
  }
  return out;
}

void CheckShown(absl::string_view text, const std::vector<std::string>& secrets) {
  for (const std::string& s : secrets) {
    if (Checkable(s) && absl::StrContains(text, s)) __builtin_trap();
  }
}

// What zcwrap would show for `value`: the error, or every tier's shown URL and identity.
std::string Shown(absl::string_view value) {
  absl::StatusOr<std::vector<remote::TierSpec>> tiers = remote::ParseRemoteStorage(value);
  if (!tiers.ok()) return std::string(tiers.status().message());
  std::string out;
  for (const remote::TierSpec& t : *tiers) absl::StrAppend(&out, t.shown, "\n", t.identity, "\n");
  return out;
}

// `p` with every character replaced, keeping its %-escapes as valid or as bad as they were
// ('%' stays, the two characters after it stay hex or not), so the value fails, or not, the same
// way: "%-es" must still give "bad %-escape in user info".
std::string SameShapeAs(const std::string& p) {
  const char plain = p.find('Q') == std::string::npos ? 'Q' : 'Z';
  std::string out = p;
  for (size_t i = 0; i < p.size(); ++i) {
    const bool escaped = (i >= 1 && p[i - 1] == '%') || (i >= 2 && p[i - 2] == '%');
    if (p[i] == '%') continue;
    if (escaped && absl::ascii_isxdigit(static_cast<unsigned char>(p[i]))) {
      out[i] = p[i] == '0' ? '1' : '0';
    } else {
      out[i] = plain;
    }
  }
  return out;
}

// A written password is shown only when it was copied from the value: shown text that still
// holds it after the password is replaced in the value holds it anyway (e.g. "file" in the
// message that lists the schemes, "%-es" in "bad %-escape").
void CheckPasswordsHidden(absl::string_view value, const std::vector<std::string>& passwords) {
  const std::string shown = Shown(value);
  for (const std::string& p : passwords) {
    if (!absl::StrContains(shown, p)) continue;
    const std::string other = SameShapeAs(p);
    if (other == p) continue;  // all '%': nothing to tell apart
    const std::string without = absl::StrReplaceAll(value, {{p, other}});
    if (!absl::StrContains(Shown(without), p)) __builtin_trap();
  }
}

}  // namespace

void FuzzTierSpecOnce(const uint8_t* data, size_t size) {
  absl::string_view in(reinterpret_cast<const char*>(data), size);
  const size_t nul = in.find('\0');
  const absl::string_view value = in.substr(0, nul);
  const absl::string_view credentials =
      nul == absl::string_view::npos ? absl::string_view() : in.substr(nul + 1);
  const std::vector<std::string> written = WrittenPasswords(value);

  CheckPasswordsHidden(value, written);
  absl::StatusOr<std::vector<remote::TierSpec>> tiers = remote::ParseRemoteStorage(value);
  if (!tiers.ok()) return;
  const std::string credentials_path = ScratchDir() + "/credentials";
  for (remote::TierSpec& t : *tiers) {
    CheckShown(t.shown, t.secrets);
    if (t.scheme != remote::Scheme::kS3) continue;
    WriteScratchFile(credentials_path, credentials);
    t.credentials_file = credentials_path;
    absl::Status s = remote::ResolveCredentials(remote::EnvLookup(), &t);
    // The keys read from the file, unless the value or the messages' fixed words hold them
    // anyway: what the same path gives when the file holds nothing and when it is gone (a key
    // may span the path and the words, e.g. "t/credentials (set AWS").
    std::string fixed;
    for (bool gone : {false, true}) {
      if (gone) {
        std::remove(credentials_path.c_str());
      } else {
        WriteScratchFile(credentials_path, "");
      }
      remote::TierSpec other = t;
      other.access_key.clear();
      other.secret_key.clear();
      other.session_token.clear();
      other.secrets.clear();
      absl::StrAppend(&fixed, remote::ResolveCredentials(remote::EnvLookup(), &other).message(),
                      "\n");
    }
    std::vector<std::string> all;
    for (const std::string* k : {&t.secret_key, &t.session_token}) {
      if (!absl::StrContains(value, *k) && !absl::StrContains(fixed, *k)) all.push_back(*k);
    }
    CheckShown(s.message(), all);
    CheckShown(t.shown, all);
    if (s.ok() && (t.access_key.empty() || t.base_url.empty())) __builtin_trap();
  }
}

}  // namespace zc::fuzz

// Engine's remote tiers: one RemoteStorage per distinct setting (remote_storage, its key file and
// the credentials its S3 tiers resolve from the request's environment), made on first use.
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "cachecore/compile/engine.h"
#include "cachecore/util/file_io.h"

namespace zc::compile {

using stats::Counter;

namespace {

// At least this many bytes of secret: a short one could be guessed offline from one signed value.
constexpr size_t kMinSecretSize = 16;

}  // namespace

remote::RemoteStorage* Engine::RemoteFor(const Context& ctx) {
  const config::Config& settings = *ctx.settings;
  if (settings.remote_storage.empty() || ctx.dry_run) return nullptr;
  absl::StatusOr<std::vector<remote::TierSpec>> tiers =
      remote::ParseRemoteStorage(settings.remote_storage);
  if (!tiers.ok() || tiers->empty()) return nullptr;  // LoadConfig checked it
  std::string memo = absl::StrCat(settings.remote_storage, "\n", settings.remote_key_file);
  for (remote::TierSpec& t : *tiers) {
    absl::Status creds =
        remote::ResolveCredentials([&](absl::string_view name) { return ctx.env.Get(name); }, &t);
    if (!creds.ok()) {
      store_->stats().Increment(Counter::kRemoteStorageError);
      if (ctx.audit) ctx.audit->Fallback("remote", "local_only", creds.message());
      return nullptr;
    }
    absl::StrAppend(&memo, "\n", t.access_key, ":", t.secret_key, ":", t.session_token, ":",
                    t.region);
  }
  std::lock_guard<std::mutex> lock(remote_mu_);
  auto it = remotes_.find(memo);
  if (it != remotes_.end()) return it->second.get();

  std::string secret;
  if (!settings.remote_key_file.empty()) {
    absl::StatusOr<std::string> key = util::ReadFileToString(settings.remote_key_file);
    if (key.ok()) secret = std::string(absl::StripTrailingAsciiWhitespace(*key));
    if (!key.ok() || secret.size() < kMinSecretSize) {
      // Without its secret no value can be trusted or signed: local only, said every time.
      store_->stats().Increment(Counter::kRemoteStorageError);
      if (ctx.audit) {
        ctx.audit->Fallback(
            "remote", "local_only",
            absl::StrCat("remote_key_file ", settings.remote_key_file,
                         key.ok() ? " holds fewer than 16 bytes" : " cannot be read"));
      }
      return nullptr;
    }
  }
  remote::RemoteOptions options;
  options.cache_dir = config_.cache_dir;
  options.clock = &clock_;
  options.async_writes = remote_async_;
  auto storage = std::make_unique<remote::RemoteStorage>(*std::move(tiers), std::move(secret),
                                                         options, &store_->stats());
  remote::RemoteStorage* raw = storage.get();
  remotes_.emplace(std::move(memo), std::move(storage));
  return raw;
}

void Engine::FlushRemote() {
  std::lock_guard<std::mutex> lock(remote_mu_);
  for (auto& [memo, storage] : remotes_) storage->Flush();
}

std::vector<remote::TierReportLine> Engine::RemoteReport() {
  std::lock_guard<std::mutex> lock(remote_mu_);
  std::vector<remote::TierReportLine> lines;
  for (auto& [memo, storage] : remotes_) {
    for (remote::TierReportLine& l : storage->Report()) lines.push_back(std::move(l));
  }
  return lines;
}

}  // namespace zc::compile

// ThreadSanitizer builds only (-Db_sanitize=thread; cachecore/meson.build links this file into
// every executable and into libzcshim then, and never otherwise).
//
// Why: Debian's libabsl_synchronization.so is not built with -fsanitize=thread, so TSan cannot see
// absl::Mutex take and release its lock word, and every field guarded by one (MemoryCache's) looks
// racy. Abseil built with TSan announces each lock and unlock itself (ABSL_TSAN_MUTEX_* in its
// mutex.cc); this file does the same from outside: it defines the absl::Mutex entry points our
// code calls, so the dynamic linker binds those calls (ours, libzcshim's and the Abseil libraries'
// own calls through their PLT) here, announces the operation with the annotations Abseil itself
// would make, and forwards to the real function found with dlsym(RTLD_NEXT).
//
// What is covered: Lock, Unlock, TryLock, ReaderLock, ReaderUnlock, ReaderTryLock and the
// destructor; the inline constructor already calls __tsan_mutex_create in an instrumented build.
// cachecore uses nothing else of absl/synchronization (no CondVar, Notification, Condition, Await,
// LockWhen): scripts/tsan.sh checks that the binaries import no other entry point, because one not
// covered here would lock or unlock behind TSan's back.
#include <dlfcn.h>
#include <sanitizer/tsan_interface.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/base/options.h"
#include "absl/synchronization/mutex.h"

#define ZC_TSAN_STRING(x) ZC_TSAN_STRING_(x)
#define ZC_TSAN_STRING_(x) #x

namespace {

// The real function: `method` is the mangled tail after the namespace, e.g. "5Mutex4LockEv".
// Abseil's inline namespace (ABSL_OPTION_INLINE_NAMESPACE_NAME, "debian3" on Debian 12) is part of
// the mangled name.
void* Real(const char* method) {
  const std::string ns = ZC_TSAN_STRING(ABSL_OPTION_INLINE_NAMESPACE_NAME);
  const std::string name = "_ZN4absl" + std::to_string(ns.size()) + ns + method;
  void* fn = ::dlsym(RTLD_NEXT, name.c_str());
  if (fn == nullptr) {
    std::fprintf(stderr, "tsan_absl_mutex: %s not found: %s\n", name.c_str(), ::dlerror());
    std::abort();
  }
  return fn;
}

using VoidFn = void (*)(absl::Mutex*);
using BoolFn = bool (*)(absl::Mutex*);

}  // namespace

namespace absl {
ABSL_NAMESPACE_BEGIN

void Mutex::Lock() {
  static const auto real = reinterpret_cast<VoidFn>(Real("5Mutex4LockEv"));
  __tsan_mutex_pre_lock(this, 0);
  real(this);
  __tsan_mutex_post_lock(this, 0, 0);
}

void Mutex::Unlock() {
  static const auto real = reinterpret_cast<VoidFn>(Real("5Mutex6UnlockEv"));
  __tsan_mutex_pre_unlock(this, 0);
  real(this);
  __tsan_mutex_post_unlock(this, 0);
}

bool Mutex::TryLock() {
  static const auto real = reinterpret_cast<BoolFn>(Real("5Mutex7TryLockEv"));
  __tsan_mutex_pre_lock(this, __tsan_mutex_try_lock);
  const bool locked = real(this);
  __tsan_mutex_post_lock(
      this, locked ? __tsan_mutex_try_lock : __tsan_mutex_try_lock | __tsan_mutex_try_lock_failed,
      0);
  return locked;
}

void Mutex::ReaderLock() {
  static const auto real = reinterpret_cast<VoidFn>(Real("5Mutex10ReaderLockEv"));
  __tsan_mutex_pre_lock(this, __tsan_mutex_read_lock);
  real(this);
  __tsan_mutex_post_lock(this, __tsan_mutex_read_lock, 0);
}

void Mutex::ReaderUnlock() {
  static const auto real = reinterpret_cast<VoidFn>(Real("5Mutex12ReaderUnlockEv"));
  __tsan_mutex_pre_unlock(this, __tsan_mutex_read_lock);
  real(this);
  __tsan_mutex_post_unlock(this, __tsan_mutex_read_lock);
}

bool Mutex::ReaderTryLock() {
  static const auto real = reinterpret_cast<BoolFn>(Real("5Mutex13ReaderTryLockEv"));
  __tsan_mutex_pre_lock(this, __tsan_mutex_try_read_lock);
  const bool locked = real(this);
  __tsan_mutex_post_lock(
      this, locked ? __tsan_mutex_try_read_lock : __tsan_mutex_try_read_lock_failed, 0);
  return locked;
}

Mutex::~Mutex() {
  static const auto real = reinterpret_cast<VoidFn>(Real("5MutexD1Ev"));
  __tsan_mutex_destroy(this, __tsan_mutex_not_static);
  real(this);
}

ABSL_NAMESPACE_END
}  // namespace absl

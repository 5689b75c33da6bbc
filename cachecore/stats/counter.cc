#include "cachecore/stats/counter.h"

namespace zc::stats {
namespace {

using G = CounterGroup;
using C = Counter;

constexpr CounterInfo kCounters[] = {
    {C::kDirectCacheHit, "direct_cache_hit", G::kHit, "Hits (direct mode)"},
    {C::kPreprocessedCacheHit, "preprocessed_cache_hit", G::kHit, "Hits (preprocessed)"},
    {C::kCacheMiss, "cache_miss", G::kMiss, "Misses"},
    {C::kDirectCacheMiss, "direct_cache_miss", G::kInfo, "Direct-mode lookups that missed"},
    {C::kPreprocessedCacheMiss, "preprocessed_cache_miss", G::kInfo,
     "Preprocessed lookups that missed"},
    {C::kCalledForLink, "called_for_link", G::kUncacheable, "Called for linking"},
    {C::kCalledForPreprocessing, "called_for_preprocessing", G::kUncacheable,
     "Called for preprocessing"},
    {C::kMultipleSourceFiles, "multiple_source_files", G::kUncacheable, "Multiple source files"},
    {C::kNoInputFile, "no_input_file", G::kUncacheable, "No input file"},
    {C::kUnsupportedCompilerOption, "unsupported_compiler_option", G::kUncacheable,
     "Unsupported compiler option"},
    {C::kUnsupportedSourceLanguage, "unsupported_source_language", G::kUncacheable,
     "Unsupported source language"},
    {C::kOutputToStdout, "output_to_stdout", G::kUncacheable, "Output to stdout"},
    {C::kCompileFailed, "compile_failed", G::kUncacheable, "Compilation failed"},
    {C::kBadCompilerArguments, "bad_compiler_arguments", G::kUncacheable, "Bad compiler arguments"},
    {C::kPreprocessorError, "preprocessor_error", G::kUncacheable, "Preprocessing failed"},
    {C::kInternalError, "internal_error", G::kError, "Internal errors (compiler run plainly)"},
    {C::kCouldNotFindCompiler, "could_not_find_compiler", G::kError, "Could not find compiler"},
    {C::kCompilerCheckFailed, "compiler_check_failed", G::kError, "Compiler check failed"},
    {C::kCompilerProducedNoOutput, "compiler_produced_no_output", G::kUncacheable,
     "Compiler produced no output"},
    {C::kCorruptCacheEntry, "corrupt_cache_entry", G::kError, "Corrupt cache entries (missed)"},
    {C::kCleanupsPerformed, "cleanups_performed", G::kInfo, "Cleanups performed"},
    {C::kFilesEvicted, "files_evicted", G::kInfo, "Files evicted by cleanup"},
    {C::kRecache, "recache", G::kUncacheable, "Forced recache"},
    {C::kDisabled, "disabled", G::kUncacheable, "Cache disabled"},
    {C::kModifiedInputFile, "modified_input_file", G::kUncacheable,
     "Input file modified during compilation"},
    {C::kUnsupportedCodeDirective, "unsupported_code_directive", G::kUncacheable,
     "Unsupported code directive"},
    {C::kStdinInput, "stdin_input", G::kUncacheable, "Input from stdin"},
    {C::kSaveTemps, "save_temps", G::kUncacheable, "Called with -save-temps"},
    {C::kLocalStorageWrite, "local_storage_write", G::kInfo, "Entries written"},
    {C::kStatsZeroedTimestamp, "stats_zeroed_timestamp", G::kInfo, "Stats zeroed"},
    {C::kStatsUpdatedTimestamp, "stats_updated_timestamp", G::kInfo, "Stats updated"},
    {C::kBadOutputFile, "bad_output_file", G::kUncacheable, "Could not write output file"},
    {C::kAutoconfTest, "autoconf_test", G::kUncacheable, "Autoconf compile/link"},
    {C::kCouldNotUsePrecompiledHeader, "could_not_use_precompiled_header", G::kUncacheable,
     "Could not use precompiled header"},
    {C::kCompilerProducedStdout, "compiler_produced_stdout", G::kUncacheable,
     "Compiler produced stdout"},
    {C::kReadonlyMiss, "readonly_miss", G::kInfo, "Misses not stored (read-only cache)"},
    {C::kStoreFailed, "store_failed", G::kError,
     "Misses not stored: the cache could not be written"},
    {C::kOutputNotCacheable, "output_not_cacheable", G::kUncacheable,
     "Misses not stored: an output is not a regular file (e.g. /dev/null)"},
    {C::kTimeMacrosUnstable, "time_macros_unstable", G::kUncacheable,
     "Misses not stored: __DATE__/__TIME__ may have changed during the compile"},
    {C::kDirectModeFallback, "direct_mode_fallback", G::kInfo,
     "Misses direct mode could not record (stored in preprocessor mode)"},
    {C::kDaemonFallback, "daemon_fallback", G::kInfo,
     "Compiles done in-process because the daemon could not be reached"},
    {C::kRecompiledToVerify, "recompiled_to_verify", G::kInfo,
     "Misses compiled twice: an input was written as the compile started"},
    {C::kBadInputFile, "bad_input_file", G::kUncacheable,
     "Could not read a file named by an option"},
    {C::kBadConfig, "bad_config", G::kError,
     "Compiles run uncached: a setting is invalid (zcwrap -p says which)"},
    {C::kRemoteStorageHit, "remote_storage_hit", G::kInfo, "Hits served by a remote tier"},
    {C::kRemoteStorageMiss, "remote_storage_miss", G::kInfo,
     "Misses that asked the remote tiers too"},
    {C::kRemoteStorageReadHit, "remote_storage_read_hit", G::kInfo,
     "Remote reads that found a valid entry"},
    {C::kRemoteStorageReadMiss, "remote_storage_read_miss", G::kInfo,
     "Remote reads that found nothing usable"},
    {C::kRemoteStorageWrite, "remote_storage_write", G::kInfo, "Entries written to remote tiers"},
    {C::kRemoteStorageError, "remote_storage_error", G::kError,
     "Remote operations that failed (not timeouts)"},
    {C::kRemoteStorageTimeout, "remote_storage_timeout", G::kError,
     "Remote operations that timed out"},
    {C::kRemoteStorageBadEntry, "remote_storage_bad_entry", G::kError,
     "Remote values rejected: corrupt, truncated, oversized or of the wrong type"},
    {C::kRemoteStorageBadSignature, "remote_storage_bad_signature", G::kError,
     "Remote values rejected: unsigned or badly signed (remote_key_file)"},
    {C::kRemoteStorageSkipped, "remote_storage_skipped", G::kInfo,
     "Remote operations skipped: the tier's circuit breaker was open"},
    {C::kRemoteStorageWriteDropped, "remote_storage_write_dropped", G::kError,
     "Remote writes dropped: the write queue was full"},
    {C::kPrefixCommandRun, "prefix_command_run", G::kInfo,
     "Compiles run through prefix_command (distcc, icecc)"},
    {C::kPrefixCommandRetriedLocally, "prefix_command_retried_locally", G::kError,
     "Compiles prefix_command failed for a reason not the compiler's, run again locally"},
    {C::kPrefixCommandMessages, "prefix_command_messages", G::kInfo,
     "Compiles whose launcher wrote lines of its own (kept out of the output; in log and audit)"},
};

}  // namespace

std::span<const CounterInfo> AllCounters() { return kCounters; }

const CounterInfo& Info(Counter counter) { return kCounters[static_cast<size_t>(counter)]; }

absl::string_view CounterName(Counter counter) { return Info(counter).name; }

std::optional<Counter> CounterByName(absl::string_view name) {
  for (const CounterInfo& info : kCounters) {
    if (info.name == name) return info.counter;
  }
  return std::nullopt;
}

}  // namespace zc::stats

// shim::Service itself (shim/internal/service.h), compiled into this test from its source: what
// the C ABI cannot reach without waiting on a real clock. A forced shutdown's flush stops at its
// budget, counts what it left to the kernel, and the next flush syncs exactly those.
#include "shim/internal/service.h"

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/support/temp_dir.h"

namespace zc::shim {
namespace {

// A monotonic clock that moves one second each time it is read: a flush with a 2 s budget reads
// it once for its deadline, then before each entry, so it syncs exactly one entry.
class TickingClock final : public util::Clock {
 public:
  int64_t RealNs() const override { return 0; }
  int64_t CoarseNs() const override { return 0; }
  int64_t MonotonicNs() const override { return ticks_.fetch_add(1) * 1'000'000'000; }
  void WaitForCoarsePast(int64_t) const override {}

 private:
  mutable std::atomic<int64_t> ticks_{0};
};

class ServiceTest : public ::testing::Test {
 protected:
  ServiceTest() { test::WriteTestFile(dir_.Join("a.c"), "int f(int x) { return x + 1; }\n"); }

  std::unique_ptr<Service> Start() {
    ServiceOptions options;
    options.cache_root = dir_.Join("cache");
    options.host = {"test", "service", "ws"};
    options.audit_mode = audit::Mode::kNormal;
    options.audit_sink = [this](absl::string_view line) {
      std::lock_guard<std::mutex> lock(mu_);
      events_.emplace_back(line);
      return true;
    };
    options.clock = &clock_;
    absl::StatusOr<std::unique_ptr<Service>> service = Service::Start(std::move(options));
    EXPECT_TRUE(service.ok()) << service.status();
    return service.ok() ? std::move(*service) : nullptr;
  }

  ServiceRequest Request() const {
    ServiceRequest r;
    r.argv = {"gcc", "-O2", "-c", "a.c", "-o", "a.o"};
    r.cwd = dir_.path();
    return r;
  }

  // A number field of the last `event` the sink received, or -1.
  int64_t Field(absl::string_view event, absl::string_view name) {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto it = events_.rbegin(); it != events_.rend(); ++it) {
      if (!absl::StrContains(*it, absl::StrCat("\"event\":\"", event, "\""))) continue;
      const std::string key = absl::StrCat("\"", name, "\":");
      const size_t at = it->find(key);
      if (at == std::string::npos) return -1;
      const size_t from = at + key.size();
      int64_t value = -1;
      const size_t end = it->find_first_of(",}", from);
      return absl::SimpleAtoi(it->substr(from, end - from), &value) ? value : -1;
    }
    return -1;
  }

  test::TempDir dir_;
  TickingClock clock_;
  std::mutex mu_;
  std::vector<std::string> events_;
};

TEST_F(ServiceTest, ForcedShutdownFlushStopsAtItsBudgetAndTheNextFlushSyncsTheRest) {
  std::unique_ptr<Service> service = Start();
  ASSERT_NE(service, nullptr);
  absl::StatusOr<ServiceResult> compiled = service->Compile(Request());
  ASSERT_TRUE(compiled.ok()) << compiled.status();
  ASSERT_EQ(compiled->result.exit_code, 0);

  ASSERT_TRUE(service->Shutdown(/*force=*/true).ok());
  // The clock read 2 s gone after the first entry: the others are left to the kernel, counted.
  EXPECT_EQ(Field("service.flushed", "entries"), 1);
  const int64_t unsynced = Field("service.flushed", "entries_unsynced");
  EXPECT_GE(unsynced, 1);  // a stored miss publishes its result and its manifest at least

  // An unbounded flush retries exactly what the forced one left.
  absl::StatusOr<FlushReport> flushed = service->Flush();
  ASSERT_TRUE(flushed.ok()) << flushed.status();
  EXPECT_EQ(static_cast<int64_t>(flushed->entries), unsynced);
  EXPECT_EQ(flushed->entries_unsynced, 0u);
  flushed = service->Flush();
  ASSERT_TRUE(flushed.ok());
  EXPECT_EQ(flushed->entries, 0u);
}

TEST_F(ServiceTest, AGracefulShutdownFlushHasNoBudget) {
  std::unique_ptr<Service> service = Start();
  ASSERT_NE(service, nullptr);
  ASSERT_TRUE(service->Compile(Request()).ok());
  ASSERT_TRUE(service->Shutdown(/*force=*/false).ok());
  EXPECT_GE(Field("service.flushed", "entries"), 2);
  EXPECT_EQ(Field("service.flushed", "entries_unsynced"), 0);
}

}  // namespace
}  // namespace zc::shim

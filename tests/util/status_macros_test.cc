#include "cachecore/util/status_macros.h"

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gtest/gtest.h"

namespace zc::util {
namespace {

absl::Status Counted(int* calls, absl::Status result) {
  ++*calls;
  return result;
}

absl::StatusOr<std::unique_ptr<std::string>> CountedValue(int* calls,
                                                          absl::StatusOr<std::string> result) {
  ++*calls;
  if (!result.ok()) return result.status();
  return std::make_unique<std::string>(*result);
}

absl::Status ReturnIfError(int* calls, absl::Status first, bool* reached_end) {
  ZC_RETURN_IF_ERROR(Counted(calls, std::move(first)));
  *reached_end = true;
  return absl::OkStatus();
}

absl::StatusOr<std::string> AssignOrReturn(int* calls, absl::StatusOr<std::string> value) {
  // A move-only type, to show the value is moved out rather than copied.
  ZC_ASSIGN_OR_RETURN(std::unique_ptr<std::string> got, CountedValue(calls, std::move(value)));
  ZC_ASSIGN_OR_RETURN(auto again, CountedValue(calls, *got + "!"));  // two in one scope
  return *again;
}

TEST(StatusMacrosTest, ReturnIfErrorPassesOkThrough) {
  int calls = 0;
  bool reached_end = false;
  EXPECT_TRUE(ReturnIfError(&calls, absl::OkStatus(), &reached_end).ok());
  EXPECT_TRUE(reached_end);
  EXPECT_EQ(calls, 1);
}

TEST(StatusMacrosTest, ReturnIfErrorReturnsTheErrorUnchangedAfterOneEvaluation) {
  int calls = 0;
  bool reached_end = false;
  absl::Status status = ReturnIfError(&calls, absl::DataLossError("torn"), &reached_end);
  EXPECT_EQ(status, absl::DataLossError("torn"));
  EXPECT_FALSE(reached_end);
  EXPECT_EQ(calls, 1);
}

TEST(StatusMacrosTest, AssignOrReturnAssignsTheValue) {
  int calls = 0;
  absl::StatusOr<std::string> result = AssignOrReturn(&calls, std::string("value"));
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(*result, "value!");
  EXPECT_EQ(calls, 2);
}

TEST(StatusMacrosTest, AssignOrReturnReturnsTheErrorUnchangedAfterOneEvaluation) {
  int calls = 0;
  absl::StatusOr<std::string> result = AssignOrReturn(&calls, absl::NotFoundError("nothing"));
  EXPECT_EQ(result.status(), absl::NotFoundError("nothing"));
  EXPECT_EQ(calls, 1);
}

}  // namespace
}  // namespace zc::util

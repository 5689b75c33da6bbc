#include "cachecore/compile/request.h"

#include <cstdlib>

#include "gtest/gtest.h"

namespace zc::compile {
namespace {

TEST(EnvViewTest, AListIsTheWholeEnvironment) {
  EnvView env(std::vector<std::string>{"A=1", "B=x=y", "EMPTY=", "NOEQUALS"});
  EXPECT_EQ(env.Get("A"), "1");
  EXPECT_EQ(env.Get("B"), "x=y");
  EXPECT_EQ(env.Get("EMPTY"), "");
  EXPECT_EQ(env.Get("NOEQUALS"), std::nullopt);
  EXPECT_EQ(env.Get("PATH"), std::nullopt) << "not this process's";
}

TEST(EnvViewTest, NoListIsThisProcesssEnvironment) {
  ::setenv("ZC_REQUEST_TEST", "here", 1);
  EXPECT_EQ(EnvView(std::nullopt).Get("ZC_REQUEST_TEST"), "here");
  ::unsetenv("ZC_REQUEST_TEST");
}

TEST(CommandForTest, RunsInTheRequestsPlaceAndShowsOnlyTheCompilesOutput) {
  CompileRequest request;
  request.cwd = "/src";
  request.env = std::vector<std::string>{"A=1"};
  request.cancel_fds = {7};
  request.umask = 022;
  request.on_output = [](int, absl::string_view) {};
  util::Command compile = CommandFor(request, {"gcc", "-c", "a.c"}, Shown::kOutput);
  EXPECT_EQ(compile.cwd, "/src");
  EXPECT_EQ(compile.env, request.env);
  EXPECT_EQ(compile.cancel_fds, std::vector<int>{7});
  EXPECT_EQ(compile.umask, 022);
  EXPECT_TRUE(static_cast<bool>(compile.on_output));
  EXPECT_FALSE(static_cast<bool>(CommandFor(request, {"gcc", "-E"}, Shown::kNo).on_output));
}

TEST(OutcomeNameTest, ErrorsAreToldFromUncacheableCalls) {
  CompileResult r;
  r.outcome = Outcome::kPassthrough;
  r.reason = stats::Counter::kCalledForLink;
  EXPECT_EQ(OutcomeName(r), "uncacheable");
  r.reason = stats::Counter::kInternalError;
  EXPECT_EQ(OutcomeName(r), "error");
  r.outcome = Outcome::kHit;
  EXPECT_EQ(OutcomeName(r), "hit");
}

}  // namespace
}  // namespace zc::compile

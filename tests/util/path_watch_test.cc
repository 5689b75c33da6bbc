#include "cachecore/util/path_watch.h"

#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/support/temp_dir.h"

namespace zc::util {
namespace {

class PathWatcherTest : public ::testing::Test {
 protected:
  PathWatcherTest() : watcher_(PathWatcher::Create()) {
    char buf[4096];
    root_ = ::realpath(dir_.path().c_str(), buf);
    ::mkdir((root_ + "/inc").c_str(), 0755);
    test::WriteTestFile(root_ + "/inc/a.h", "int a;\n");
    test::WriteTestFile(root_ + "/inc/b.h", "int b;\n");
  }
  // Watches inc/a.h and inc/b.h, and whether "shadow.h" exists in root_.
  void WatchHeaders() {
    set_ = watcher_->Watch({root_ + "/inc/a.h", root_ + "/inc/b.h"}, {{root_, {"shadow.h"}}});
    ASSERT_TRUE(set_.has_value());
  }
  bool Unchanged() {
    watcher_->Sync();
    return watcher_->Unchanged(*set_);
  }

  test::TempDir dir_;
  std::string root_;
  std::unique_ptr<PathWatcher> watcher_;
  std::optional<PathWatcher::Set> set_;
};

TEST_F(PathWatcherTest, NothingChangedWhenNothingHappened) {
  ASSERT_NE(watcher_, nullptr);
  WatchHeaders();
  EXPECT_TRUE(Unchanged());
  EXPECT_TRUE(Unchanged());
}

TEST_F(PathWatcherTest, UnrelatedFilesNextToWatchedOnesDoNotCount) {
  WatchHeaders();
  test::WriteTestFile(root_ + "/inc/object.o", "x");
  test::WriteTestFile(root_ + "/out.o", "x");
  ::rename((root_ + "/out.o").c_str(), (root_ + "/out2.o").c_str());
  EXPECT_TRUE(Unchanged());
}

TEST_F(PathWatcherTest, AWrittenHeaderCounts) {
  WatchHeaders();
  std::ofstream(root_ + "/inc/a.h", std::ios::app) << "int more;\n";
  EXPECT_FALSE(Unchanged());
}

TEST_F(PathWatcherTest, AHeaderReplacedByRenameCounts) {
  WatchHeaders();
  test::WriteTestFile(root_ + "/inc/b.h.tmp", "int b2;\n");
  ::rename((root_ + "/inc/b.h.tmp").c_str(), (root_ + "/inc/b.h").c_str());
  EXPECT_FALSE(Unchanged());
}

TEST_F(PathWatcherTest, TouchingAHeaderCounts) {
  WatchHeaders();
  ::utimes((root_ + "/inc/a.h").c_str(), nullptr);
  EXPECT_FALSE(Unchanged());
}

TEST_F(PathWatcherTest, AShadowingFileAppearingCounts) {
  WatchHeaders();
  test::WriteTestFile(root_ + "/shadow.h", "int s;\n");
  EXPECT_FALSE(Unchanged());
}

TEST_F(PathWatcherTest, ADirectoryOnThePathReplacedCounts) {
  WatchHeaders();
  ::rename((root_ + "/inc").c_str(), (root_ + "/inc.old").c_str());
  ::mkdir((root_ + "/inc").c_str(), 0755);
  EXPECT_FALSE(Unchanged());
}

TEST_F(PathWatcherTest, AChangeThroughAHardLinkElsewhereCounts) {
  ::mkdir((root_ + "/other").c_str(), 0755);
  ASSERT_EQ(::link((root_ + "/inc/a.h").c_str(), (root_ + "/other/a-link.h").c_str()), 0);
  WatchHeaders();
  std::ofstream(root_ + "/other/a-link.h", std::ios::app) << "int via_link;\n";
  EXPECT_FALSE(Unchanged());
}

TEST_F(PathWatcherTest, AReplacedDirectoryIsWatchedAnewAndTheOldSetStaysChanged) {
  WatchHeaders();
  ::rename((root_ + "/inc").c_str(), (root_ + "/inc.old").c_str());
  ::mkdir((root_ + "/inc").c_str(), 0755);
  test::WriteTestFile(root_ + "/inc/a.h", "int a;\n");
  test::WriteTestFile(root_ + "/inc/b.h", "int b;\n");
  EXPECT_FALSE(Unchanged());
  EXPECT_FALSE(Unchanged());  // for good
  // A new set watches the new directory: a change in it counts.
  WatchHeaders();
  EXPECT_TRUE(Unchanged());
  std::ofstream(root_ + "/inc/a.h", std::ios::app) << "int more;\n";
  EXPECT_FALSE(Unchanged());
}

TEST_F(PathWatcherTest, SlotsOfGoneWatchesAreFreedWithTheLastSetHoldingThem) {
  WatchHeaders();
  std::vector<std::weak_ptr<const PathWatcher::Slot>> held(set_->slots.begin(), set_->slots.end());
  ASSERT_TRUE(::unlink((root_ + "/inc/a.h").c_str()) == 0);
  ::rename((root_ + "/inc").c_str(), (root_ + "/inc.old").c_str());
  EXPECT_FALSE(Unchanged());
  set_.reset();  // the last holder: what is no longer watched goes with it
  size_t alive = 0;
  for (const auto& w : held) alive += !w.expired();
  // Still watched: the root's own slot and its entries (shadow.h, inc) and the path above it.
  const size_t gone = held.size() - alive;
  EXPECT_GE(gone, 3u) << "a.h's file slot, and inc's own and entry slots, must be freed";
}

TEST_F(PathWatcherTest, AChangeBetweenWatchingAndSyncingCounts) {
  WatchHeaders();
  std::ofstream(root_ + "/inc/b.h", std::ios::app) << "int more;\n";  // before any Sync
  EXPECT_FALSE(Unchanged());
}

TEST_F(PathWatcherTest, NonCanonicalPathsAreRefused) {
  ASSERT_EQ(::symlink((root_ + "/inc").c_str(), (root_ + "/link").c_str()), 0);
  EXPECT_FALSE(watcher_->Watch({root_ + "/link/a.h"}, {}).has_value());
  EXPECT_FALSE(watcher_->Watch({root_ + "/inc/../inc/a.h"}, {}).has_value());
  EXPECT_FALSE(watcher_->Watch({"inc/a.h"}, {}).has_value());
  EXPECT_FALSE(watcher_->Watch({root_ + "/inc/missing.h"}, {}).has_value());
}

TEST_F(PathWatcherTest, SystemHeadersCanBeWatched) {
  std::optional<PathWatcher::Set> set =
      watcher_->Watch({"/usr/include/stdio.h", "/usr/include/c++/12/vector"}, {});
  ASSERT_TRUE(set.has_value());
  watcher_->Sync();
  EXPECT_TRUE(watcher_->Unchanged(*set));
}

}  // namespace
}  // namespace zc::util

#pragma once
#include <map>
#include <string>

namespace app {
std::map<std::string, int> WordCounts(const std::string& text);
}  // namespace app
extern "C" unsigned app_checksum(const char* data, unsigned long size);

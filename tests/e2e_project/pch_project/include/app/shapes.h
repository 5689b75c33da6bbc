#pragma once
#include <string>
#include <vector>

namespace app {
struct Shape {
  std::string name;
  double area;
};
std::vector<Shape> LargestFirst(std::vector<Shape> shapes);
std::string BuildName();
}  // namespace app

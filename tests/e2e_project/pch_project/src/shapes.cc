#include "app/shapes.h"

#include "app/build_info.h"

namespace app {
std::vector<Shape> LargestFirst(std::vector<Shape> shapes) {
  std::sort(shapes.begin(), shapes.end(),
            [](const Shape& a, const Shape& b) { return a.area > b.area; });
  return shapes;
}
std::string BuildName() {
  return std::string(APP_BUILD_NAME) + "/" + std::to_string(APP_BUILD_LEVEL);
}
}  // namespace app

#include "app/probe.h"

namespace app {
int OptionalFeatures() {
#if APP_HAVE_OPTIONAL
  std::optional<int> found = 1;
  return *found + APP_HAVE_MISSING;
#else
  return APP_HAVE_MISSING;
#endif
}
}  // namespace app

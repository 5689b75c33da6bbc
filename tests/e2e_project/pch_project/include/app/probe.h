// Feature probes through a macro, as abseil does: __has_include(MACRO) names its header only once
// the macro is expanded, so a cache cannot tell from the text what the probe can see.
#pragma once
#define APP_OPTIONAL_HEADER <optional>
#define APP_MISSING_HEADER <app/does_not_exist.h>
#if defined(__has_include) && __has_include(APP_OPTIONAL_HEADER)
#include APP_OPTIONAL_HEADER
#define APP_HAVE_OPTIONAL 1
#else
#define APP_HAVE_OPTIONAL 0
#endif
#if defined(__has_include) && __has_include(APP_MISSING_HEADER)
#define APP_HAVE_MISSING 1
#else
#define APP_HAVE_MISSING 0
#endif

namespace app {
int OptionalFeatures();
}  // namespace app

/* A C source in the same library: C objects next to C++ ones. */
#include "app/build_info.h"

unsigned app_checksum(const char* data, unsigned long size) {
  unsigned sum = APP_BUILD_LEVEL;
  for (unsigned long i = 0; i < size; ++i) sum = sum * 31u + (unsigned char)data[i];
  return sum;
}

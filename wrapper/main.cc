// zcwrap: the drop-in compiler cache. Everything lives in zcwrap_main.cc and cachecore.
#include "wrapper/zcwrap_main.h"

int main(int argc, char** argv) { return zc::wrapper::ZcwrapMain(argc, argv); }

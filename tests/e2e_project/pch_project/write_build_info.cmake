# Writes the generated header (OUT): the same content on every run, a new file every time.
file(WRITE ${OUT} "#pragma once\n#define APP_BUILD_NAME \"zcwrap-real-project\"\n#define APP_BUILD_LEVEL 3\n")

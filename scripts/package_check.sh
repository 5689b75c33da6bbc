#!/usr/bin/env bash
# The Debian packages, checked as a user meets them (issue 15). CI runs it from scripts/test.sh.
#
#   1. build: the git-tracked tree (uncommitted edits included, untracked files not) copied to a
#      temporary directory, then `dpkg-buildpackage -b -us -uc`: zcwrap, libzcshim0,
#      libzcshim-dev;
#   2. lintian on them: errors fail, every other tag is printed (each one is fixed or overridden
#      with its reason: debian/*.lintian-overrides, docs/dependencies.md);
#   3. a fresh `debootstrap --variant=minbase` root of this machine's release, from its Debian
#      mirror, with only what the checks need (gcc, g++, make, pkg-config, man-db);
#   4. `apt-get install` of the three .debs there (apt resolves their dependencies);
#   5. inside the root, with nothing of this tree on PATH: man zcwrap, man 3 zcshim,
#      zcwrap --version, the completion files; a small C/C++ make project built with
#      PATH=/usr/lib/zcwrap:$PATH twice (the second build all direct hits, the same objects) and
#      twice with CC="zcwrap gcc"; the versioned links and their dpkg trigger; a C host built with
#      $(pkg-config --cflags --libs zcshim) (miss, hit, stats) and tests/shim/c_api_acceptance.c
#      against the installed library;
#   6. the demo (scripts/demo.sh's): googletest built twice by CMake with zcwrap as the compiler
#      launcher, the second build all hits with the same objects;
#   7. a purge that leaves nothing of zcwrap behind.
#
#   scripts/package_check.sh     # as root; ends with one line: "package_check: ok|FAILED (...)"
#
# Needs root (chroot, mounts), the packages of scripts/install_packages.sh and the network to
# the Debian mirror. The root's mounts live in private mount and PID namespaces (unshare), so
# they, and anything left running in the root, end with this script, even when it is killed;
# the temporary directory is removed on exit (ZCWRAP_PACKAGE_CHECK_KEEP=1 keeps it). Downloaded
# .debs are kept in /var/cache/zcwrap-package-check for the next run.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD

export LC_ALL=C.UTF-8
cache=${ZCWRAP_PACKAGE_CACHE:-/var/cache/zcwrap-package-check}
failures=0
times=()
phase_name=
phase_start=0
script_start=$(date +%s%N)

seconds_since() { # START_NS -> "12.3"
  local ms=$((($(date +%s%N) - $1) / 1000000))
  printf '%d.%d' $((ms / 1000)) $((ms % 1000 / 100))
}
phase() { # NAME: ends the phase running (printing its time), starts NAME
  if [ -n "$phase_name" ]; then
    local took
    took=$(seconds_since "$phase_start")
    times+=("$phase_name ${took}s")
    echo "== $phase_name took ${took} s"
  fi
  phase_name=$1
  phase_start=$(date +%s%N)
  [ "$1" = "(end)" ] || echo "== $1"
}
summary() { # STATUS
  phase "(end)"
  echo "package_check: $1 (${times[*]}; total $(seconds_since "$script_start") s)"
}
die() {
  echo "package_check: $*" >&2
  failures=$((failures + 1))
  summary FAILED
  exit 1
}

[ "$(id -u)" = 0 ] || { echo "package_check.sh: run as root (debootstrap, chroot)" >&2; exit 2; }
for tool in dpkg-buildpackage dh lintian debootstrap unshare git; do
  command -v "$tool" >/dev/null ||
    { echo "package_check.sh: $tool missing (scripts/install_packages.sh)" >&2; exit 2; }
done

work=$(mktemp -d /tmp/zcwrap-package-XXXXXX)
chmod 755 "$work" # lintian runs as nobody
root="$work/root"
cleanup() {
  if [ "${ZCWRAP_PACKAGE_CHECK_KEEP:-0}" = 1 ]; then
    echo "package_check: kept $work"
  else
    rm -rf "$work"
  fi
}
trap cleanup EXIT

# Commands in the root run in their own mount and PID namespaces: /proc and the .deb cache are
# mounted there only, and whatever they leave running (zcwrap's daemon) is killed with them.
# Where / cannot be made private (this script run inside a chroot: its / is no mount point),
# the namespace keeps the propagation it has, and the work directory is bind-mounted onto itself
# and made private first, so nothing mounted under it reaches the parent namespace either way.
propagation=private
if ! unshare --mount --propagation private true 2>/dev/null; then
  propagation=unchanged
fi
isolated() { # COMMAND ARGS... (in new mount and PID namespaces, $work private)
  unshare --mount --pid --fork --propagation "$propagation" --kill-child \
    sh -c 'mount --bind "$0" "$0" && mount --make-rprivate "$0" && exec "$@"' "$work" "$@"
}
# shellcheck disable=SC2016  # the sh -c script gets its values as arguments
in_root() { # COMMAND ARGS... (run in the root, as root, with a clean environment)
  isolated sh -c 'root=$0 debs=$1 && shift &&
           mount -t proc proc "$root/proc" &&
           mount --bind "$debs" "$root/var/cache/apt/archives" &&
           exec chroot "$root" /usr/bin/env -i HOME=/root LANG=C.UTF-8 TERM=dumb \
             PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "$@"' \
    "$root" "$cache" "$@"
}

# ---- 1. Build --------------------------------------------------------------------------------
phase build
src="$work/zcwrap"
mkdir "$src"
git -C "$repo" ls-files -z | (cd "$repo" && tar --null -T - --ignore-failed-read -cf - 2>/dev/null) |
  tar -xf - -C "$src"
[ -f "$src/debian/control" ] || die "debian/control is not in the git-tracked tree"
version=$(cd "$src" && dpkg-parsechangelog -S Version)
if ! (cd "$src" && DEB_BUILD_OPTIONS="nocheck noddebs parallel=2" \
  dpkg-buildpackage -b -us -uc) >"$work/build.log" 2>&1; then
  tail -n 60 "$work/build.log" >&2
  die "dpkg-buildpackage failed (the last lines of its log are above)"
fi
debs=("$work/zcwrap_${version}_"*.deb "$work/libzcshim0_${version}_"*.deb
      "$work/libzcshim-dev_${version}_"*.deb)
for deb in "${debs[@]}"; do
  [ -f "$deb" ] || die "not built: ${deb##*/}"
  echo "built ${deb##*/} ($(du -k "$deb" | cut -f1) KiB)"
done

# ---- 2. Lintian ------------------------------------------------------------------------------
phase lintian
mkdir -m 1777 "$work/lintian-tmp"
# As nobody (lintian warns about root), from a directory nobody may enter (a clone under /root
# is not). Errors fail (E:, not overridden ones, O:); warnings and the rest are printed.
if ! cd "$work" || ! setpriv --reuid=nobody --regid=nogroup --clear-groups \
  env HOME="$work/lintian-tmp" TMPDIR="$work/lintian-tmp" \
  lintian --fail-on none --display-info --pedantic --show-overrides --tag-display-limit 0 \
  "$work/zcwrap_${version}_"*.changes >"$work/lintian.log" 2>&1; then
  cat "$work/lintian.log" >&2
  die "lintian could not check the packages"
fi
if grep -q '^E: ' "$work/lintian.log"; then
  cat "$work/lintian.log" >&2
  die "lintian found errors"
fi
if [ -s "$work/lintian.log" ]; then
  echo "lintian tags (no errors; O: overridden, with the reasons in debian/*.lintian-overrides):"
  sed 's/^/  /' "$work/lintian.log"
else
  echo "lintian: no tags"
fi

# ---- 3. A fresh root -------------------------------------------------------------------------
phase debootstrap
# This machine's release and Debian mirror, as its apt sources name them.
# shellcheck disable=SC1091
suite=$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")
mirror=$(python3 - "$suite" <<'PY'
import glob, re, sys
suite = sys.argv[1]
found = []
for name in ["/etc/apt/sources.list"] + sorted(glob.glob("/etc/apt/sources.list.d/*.list")):
    try:
        lines = open(name).read().splitlines()
    except OSError:
        continue
    for line in lines:
        m = re.match(r"\s*deb\s+(\[[^]]*\]\s+)?(\S+)\s+(\S+)", line.split("#")[0])
        if m:
            found.append((m.group(2), m.group(3)))
for name in sorted(glob.glob("/etc/apt/sources.list.d/*.sources")):
    for stanza in re.split(r"\n\s*\n", open(name).read()):
        fields, key = {}, None
        for line in stanza.splitlines():
            if line.startswith("#"):
                continue
            if line[:1].isspace() and key:
                fields[key] += " " + line.strip()
            elif ":" in line:
                key, value = line.split(":", 1)
                key = key.strip().lower()
                fields[key] = value.strip()
        if "deb" in fields.get("types", "").split() and fields.get("enabled", "yes") != "no":
            for uri in fields.get("uris", "").split():
                for s in fields.get("suites", "").split():
                    found.append((uri, s))
for uri, s in found:
    if s == suite:
        print(uri)
        break
PY
)
[ -n "$mirror" ] || die "no Debian mirror for $suite in /etc/apt/sources.list*"
# A proxy apt is configured with is the one to use for the mirror.
proxy_conf=$(apt-config dump | grep -iE '^Acquire::(http|https)::Proxy ' || true)
http_proxy_conf=$(apt-config dump --format '%v' Acquire::http::Proxy 2>/dev/null || true)
if [ -n "$http_proxy_conf" ] && [ -z "${http_proxy:-}" ]; then
  export http_proxy=$http_proxy_conf
fi
echo "debootstrap --variant=minbase $suite from $mirror${http_proxy:+ (proxy $http_proxy)}"
mkdir -p "$cache/partial"
if ! isolated debootstrap --variant=minbase --cache-dir="$cache" \
  --include=gcc,g++,make,pkg-config,man-db "$suite" "$root" "$mirror" \
  >"$work/debootstrap.log" 2>&1; then
  tail -n 30 "$work/debootstrap.log" >&2
  die "debootstrap failed (the last lines of its log are above)"
fi
cp /etc/resolv.conf "$root/etc/resolv.conf"
if [ -n "$proxy_conf" ]; then
  printf '%s\n' "$proxy_conf" >"$root/etc/apt/apt.conf.d/01proxy"
fi
# This machine's own CA certificates (a TLS-intercepting proxy's): the root trusts them too.
if compgen -G '/usr/local/share/ca-certificates/*' >/dev/null; then
  mkdir -p "$root/usr/local/share/ca-certificates"
  cp -r /usr/local/share/ca-certificates/. "$root/usr/local/share/ca-certificates/"
fi
# A throw-away root: no fsync per file, and apt downloads as root into the shared cache.
echo force-unsafe-io >"$root/etc/dpkg/dpkg.cfg.d/zcwrap-check"
echo 'APT::Sandbox::User "root";' >"$root/etc/apt/apt.conf.d/01zcwrap-check"

# ---- 4. Install the packages ------------------------------------------------------------------
phase install
mkdir "$root/debs"
cp "${debs[@]}" "$root/debs/"
# debootstrap left the suite's package lists in the root; apt resolves the dependencies from
# them (those of the mirror at this moment) and downloads what is missing.
if ! in_root apt-get install -y -q --no-install-recommends \
  "${debs[@]/#"$work"//debs}" >"$work/install.log" 2>&1; then
  cat "$work/install.log" >&2
  die "apt-get install of the packages failed in the fresh root"
fi
grep -E '^(Setting up|Get:|Updating|Adding)' "$work/install.log" | sed 's/^/  /' || true

# ---- 5. Use them -----------------------------------------------------------------------------
phase checks
mkdir "$root/check"
cp "$repo/tests/shim/c_api_acceptance.c" "$repo/tests/shim/c_helpers.h" "$root/check/"
awk '/^```c$/ {on = 1; next} /^```$/ {on = 0} on' "$repo/docs/embedding.md" \
  >"$root/check/doc_example.c"
cat >"$root/check/run.sh" <<'CHECKS'
#!/bin/bash
# Runs inside the fresh root, as a user would: only the installed packages.
set -uo pipefail
failures=0
ok() { echo "ok: $*"; }
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
check() { # DESCRIPTION COMMAND...: ok if COMMAND succeeds (its output shown on failure)
  local what=$1 out
  shift
  if out=$("$@" 2>&1); then ok "$what"; else fail "$what"; printf '%s\n' "$out" | tail -n 20; fi
}
counter() { zcwrap --print-stats | awk -v n="$1" '$1 == n { print $2 }'; }

cd /check
case ":$PATH:" in *zcwrap*) fail "PATH names something of zcwrap's: $PATH" ;; esac
[ "$(command -v zcwrap)" = /usr/bin/zcwrap ] && ok "zcwrap is /usr/bin/zcwrap" ||
  fail "zcwrap is $(command -v zcwrap), want /usr/bin/zcwrap"
version=$(zcwrap --version | head -n 1)
[[ $version == "zcwrap version $ZC_VERSION"* ]] && ok "zcwrap --version: $version" ||
  fail "zcwrap --version: '$version', want zcwrap version $ZC_VERSION"

# Manual pages, through man-db as a user reads them.
page=$(man -P cat zcwrap 2>&1 | head -n 12)
grep -q '^NAME' <<<"$page" && grep -q 'zcwrap' <<<"$page" && ok "man zcwrap" ||
  fail "man zcwrap: $page"
printf '%s\n' "$page" | sed -n '1,6s/^/    /p'
page=$(man -P cat 3 zcshim 2>&1 | head -n 12)
grep -q 'zcshim' <<<"$page" && grep -q 'SYNOPSIS' <<<"$page" && ok "man 3 zcshim" ||
  fail "man 3 zcshim: $page"
page=$(man -P cat update-zcwrap-symlinks 2>&1 | head -n 5)
grep -q 'update-zcwrap-symlinks' <<<"$page" && ok "man update-zcwrap-symlinks" ||
  fail "man update-zcwrap-symlinks: $page"
check "bash completion: /usr/share/bash-completion/completions/zcwrap defines _zcwrap" \
  grep -q 'complete -F _zcwrap zcwrap' /usr/share/bash-completion/completions/zcwrap
check "zsh completion: /usr/share/zsh/vendor-completions/_zcwrap" \
  grep -q '^#compdef zcwrap' /usr/share/zsh/vendor-completions/_zcwrap

# The masquerade directory: the plain names from the package, the versioned ones from postinst.
for name in gcc g++ cc c++ clang clang++; do
  [ "$(readlink /usr/lib/zcwrap/$name)" = ../../bin/zcwrap ] ||
    fail "/usr/lib/zcwrap/$name is not a link to ../../bin/zcwrap"
done
gcc_version=$(gcc -dumpversion)
triplet=$(gcc -dumpmachine)
for name in "gcc-$gcc_version" "g++-$gcc_version" "$triplet-gcc-$gcc_version" "$triplet-g++"; do
  [ -L "/usr/lib/zcwrap/$name" ] || fail "postinst made no link /usr/lib/zcwrap/$name"
done
ok "/usr/lib/zcwrap: $(ls /usr/lib/zcwrap | tr '\n' ' ')"
out=$(PATH=/usr/lib/zcwrap:$PATH "gcc-$gcc_version" --version 2>&1 | head -n 1)
[[ $out == gcc-$gcc_version* ]] && ok "/usr/lib/zcwrap/gcc-$gcc_version finds the real compiler: $out" ||
  fail "/usr/lib/zcwrap/gcc-$gcc_version --version: $out"

# A gcc that comes (and goes) later: the dpkg trigger on /usr/lib/gcc runs update-zcwrap-symlinks.
mkdir -p "/usr/lib/gcc/$triplet/99"
printf '#!/bin/sh\nexec gcc "$@"\n' >/usr/bin/gcc-99
chmod 755 /usr/bin/gcc-99
dpkg-trigger --no-await /usr/lib/gcc && dpkg --triggers-only --pending >/dev/null
[ -L /usr/lib/zcwrap/gcc-99 ] && ok "a new gcc-99: the trigger added /usr/lib/zcwrap/gcc-99" ||
  fail "the trigger did not add /usr/lib/zcwrap/gcc-99"
rm -rf /usr/bin/gcc-99 "/usr/lib/gcc/$triplet/99"
dpkg-trigger --no-await /usr/lib/gcc && dpkg --triggers-only --pending >/dev/null
[ ! -e /usr/lib/zcwrap/gcc-99 ] && [ ! -L /usr/lib/zcwrap/gcc-99 ] &&
  ok "gcc-99 gone: the trigger removed its link" || fail "the trigger left /usr/lib/zcwrap/gcc-99"

# A small C and C++ project, built with make through /usr/lib/zcwrap (cc and g++ there).
export ZCWRAP_DIR=/tmp/zcwrap-cache
mkdir -p /check/proj
cd /check/proj
cat >proj.h <<'EOF'
#ifndef PROJ_H
#define PROJ_H
#ifdef __cplusplus
extern "C" {
#endif
int sum_list(const int* values, int count);
const char* shout(const char* text);
double total_area(void);
#ifdef __cplusplus
}
#endif
#endif
EOF
cat >main.c <<'EOF'
#include <stdio.h>
#include "proj.h"
int main(void) {
  int v[] = {1, 2, 3, 4};
  printf("%d %s %.1f\n", sum_list(v, 4), shout("zcwrap"), total_area());
  return 0;
}
EOF
cat >list.c <<'EOF'
#include "proj.h"
int sum_list(const int* values, int count) {
  int s = 0;
  for (int i = 0; i < count; i++) s += values[i];
  return s;
}
EOF
cat >strbuf.c <<'EOF'
#include <ctype.h>
#include <string.h>
#include "proj.h"
const char* shout(const char* text) {
  static char buf[64];
  size_t n = strlen(text) < sizeof buf - 1 ? strlen(text) : sizeof buf - 1;
  for (size_t i = 0; i < n; i++) buf[i] = (char)toupper((unsigned char)text[i]);
  buf[n] = '\0';
  return buf;
}
EOF
cat >shapes.cc <<'EOF'
#include <memory>
#include <numeric>
#include <vector>
#include "proj.h"
struct Shape { virtual ~Shape() = default; virtual double Area() const = 0; };
struct Square : Shape { double s; explicit Square(double v) : s(v) {} double Area() const override { return s * s; } };
extern "C" double total_area(void) {
  std::vector<std::unique_ptr<Shape>> shapes;
  shapes.push_back(std::make_unique<Square>(2));
  shapes.push_back(std::make_unique<Square>(3));
  return std::accumulate(shapes.begin(), shapes.end(), 0.0,
                         [](double a, const auto& s) { return a + s->Area(); });
}
EOF
cat >Makefile <<'EOF'
CFLAGS = -O2 -g -Wall
CXXFLAGS = -O2 -g -Wall -std=c++17
OBJS = main.o list.o strbuf.o shapes.o
app: $(OBJS)
	$(CXX) -o $@ $(OBJS)
$(OBJS): proj.h
clean:
	rm -f app $(OBJS)
EOF
sources=4
want_output='10 ZCWRAP 13.0'
[ "$(PATH=/usr/lib/zcwrap:$PATH command -v cc)" = /usr/lib/zcwrap/cc ] ||
  fail "with /usr/lib/zcwrap first in PATH, cc is not /usr/lib/zcwrap/cc"
build() { # LABEL MAKE-ARGS...: make clean, make; prints the hit and miss deltas
  local label=$1 hits misses out
  shift
  make clean >/dev/null
  hits=$(counter direct_cache_hit)
  misses=$(counter cache_miss)
  if ! out=$("$@" 2>&1); then
    fail "$label: make failed"
    printf '%s\n' "$out" | tail -n 20
    return 1
  fi
  [ "$(./app)" = "$want_output" ] || fail "$label: ./app printed '$(./app)', want '$want_output'"
  built_hits=$(($(counter direct_cache_hit) - hits))
  built_misses=$(($(counter cache_miss) - misses))
}
same_objects() { # LABEL
  local o
  for o in main.o list.o strbuf.o shapes.o; do
    cmp -s "$o" "/check/first/$o" || { fail "$1: $o differs from the first build's"; return; }
  done
  ok "$1: the objects are identical to the first build's"
}
build "first build (PATH=/usr/lib/zcwrap:\$PATH make)" env PATH="/usr/lib/zcwrap:$PATH" make &&
  if [ "$built_misses" = "$sources" ] && [ "$built_hits" = 0 ]; then
    ok "first build: $built_misses misses (cache_miss), $built_hits hits"
  else
    fail "first build: $built_misses misses and $built_hits hits, want $sources and 0"
  fi
mkdir -p /check/first
cp main.o list.o strbuf.o shapes.o /check/first/
build "second build (after make clean)" env PATH="/usr/lib/zcwrap:$PATH" make &&
  if [ "$built_hits" = "$sources" ] && [ "$built_misses" = 0 ]; then
    ok "second build after make clean: $built_hits direct hits (direct_cache_hit), no miss"
  else
    fail "second build: $built_hits direct hits and $built_misses misses, want $sources and 0"
  fi
same_objects "second build"
# As a launcher: the C files miss once, since the compiler's name is in the key (gcc is not cc,
# as with ccache: one binary may act on its name), the C++ file (g++ both times) hits.
launcher='CC="zcwrap gcc" CXX="zcwrap g++" make'
build "$launcher" make CC="zcwrap gcc" CXX="zcwrap g++" &&
  if [ "$built_misses" = 3 ] && [ "$built_hits" = 1 ]; then
    ok "$launcher: 3 misses (cc is now gcc), 1 direct hit (g++)"
  else
    fail "$launcher: $built_hits hits and $built_misses misses, want 1 and 3"
  fi
same_objects "$launcher"
build "$launcher again" make CC="zcwrap gcc" CXX="zcwrap g++" &&
  if [ "$built_hits" = "$sources" ] && [ "$built_misses" = 0 ]; then
    ok "$launcher again after make clean: $built_hits direct hits, no miss"
  else
    fail "$launcher again: $built_hits hits and $built_misses misses, want $sources and 0"
  fi
same_objects "$launcher again"
zcwrap -s | sed 's/^/    /'

# A C host of libzcshim, built as docs/embedding.md says, on the installed files only.
cd /check
check "no -dev package of zcshim's own dependencies is installed (pkg-config must not need one)" \
  sh -c '! dpkg-query -W -f="\${Package} \${Status}\n" libabsl-dev libssl-dev libzstd-dev libxxhash-dev libhiredis-dev 2>/dev/null | grep -q "install ok installed"'
flags=$(pkg-config --cflags --libs zcshim) && ok "pkg-config --cflags --libs zcshim: $flags" ||
  fail "pkg-config --cflags --libs zcshim"
cat >host.c <<'EOF'
#include <stdio.h>
#include <string.h>
#include <zcshim.h>

/* Starts a service, compiles hello.c twice (a miss, then a hit) and prints two counters. */
int main(void) {
  zc_config config = ZC_CONFIG_INIT;
  config.cache_root = "/tmp/zcshim-host-cache";
  config.host.product = "package-check";
  config.host.instance_id = "host";
  config.host.workspace_id = "ws";
  zc_service* service = NULL;
  zc_status st = zc_service_start(&config, &service);
  if (st != ZC_OK) {
    fprintf(stderr, "start: %s: %s\n", zc_status_message(st), zc_last_error());
    return 1;
  }
  const char* argv[] = {"gcc", "-c", "hello.c", "-o", "hello.o"};
  const zc_outcome want[] = {ZC_OUTCOME_MISS, ZC_OUTCOME_HIT};
  for (int i = 0; i < 2; i++) {
    zc_compile_request request = ZC_COMPILE_REQUEST_INIT;
    request.argv = argv;
    request.argc = 5;
    request.cwd = "/check";
    zc_compile_result* result = NULL;
    st = zc_service_compile(service, &request, &result);
    if (st != ZC_OK) {
      fprintf(stderr, "compile: %s: %s\n", zc_status_message(st), zc_last_error());
      return 1;
    }
    printf("compile %d: %s, exit %d\n", i + 1, result->reason, result->exit_code);
    int good = result->outcome == want[i] && result->exit_code == 0;
    zc_compile_result_free(result);
    if (!good) return 1;
  }
  zc_stats* stats = NULL;
  if (zc_service_stats(service, &stats) != ZC_OK) return 1;
  for (size_t i = 0; i < stats->counter_count; i++) {
    if (strcmp(stats->counters[i].name, "cache_miss") == 0 ||
        strcmp(stats->counters[i].name, "direct_cache_hit") == 0) {
      printf("%s %llu\n", stats->counters[i].name, (unsigned long long)stats->counters[i].value);
    }
  }
  zc_stats_free(stats);
  zc_service_shutdown(service, ZC_SHUTDOWN_GRACEFUL);
  zc_service_free(service);
  return 0;
}
EOF
printf 'int hello(void) { return 42; }\n' >hello.c
# shellcheck disable=SC2086  # pkg-config's output is a list of flags
if cc -std=c11 -Wall -Werror -o host host.c $flags; then
  if out=$(./host 2>&1) && grep -q '^cache_miss 1$' <<<"$out" &&
     grep -q '^direct_cache_hit 1$' <<<"$out"; then
    ok "a C host (cc host.c \$(pkg-config --cflags --libs zcshim)): miss, then hit"
    sed 's/^/    /' <<<"$out"
  else
    fail "the C host: $out"
  fi
else
  fail "cc host.c \$(pkg-config --cflags --libs zcshim) did not build"
fi
check "docs/embedding.md's C example builds with pkg-config zcshim" \
  cc -std=c11 -Wall -Werror -o doc_example doc_example.c $flags
if cc -std=c11 -Wall -Wextra -Werror -o c_api_acceptance c_api_acceptance.c $flags -pthread; then
  mkdir -p /check/acceptance
  if out=$(./c_api_acceptance /check/acceptance /usr/bin/zcwrap 2>&1); then
    ok "tests/shim/c_api_acceptance.c against the installed libzcshim and zcwrap"
    sed 's/^/    /' <<<"$out"
  else
    fail "tests/shim/c_api_acceptance.c: $out"
  fi
else
  fail "tests/shim/c_api_acceptance.c did not build with pkg-config zcshim"
fi
zcwrap --daemon-stop >/dev/null 2>&1

echo "checks in the root: $failures failed"
exit $((failures > 0))
CHECKS
if ! in_root env ZC_VERSION="$version" bash /check/run.sh; then
  failures=$((failures + 1))
fi

# ---- 6. The demo (scripts/demo.sh's): googletest built twice by CMake and Ninja with
# CMAKE_<LANG>_COMPILER_LAUNCHER=zcwrap; the second build after `ninja clean` is all hits and
# gives the same objects.
phase demo
cat >"$root/check/demo.sh" <<'DEMO'
#!/bin/bash
set -uo pipefail
fail() { echo "FAIL: $*"; exit 1; }
apt-get install -y -q --no-install-recommends cmake ninja-build googletest >/tmp/demo-apt.log 2>&1 ||
  { cat /tmp/demo-apt.log; fail "apt-get install cmake ninja-build googletest"; }
export ZCWRAP_DIR=/tmp/zcwrap-demo-cache
cmake -S /usr/src/googletest -B /tmp/demo -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_C_COMPILER_LAUNCHER=zcwrap -DCMAKE_CXX_COMPILER_LAUNCHER=zcwrap >/dev/null ||
  fail "cmake googletest"
TIMEFORMAT='%R s'
took=$( { time ninja -j2 -C /tmp/demo >/tmp/demo-ninja.log 2>&1; } 2>&1) ||
  { tail -n 20 /tmp/demo-ninja.log; fail "first build of googletest"; }
objects=$(find /tmp/demo -name '*.o' | wc -l)
echo "first build (cold cache): $took, $(zcwrap --print-stats | awk '$1 == "cache_miss" {print $2}') misses, $objects objects"
mkdir /tmp/demo-first
find /tmp/demo -name '*.o' -exec cp --parents {} /tmp/demo-first \;
zcwrap -z >/dev/null
ninja -C /tmp/demo clean >/dev/null
took=$( { time ninja -j2 -C /tmp/demo >/tmp/demo-ninja.log 2>&1; } 2>&1) ||
  { tail -n 20 /tmp/demo-ninja.log; fail "second build of googletest"; }
hits=$(zcwrap --print-stats | awk '$1 == "direct_cache_hit" {print $2}')
misses=$(zcwrap --print-stats | awk '$1 == "cache_miss" {print $2}')
differ=0
while read -r o; do cmp -s "$o" "/tmp/demo-first$o" || differ=$((differ + 1)); done \
  < <(find /tmp/demo -name '*.o')
zcwrap --daemon-stop >/dev/null 2>&1
echo "second build after ninja clean: $took, $hits direct hits, $misses misses, $differ objects differ"
[ "$hits" = "$objects" ] && [ "$misses" = 0 ] && [ "$differ" = 0 ] ||
  fail "the second build is not all hits with the same objects"
echo "ok: the demo's second build is all hits ($hits of $objects), the objects identical"
DEMO
if ! in_root bash /check/demo.sh; then
  failures=$((failures + 1))
fi

# ---- 7. Purge: nothing of zcwrap is left.
phase purge
cat >"$root/check/purge.sh" <<'PURGE'
#!/bin/bash
set -uo pipefail
if out=$(apt-get purge -y -q zcwrap libzcshim-dev libzcshim0 2>&1); then
  left=$(ls -d /usr/lib/zcwrap /usr/bin/zcwrap /usr/sbin/update-zcwrap-symlinks \
    /usr/include/zcshim.h 2>/dev/null)
  [ -z "$left" ] || { echo "FAIL: after purge: $left"; exit 1; }
  echo "ok: apt-get purge: nothing left (/usr/lib/zcwrap is gone)"
else
  echo "FAIL: apt-get purge: $out"
  exit 1
fi
PURGE
if ! in_root bash /check/purge.sh; then
  failures=$((failures + 1))
fi

if [ "$failures" -gt 0 ]; then
  summary FAILED
  exit 1
fi
summary ok

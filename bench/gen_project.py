#!/usr/bin/env python3
"""Writes a deterministic C/C++ project for benchmarking compiler caches (bench/replay/zc_replay).

    bench/gen_project.py --out /tmp/genproj                # 300 sources, seed 7
    bench/gen_project.py --out /tmp/genproj --files 600 --seed 3 --cc clang --cxx clang++

The same arguments always give byte-identical files (files whose content is unchanged are not
rewritten, so their mtimes stay). The project looks like a real one to a compiler cache:

- include/core/*.h: a few "core" headers (C, extern "C" guarded) that nearly every file includes,
  and that include one another;
- modules/mod_NN/: about ten sources each, in C (c11) or C++ (c++17). Each module has a public
  header include/mod_NN/api.h, which includes core headers and the api.h of up to three lower
  modules (a layered graph: C modules only depend on C modules), and a private src/internal.h;
- C++ sources include one to four standard headers (<map>, <regex>, ...) besides <string> and
  <vector>, and use them;
- every header has an include guard.

It writes a Makefile (objects under build/; `make -j CC=clang CXX=clang++` works) and a
compile_commands.json with absolute paths: {"directory", "file", "arguments": [cc, -O2, -g, ...,
-c, SRC, -o, OBJ], "output"}. Everything compiles without warnings under -Wall -Wextra with gcc 12
and clang 14. Only the standard library is used.
"""

import argparse
import json
import os
import random
import sys

CORE_HEADERS = ["platform", "types", "config", "hash", "log", "strutil", "mathutil", "arena"]

# Standard headers a C++ source may include, each with a statement that uses it. Every snippet
# reads `n` (int) and `xs` (const std::vector<int>&) and adds to `acc` (long).
STL_SNIPPETS = {
    "algorithm": "{ std::vector<int> v(xs.begin(), xs.end()); std::sort(v.begin(), v.end());"
                 " acc += v.empty() ? 0 : v.front(); }",
    "array": "{ std::array<int, 4> a{{n, n + 1, n + 2, n + 3}}; acc += a[static_cast<size_t>(n) & 3]; }",
    "deque": "{ std::deque<int> d; d.push_back(n); d.push_front(n * 2); acc += d.front(); }",
    "functional": "{ std::function<int(int)> f = [](int x) { return x * 3 + 1; }; acc += f(n); }",
    "map": "{ std::map<std::string, int> m; m[std::to_string(n)] = n; acc += static_cast<long>(m.size()); }",
    "memory": "{ auto p = std::make_shared<int>(n); auto q = std::make_unique<int>(*p + 1); acc += *q; }",
    "numeric": "{ acc += std::accumulate(xs.begin(), xs.end(), 0L); }",
    "optional": "{ std::optional<int> o; if (n > 2) o = n; acc += o.value_or(7); }",
    "set": "{ std::set<int> s(xs.begin(), xs.end()); acc += static_cast<long>(s.size()); }",
    "sstream": "{ std::ostringstream os; os << n << ':' << xs.size(); acc += static_cast<long>(os.str().size()); }",
    "string": "{ std::string s = std::to_string(n); s += \"x\"; acc += static_cast<long>(s.size()); }",
    "tuple": "{ auto t = std::make_tuple(n, 2, 3L); acc += std::get<0>(t) + std::get<2>(t); }",
    "unordered_map": "{ std::unordered_map<int, int> u; u[n] = n * 2; acc += u[n]; }",
    "variant": "{ std::variant<int, double> v = n; acc += std::holds_alternative<int>(v) ? 1 : 2; }",
    "vector": "{ std::vector<long> v(static_cast<size_t>(n & 15), 2); acc += static_cast<long>(v.size()); }",
    "iostream": "{ if (n == -12345) std::cout << n << '\\n'; }",
    "regex": "{ static const std::regex re(\"[a-z]+[0-9]*\"); acc += std::regex_match(\"abc12\", re) ? 1 : 0; }",
    "chrono": "{ auto d = std::chrono::milliseconds(n); acc += static_cast<long>(d.count()); }",
    "list": "{ std::list<int> l(xs.begin(), xs.end()); l.reverse(); acc += static_cast<long>(l.size()); }",
}
# Heavy headers are rarer, as in real code.
STL_WEIGHTS = {"regex": 0.15, "iostream": 0.5, "chrono": 0.6}


def guard(path):
    return "".join(c if c.isalnum() else "_" for c in path.upper()) + "_"


class Writer:
    """Writes files under a root, leaving unchanged ones untouched."""

    def __init__(self, root):
        self.root = root
        self.written = 0
        self.unchanged = 0

    def write(self, rel, text):
        path = os.path.join(self.root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        try:
            with open(path, encoding="utf-8") as f:
                if f.read() == text:
                    self.unchanged += 1
                    return
        except FileNotFoundError:
            pass
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        self.written += 1


def core_header(name, index, rng):
    """A C header under include/core/, including earlier core headers."""
    rel = f"core/{name}.h"
    lines = [f"/* {rel}: generated core header {index}. */", f"#ifndef {guard(rel)}",
             f"#define {guard(rel)}", ""]
    if name == "platform":
        lines += ["#include <stddef.h>", "#include <stdint.h>", "",
                  "#if defined(__GNUC__)", "#define CORE_LIKELY(x) __builtin_expect(!!(x), 1)",
                  "#else", "#define CORE_LIKELY(x) (x)", "#endif",
                  "#define CORE_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))"]
    else:
        earlier = CORE_HEADERS[1:index]
        includes = ["platform"] + sorted(rng.sample(earlier, min(len(earlier), rng.randint(1, 2))))
        lines += [f'#include "core/{h}.h"' for h in dict.fromkeys(includes)]
        lines += ["", "#ifdef __cplusplus", 'extern "C" {', "#endif", ""]
        if name == "types":
            lines += ["typedef uint32_t core_u32;", "typedef uint64_t core_u64;",
                      "typedef struct core_span { const void* data; size_t size; } core_span;"]
        for k in range(rng.randint(3, 6)):
            c = rng.randint(3, 97)
            lines += [f"#define CORE_{name.upper()}_K{k} {c}",
                      f"static inline uint32_t core_{name}_op{k}(uint32_t x) {{",
                      f"  x ^= x >> {rng.randint(5, 17)};",
                      f"  x *= {rng.randint(1 << 20, 1 << 30) | 1}u;",
                      f"  return x + CORE_{name.upper()}_K{k};", "}"]
        lines += [f"uint32_t core_{name}_external(uint32_t seed, const char* tag);", "",
                  "#ifdef __cplusplus", "}", "#endif"]
    lines += ["", f"#endif /* {guard(rel)} */", ""]
    return rel, "\n".join(lines)


class Module:
    def __init__(self, index, is_cpp, deps, core_deps, nfiles):
        self.index = index
        self.name = f"mod_{index:02d}"
        self.is_cpp = is_cpp
        self.deps = deps            # lower modules whose api.h this api.h includes
        self.core_deps = core_deps  # core headers its api.h includes
        self.nfiles = nfiles
        self.closure = []           # every module reachable through deps (for -I)


def api_header(m, modules):
    rel = f"modules/{m.name}/include/{m.name}/api.h"
    g = guard(f"{m.name}/api.h")
    lines = [f"/* {m.name}/api.h: public interface of {m.name} "
             f"({'C++' if m.is_cpp else 'C'}). Generated. */", f"#ifndef {g}", f"#define {g}", ""]
    if m.is_cpp:
        lines += ["#include <string>", "#include <utility>", "#include <vector>", ""]
    lines += [f'#include "core/{h}.h"' for h in m.core_deps]
    lines += [f'#include "{modules[d].name}/api.h"' for d in m.deps]
    lines.append("")
    p = m.name.upper()
    lines.append(f"#define {p}_LIMIT {17 + m.index * 3}")
    if m.is_cpp:
        lines += [f"namespace {m.name} {{", "",
                  "struct Record {", "  int id = 0;", "  std::string name;",
                  "  std::vector<double> values;", "};", "",
                  "template <typename T>", "T Sum(const std::vector<T>& v) {", "  T s{};",
                  "  for (const T& x : v) s += x;", "  return s;", "}", "",
                  "inline int Clamp(int v) {",
                  f"  return v < 0 ? 0 : (v > {p}_LIMIT ? {p}_LIMIT : v);", "}", "",
                  "class Registry {", " public:",
                  "  void Add(Record r) { records_.push_back(std::move(r)); }",
                  "  size_t size() const { return records_.size(); }",
                  "  int Total() const {", "    int t = 0;",
                  "    for (const Record& r : records_) t += r.id;", "    return t;", "  }",
                  " private:", "  std::vector<Record> records_;", "};", ""]
        lines += [f"long f{k:03d}(int n, const std::vector<int>& xs);" for k in range(m.nfiles)]
        lines += ["", f"}}  // namespace {m.name}"]
    else:
        lines += ["#ifdef __cplusplus", 'extern "C" {', "#endif", "",
                  f"typedef struct {m.name}_record {{", "  int id;", "  double weight;",
                  "  uint32_t flags;", f"}} {m.name}_record;", "",
                  f"static inline int {m.name}_clamp(int v) {{",
                  f"  return v < 0 ? 0 : (v > {p}_LIMIT ? {p}_LIMIT : v);", "}", ""]
        lines += [f"long {m.name}_f{k:03d}(const {m.name}_record* r, int n);"
                  for k in range(m.nfiles)]
        lines += ["", "#ifdef __cplusplus", "}", "#endif"]
    lines += ["", f"#endif /* {g} */", ""]
    return rel, "\n".join(lines)


def internal_header(m, rng):
    rel = f"modules/{m.name}/src/internal.h"
    g = guard(f"{m.name}/src/internal.h")
    extra = sorted(rng.sample(CORE_HEADERS[1:], 2))
    lines = [f"/* Private to {m.name}. Generated. */", f"#ifndef {g}", f"#define {g}", "",
             f'#include "{m.name}/api.h"'] + [f'#include "core/{h}.h"' for h in extra] + [""]
    kind = "inline" if m.is_cpp else "static inline"
    for k in range(rng.randint(2, 5)):
        lines += [f"{kind} long {m.name}_mix{k}(long a, long b) {{",
                  f"  return (a * {rng.randint(3, 99)} + b) ^ (a >> {rng.randint(1, 9)});", "}"]
    lines += ["", f"#endif /* {g} */", ""]
    return rel, "\n".join(lines)


def dep_call(m, modules, rng, value):
    """An expression using a dependency's header (or the module's own)."""
    d = modules[rng.choice(m.deps)] if m.deps else m
    if d.is_cpp:
        return f"{d.name}::Clamp({value})"
    return f"{d.name}_clamp({value})"


def c_source(m, k, modules, rng):
    lines = [f"/* {m.name}/src/f{k:03d}.c: generated. */", '#include "internal.h"']
    lines += [f"#include <{h}>" for h in sorted(rng.sample(["string.h", "stdlib.h", "stdio.h"],
                                                           rng.randint(0, 2)))]
    core = rng.choice(CORE_HEADERS[1:])
    lines += [f'#include "core/{core}.h"', ""]
    lines += [f"static long {m.name}_step{k}(long acc, int i) {{",
              f"  return {m.name}_mix0(acc, i) + (long)core_{core}_op0((uint32_t)i);", "}", ""]
    lines += [f"long {m.name}_f{k:03d}(const {m.name}_record* r, int n) {{", f"  long acc = {k};",
              "  for (int i = 0; i < n; ++i) {",
              f"    acc += {m.name}_clamp(r[i].id) * (long)r[i].weight;",
              f"    acc = {m.name}_step{k}(acc, i);", "  }"]
    for j in range(rng.randint(2, 12)):
        lines += [f"  for (int j = 0; j < n + {j}; ++j) {{",
                  f"    acc ^= (long)j * {rng.randint(3, 999)} + {dep_call(m, modules, rng, 'j')};",
                  f"    if (acc > {rng.randint(1000, 99999)}) acc /= {rng.randint(2, 9)};", "  }"]
    lines += ["  return acc;", "}", ""]
    return "\n".join(lines)


def cpp_source(m, k, modules, rng):
    names = sorted(STL_SNIPPETS)
    weights = [STL_WEIGHTS.get(n, 1.0) for n in names]
    chosen, target = set(), rng.randint(1, 4)
    while len(chosen) < target:
        chosen.add(rng.choices(names, weights)[0])
    chosen = sorted(chosen)
    needs = sorted(set(chosen) | {"string", "vector"})
    lines = [f"// {m.name}/src/f{k:03d}.cc: generated.", '#include "internal.h"', ""]
    lines += [f"#include <{h}>" for h in needs]
    core = rng.choice(CORE_HEADERS[1:])
    lines += [f'#include "core/{core}.h"', "", f"namespace {m.name} {{", "namespace {", "",
              f"long Step(long acc, int i) {{ return {m.name}_mix0(acc, i) + "
              f"static_cast<long>(core_{core}_op0(static_cast<uint32_t>(i))); }}", "",
              "}  // namespace", "",
              f"long f{k:03d}(int n, const std::vector<int>& xs) {{", f"  long acc = {k};",
              "  Registry registry;", "  registry.Add(Record{n, \"r\", {1.0, 2.0}});",
              "  acc += registry.Total() + static_cast<long>(Sum(xs));"]
    lines += [f"  {STL_SNIPPETS[h]}" for h in chosen]
    for j in range(rng.randint(1, 6)):
        lines += [f"  for (int j = 0; j < n + {j}; ++j) {{",
                  f"    acc = Step(acc, j) ^ {dep_call(m, modules, rng, 'j')};", "  }"]
    lines += ["  return acc;", "}", "", f"}}  // namespace {m.name}", ""]
    return "\n".join(lines)


def plan_modules(nfiles, rng):
    nmodules = max(2, (nfiles + 9) // 10)
    sizes = [nfiles // nmodules] * nmodules
    for i in range(nfiles % nmodules):
        sizes[i] += 1
    modules = []
    for i in range(nmodules):
        is_cpp = rng.random() < 0.5 if i >= 2 else i == 1  # mod_00 is C, mod_01 C++
        candidates = [d for d in range(i) if modules[d].is_cpp <= is_cpp]
        deps = sorted(rng.sample(candidates, min(len(candidates), rng.randint(0, 3))))
        core = sorted(set(["types"] + rng.sample(CORE_HEADERS[2:], 2)))
        modules.append(Module(i, is_cpp, deps, core, sizes[i]))
    for m in modules:
        seen, stack = set(), list(m.deps)
        while stack:
            d = stack.pop()
            if d not in seen:
                seen.add(d)
                stack.extend(modules[d].deps)
        m.closure = sorted(seen)
    return modules


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", required=True, help="directory to write the project into")
    parser.add_argument("--files", type=int, default=300, help="number of sources (default 300)")
    parser.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    parser.add_argument("--cc", default="gcc", help="C compiler in the database (default gcc)")
    parser.add_argument("--cxx", default="g++", help="C++ compiler in the database (default g++)")
    args = parser.parse_args()
    if args.files < 2 or args.files > 100000:
        parser.error("--files must be from 2 to 100000")

    root = os.path.abspath(args.out)
    rng = random.Random(args.seed)
    w = Writer(root)
    for i, name in enumerate(CORE_HEADERS):
        rel, text = core_header(name, i, rng)
        w.write(os.path.join("include", rel), text)
    core_sources = []
    rel = "core/core.c"
    w.write(rel, "/* core.c: generated. */\n" + "".join(
        f'#include "core/{h}.h"\n' for h in CORE_HEADERS) + "\n" + "".join(
        f"uint32_t core_{h}_external(uint32_t seed, const char* tag) {{\n"
        f"  return core_{h}_op0(seed) + (tag != NULL ? (uint32_t)tag[0] : 0u);\n}}\n"
        for h in CORE_HEADERS[1:]))
    core_sources.append((rel, False, ["-Iinclude"]))

    modules = plan_modules(args.files - 1, rng)
    sources = list(core_sources)
    for m in modules:
        rel, text = api_header(m, modules)
        w.write(rel, text)
        rel, text = internal_header(m, rng)
        w.write(rel, text)
        includes = ["-Iinclude", f"-Imodules/{m.name}/include"] + [
            f"-Imodules/{modules[d].name}/include" for d in m.closure]
        for k in range(m.nfiles):
            if m.is_cpp:
                rel = f"modules/{m.name}/src/f{k:03d}.cc"
                w.write(rel, cpp_source(m, k, modules, rng))
            else:
                rel = f"modules/{m.name}/src/f{k:03d}.c"
                w.write(rel, c_source(m, k, modules, rng))
            sources.append((rel, m.is_cpp, includes))

    c_flags = ["-O2", "-g", "-std=c11", "-Wall", "-Wextra"]
    cxx_flags = ["-O2", "-g", "-std=c++17", "-Wall", "-Wextra"]
    entries = []
    make_objects = []
    make_rules = []
    for rel, is_cpp, includes in sources:
        obj = "build/" + os.path.splitext(rel)[0] + ".o"
        compiler = args.cxx if is_cpp else args.cc
        flags = cxx_flags if is_cpp else c_flags
        abs_includes = ["-I" + os.path.join(root, i[2:]) for i in includes]
        entries.append({
            "directory": root,
            "file": os.path.join(root, rel),
            "arguments": [compiler] + flags + abs_includes +
                         ["-c", os.path.join(root, rel), "-o", os.path.join(root, obj)],
            "output": os.path.join(root, obj),
        })
        make_objects.append(obj)
        tool, var = ("$(CXX)", "$(CXXFLAGS)") if is_cpp else ("$(CC)", "$(CFLAGS)")
        std = "-std=c++17" if is_cpp else "-std=c11"
        make_rules.append(f"{obj}: {rel}\n\t@mkdir -p $(@D)\n"
                          f"\t{tool} {var} {std} -Wall -Wextra {' '.join(includes)} -c $< -o $@\n")

    w.write("compile_commands.json", json.dumps(entries, indent=2) + "\n")
    makefile = [
        f"# Generated by bench/gen_project.py --files {args.files} --seed {args.seed}: do not edit.",
        "# make -j2   (or: make -j2 CC=clang CXX=clang++)",
        f"CC = {args.cc}", f"CXX = {args.cxx}", "CFLAGS = -O2 -g", "CXXFLAGS = -O2 -g", "",
        "OBJECTS = \\", "".join(f"  {o} \\\n" for o in make_objects) + "", "all: $(OBJECTS)",
        "", "clean:", "\trm -rf build", "", ".PHONY: all clean", ""]
    w.write("Makefile", "\n".join(makefile) + "\n" + "\n".join(make_rules))
    ncpp = sum(1 for s in sources if s[1])
    print(f"gen_project: {root}: {len(sources)} sources ({ncpp} C++, {len(sources) - ncpp} C), "
          f"{len(modules)} modules, {len(CORE_HEADERS)} core headers; "
          f"{w.written} files written, {w.unchanged} unchanged", file=sys.stderr)


if __name__ == "__main__":
    main()

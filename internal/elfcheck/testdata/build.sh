#!/bin/sh
# Rebuilds the binary fixtures in this folder. Needs Debian's gcc, g++ and
# gcc-aarch64-linux-gnu (apt-get install gcc g++ gcc-aarch64-linux-gnu).
# Every fixture is tiny and stripped; the odd cases (big-endian, Mach-O, PE,
# truncated objects) are synthesized by the tests instead.
set -eu
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cat >"$tmp/lib.c" <<'C'
int answer(void) { return 42; }
C
cat >"$tmp/main.c" <<'C'
#include <stdio.h>
int main(void) { puts("hello"); return 0; }
C
cat >"$tmp/needs.c" <<'C'
extern int missing_fn(void);
int call(void) { return missing_fn(); }
C
cat >"$tmp/missing.c" <<'C'
int missing_fn(void) { return 1; }
C
cat >"$tmp/cxx.cc" <<'C'
#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <string>
std::string greet(const std::string &n) {
  if (n.empty()) throw std::runtime_error("empty");
  return "hi " + n;
}
/* condition_variable::wait is GLIBCXX_3.4.30 in GCC 12's libstdc++. */
void wait(std::condition_variable &cv, std::unique_lock<std::mutex> &l) { cv.wait(l); }
C

# Plain shared libraries, one per machine; they need only libc.
gcc -O2 -shared -fPIC -s -o libanswer-x86_64.so "$tmp/lib.c"
aarch64-linux-gnu-gcc -Wl,-z,max-page-size=4096 -O2 -shared -fPIC -s -o libanswer-arm64.so "$tmp/lib.c"

# Executables built against Debian 12's glibc 2.36: they need GLIBC_2.34
# (__libc_start_main), newer than Amazon Linux 2's 2.26.
gcc -O2 -s -o hello-x86_64 "$tmp/main.c"
aarch64-linux-gnu-gcc -Wl,-z,max-page-size=4096 -O2 -s -o hello-arm64 "$tmp/main.c"

# The same executable asking for musl's loader, as an Alpine build does.
aarch64-linux-gnu-gcc -Wl,-z,max-page-size=4096 -O2 -s -Wl,--dynamic-linker=/lib/ld-musl-aarch64.so.1 -o hello-musl-arm64 "$tmp/main.c"

# A library that needs libmissing.so.1 and looks for it beside itself.
gcc -O2 -shared -fPIC -o "$tmp/libmissing.so.1" -Wl,-soname,libmissing.so.1 "$tmp/missing.c"
gcc -O2 -shared -fPIC -s -o libneeds-x86_64.so -Wl,-rpath,'$ORIGIN/../lib' "$tmp/needs.c" "$tmp/libmissing.so.1"

# C++: needs GLIBCXX_3.4.30 and CXXABI_1.3 from libstdc++ (Amazon Linux 2
# has up to 3.4.24, Amazon Linux 2023 up to 3.4.29).
g++ -O2 -shared -fPIC -s -o libcxx-x86_64.so "$tmp/cxx.cc"

# 32-bit x86, without libc (no multilib needed).
gcc -m32 -O2 -shared -fPIC -nostdlib -s -o libanswer-i386.so "$tmp/lib.c"

# A Node addon tied to Node 18's ABI (NODE_MODULE_VERSION 108), and an
# N-API one.
cat >"$tmp/addon.c" <<'C'
void node_register_module_v108(void *exports, void *module, void *context) {}
C
cat >"$tmp/napi.c" <<'C'
void *napi_register_module_v1(void *env, void *exports) { return exports; }
C
gcc -O2 -shared -fPIC -s -o addon-v108-x86_64.node "$tmp/addon.c"
gcc -O2 -shared -fPIC -s -o napi-x86_64.node "$tmp/napi.c"

# With debug information, for the stripper (strip.go): a library and an
# executable that loads it from beside itself, per machine, built with -g
# and not stripped (.debug_*, .symtab, .strtab, .comment), and a 32-bit
# one. The test strips them, checks the result, and runs the x86_64 pair.
cat >"$tmp/dbglib.c" <<'C'
#include <stdio.h>
static int table[256];
int twice(int x) { return 2 * x + table[x & 255]; }
const char *who(void) { return "libdbg"; }
C
cat >"$tmp/dbgmain.c" <<'C'
#include <stdio.h>
int twice(int);
const char *who(void);
int main(void) { printf("%s %d\n", who(), twice(21)); return 0; }
C
dbg="-g -O1 -fdebug-prefix-map=$tmp=/src"
gcc $dbg -shared -fPIC -Wl,-soname,libdbg.so -o libdbg-x86_64.so "$tmp/dbglib.c"
gcc $dbg -o hello-dbg-x86_64 "$tmp/dbgmain.c" libdbg-x86_64.so -Wl,-rpath,'$ORIGIN'
aarch64-linux-gnu-gcc $dbg -Wl,-z,max-page-size=4096 -shared -fPIC -Wl,-soname,libdbg.so -o libdbg-arm64.so "$tmp/dbglib.c"
aarch64-linux-gnu-gcc $dbg -Wl,-z,max-page-size=4096 -o hello-dbg-arm64 "$tmp/dbgmain.c" libdbg-arm64.so -Wl,-rpath,'$ORIGIN'
gcc -m32 $dbg -shared -fPIC -nostdlib -o libdbg-i386.so "$tmp/lib.c"

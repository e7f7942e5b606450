#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Build the ELF fixtures of test_symbolize into OUTDIR, with the expected values
# computed by binutils (nm, readelf) so the test checks against an independent tool.
#
#   syms            PIE with .symtab (-O0 -g)
#   syms.nm         "addr size type name" of its symbols (nm -S)
#   syms.load       "offset vaddr filesz" of its PT_LOAD headers
#   syms.buildid    its build-id in hex
#   syms.debug      objcopy --only-keep-debug
#   syms.zdebug     the same with zlib-compressed .debug_* sections
#   syms.stripped   strip --strip-all, no debuglink: found by build-id only
#   syms.linked     stripped + .gnu_debuglink to syms.debug
#   syms.badcrc     stripped + .gnu_debuglink to syms.bad.debug, whose CRC does not match
set -eu
out=${1:?usage: build_fixtures.sh OUTDIR}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out"
cd "$out"

gcc -O0 -g -fno-builtin -fPIE -pie -Wl,--build-id=sha1 -o syms "$here/fixtures/syms.c"
nm -S --defined-only syms >syms.nm
readelf -lW syms | awk '$1 == "LOAD" { print $2, $3, $5 }' >syms.load
readelf -n syms | awk '/Build ID:/ { print $3 }' >syms.buildid

objcopy --only-keep-debug syms syms.debug
objcopy --only-keep-debug --compress-debug-sections=zlib syms syms.zdebug
strip --strip-all -o syms.stripped syms
objcopy --add-gnu-debuglink=syms.debug syms.stripped syms.linked

cp syms.debug syms.bad.debug
objcopy --add-gnu-debuglink=syms.bad.debug syms.stripped syms.badcrc
# Same name, other content: the CRC recorded above no longer matches.
cp syms.zdebug syms.bad.debug

# test_cfi: CFI in .eh_frame without frame pointers, C++ with "zPLR" CIEs,
# and in .debug_frame (no unwind tables, -g)
gcc -O2 -g -fomit-frame-pointer -o cfi_nofp "$here/fixtures/syms.c"
g++ -O2 -g -o cfi_cxx "$here/fixtures/cfi.cc"
gcc -O2 -g -fno-asynchronous-unwind-tables -fno-unwind-tables -o cfi_debug_frame "$here/fixtures/syms.c"

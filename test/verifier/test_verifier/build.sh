#!/usr/bin/env bash
# Write the Linux kernel's test_verifier tests as JSON lines (dump.c), from a Linux source tree
# or from Debian's linux-source-* tarball (only the few files needed are extracted):
#
#   build.sh SOURCE OUT.jsonl      SOURCE: a source directory or /usr/src/linux-source-6.1.tar.xz
#
# Needs gcc and libbpf-dev. test/verifier/test-verifier.test.ts runs this once and caches OUT.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source=${1:?usage: build.sh SOURCE OUT.jsonl}
out=${2:?usage: build.sh SOURCE OUT.jsonl}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if [ -d "$source" ]; then
  tree=$source
else
  top=$(basename "$source" .tar.xz) # Debian's tarball holds linux-source-X.Y/
  bpf="$top/tools/testing/selftests/bpf"
  tar -xf "$source" -C "$tmp" "$bpf/test_verifier.c" "$bpf/verifier" "$bpf/cap_helpers.c" "$bpf/cap_helpers.h" \
    "$bpf/bpf_rand.h" "$bpf/bpf_util.h" "$bpf/test_btf.h" "$top/tools/include" "$top/tools/lib/bpf"
  tree="$tmp/$top"
fi
bpf="$tree/tools/testing/selftests/bpf"
[ -f "$bpf/test_verifier.c" ] || { echo "build.sh: no $bpf/test_verifier.c" >&2; exit 1; }
# A copy of the selftests directory at the same depth (test_verifier.c includes
# "../../../include/linux/filter.h"), with the two headers the kernel's Makefile generates.
work="$tmp/build/tools/testing/selftests/bpf"
mkdir -p "$work"
cp -r "$bpf"/test_verifier.c "$bpf"/verifier "$bpf"/cap_helpers.* "$bpf"/bpf_rand.h "$bpf"/bpf_util.h "$bpf"/test_btf.h "$work"/
ln -s "$tree/tools/include" "$tmp/build/tools/include"
(cd "$work/verifier" && { echo '#ifdef FILL_ARRAY'; ls *.c | sed -e 's@\(.*\)@#include "\1"@'; echo '#endif'; } > tests.h)
echo '#define HAVE_GENHDR 1' > "$work/autoconf.h"
cp "$here/dump.c" "$work/"
gcc -O0 -w -I"$work" -I"$tree/tools/lib" -o "$work/dump" "$work/dump.c" "$work/cap_helpers.c" -lbpf
"$work/dump" > "$out.tmp" 2>/dev/null
mv "$out.tmp" "$out"

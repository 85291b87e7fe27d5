#!/usr/bin/env bash
# Rebuild the compiled corpus objects (.o, committed next to their sources) with clang.
# Tests use the committed objects, so clang is only needed to change a program.
set -euo pipefail
cd "$(dirname "$0")"
CLANG=${CLANG:-$(command -v clang-19 || command -v clang || true)}
if [ -z "$CLANG" ]; then
  echo "build.sh: no clang found (apt-get install clang-19 libbpf-dev); keeping the committed .o files" >&2
  exit 0
fi
for src in *.c; do
  # *_v4.c use the v4 ISA (sign-extending loads/moves, bswap, signed division); the rest v3.
  cpu=v3
  case "$src" in *_v4.c) cpu=v4 ;; esac
  "$CLANG" -O2 -g -target bpf -mcpu=$cpu -Wall -Werror -I/usr/include/"$(uname -m)"-linux-gnu -c "$src" -o "${src%.c}.o"
  echo "built ${src%.c}.o"
done

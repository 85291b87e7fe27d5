# an 8-byte atomic add at offset 4 of a map value (atomics need natural alignment; wasm traps otherwise)
# type: xdp
# map: counts array key=4 value=16 entries=1
# expect: misaligned value access off 0+0+4 size 8
# kernel: reject
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1
jeq %r0, 0, +2
mov %r1, 1
lock add [%r0+4], %r1
mov %r0, 2
exit
